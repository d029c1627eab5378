import Glibc

/// The ksmd kernel thread, found by name: its CPU time, for `bench --kernel` and the host
/// backend's `ksmd_cpu_seconds`.
struct KsmdThread {
    /// The thread's pid.
    let pid: Int32
    /// `/proc/PID/schedstat`, open (or -1 when the kernel has no schedstat).
    let fd: Int32

    static func find() -> KsmdThread? {
        guard let dir = opendir("/proc") else { return nil }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { b in
                String(decoding: b.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let pid = Int32(name) else { continue }
            guard case .success(let comm) = ProcFiles.read("/proc/\(pid)/comm"), comm.trimmingWhitespace == "ksmd" else {
                continue
            }
            return KsmdThread(pid: pid, fd: open("/proc/\(pid)/schedstat", O_RDONLY | O_CLOEXEC))
        }
        return nil
    }

    /// (seconds on a CPU, seconds waiting on a run queue), from `/proc/PID/schedstat`; zeros when
    /// it cannot be read.
    func schedstat() -> (Double, Double) {
        guard fd >= 0 else { return (0, 0) }
        var buffer: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &buffer) { b in
            let n = pread(fd, b.baseAddress, b.count, 0)
            var fields = (0, 0)
            var which = 0
            for i in 0..<max(n, 0) {
                let c = b[i]
                if c >= 48 && c <= 57 {
                    if which == 0 { fields.0 = fields.0 * 10 + Int(c - 48) } else { fields.1 = fields.1 * 10 + Int(c - 48) }
                } else {
                    which += 1
                    if which > 1 { break }
                }
            }
            return (Double(fields.0) / 1e9, Double(fields.1) / 1e9)
        }
    }

    /// ksmd's CPU time so far: `/proc/PID/schedstat`'s time on a CPU (nanoseconds), or where the
    /// kernel has no schedstat, `utime + stime` of `/proc/PID/stat` (clock ticks); `nil` when
    /// neither can be read.
    func cpuSeconds() -> Double? {
        if fd >= 0 {
            let (onCPU, _) = schedstat()
            if onCPU > 0 { return onCPU }
        }
        guard case .success(let text) = ProcFiles.read("/proc/\(pid)/stat") else { return nil }
        return Self.statCPUSeconds(text, ticksPerSecond: sysconf(Int32(_SC_CLK_TCK)))
    }

    /// `utime + stime` (fields 14 and 15) of a `/proc/PID/stat` line, in seconds; `nil` for a line
    /// that does not have them. The command name in parentheses may hold spaces and parentheses,
    /// so fields are counted from the last `)`.
    static func statCPUSeconds(_ line: String, ticksPerSecond: Int) -> Double? {
        guard ticksPerSecond > 0, let paren = line.lastIndex(of: ")") else { return nil }
        // After ")": field 3 (state) is the first; utime and stime are fields 14 and 15.
        let fields = line[line.index(after: paren)...].split(separator: " ")
        guard fields.count >= 13, let utime = Int(fields[11]), let stime = Int(fields[12]), utime >= 0, stime >= 0 else {
            return nil
        }
        let (ticks, overflow) = utime.addingReportingOverflow(stime)
        guard !overflow else { return nil }
        return Double(ticks) / Double(ticksPerSecond)
    }

    func close() {
        if fd >= 0 { _ = Glibc.close(fd) }
    }
}

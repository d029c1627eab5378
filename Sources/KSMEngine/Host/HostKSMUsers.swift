import Glibc

/// Who uses KSM on this host besides the caller: the processes `/proc/PID/ksm_stat` shows
/// registered with ksmd or holding KSM pages, and the global counters of `/sys/kernel/mm/ksm`,
/// which also count processes this one cannot see (another PID namespace: containers, VMs).
///
/// A host run writes run=2, which unmerges every KSM page of every process: ``HostKernelBackend``
/// callers look here first (`ksmd-sim kernel` refuses to start unless `--force`).
public struct HostKSMUsers: Sendable, CustomStringConvertible {
    /// One process registered with ksmd (`ksm_mergeable: yes`) or with KSM pages or rmap items.
    public struct User: Sendable, Hashable {
        /// The process id.
        public var pid: Int32
        /// `/proc/PID/comm`.
        public var command: String
        /// `ksm_rmap_items`: its pages ksmd tracks.
        public var rmapItems: Int
        /// `ksm_merging_pages`: its pages mapped to KSM pages.
        public var mergingPages: Int
        /// `ksm_zero_pages`: its pages merged into the zero page (`use_zero_pages` 1).
        public var zeroPages: Int
        /// `ksm_mergeable`: registered with ksmd (a `VM_MERGEABLE` VMA, or `PR_SET_MEMORY_MERGE`).
        public var mergeable: Bool
    }

    /// The processes using KSM, by pid.
    public var processes: [User]
    /// `pages_shared`, `pages_sharing`, `pages_unshared`, `pages_volatile` and `ksm_zero_pages`.
    public var counters: [(String, Int)]

    /// Whether nobody uses KSM: no such process, and every counter 0.
    public var isEmpty: Bool { processes.isEmpty && counters.allSatisfy { $0.1 == 0 } }

    /// "pid 812 (qemu-system-x86): 51200 merging pages; pages_shared 900, pages_sharing 50300".
    public var description: String {
        var parts = processes.prefix(5).map { u in
            var what: [String] = []
            if u.mergingPages > 0 { what.append("\(u.mergingPages) merging pages") }
            if u.zeroPages > 0 { what.append("\(u.zeroPages) KSM zero pages") }
            if u.rmapItems > 0 { what.append("\(u.rmapItems) rmap items") }
            if what.isEmpty { what.append("registered with ksmd") }
            return "pid \(u.pid) (\(u.command)): " + what.joined(separator: ", ")
        }
        if processes.count > 5 { parts.append("\(processes.count - 5) more processes") }
        let nonzero = counters.filter { $0.1 > 0 }
        if !nonzero.isEmpty { parts.append(nonzero.map { "\($0.0) \($0.1)" }.joined(separator: ", ")) }
        return parts.isEmpty ? "nobody" : parts.joined(separator: "; ")
    }

    /// Reads `/proc/*/ksm_stat` (every process but this one) and the global counters.
    ///
    /// `ksm-worker` processes are the host runner's own: those of a run that has just ended still
    /// exit for a moment after it. When they are the only users, this waits up to
    /// `workerGraceSeconds` for them to go before counting them.
    ///
    /// - Complexity: O(processes) file reads per look, a look every 10 ms while waiting.
    public static func current(workerGraceSeconds: Double = 2) -> HostKSMUsers {
        let deadline = WorkerProcess.monotonicSeconds() + workerGraceSeconds
        while true {
            let users = look()
            let onlyWorkers = !users.processes.isEmpty && users.processes.allSatisfy { $0.command == "ksm-worker" }
            if !onlyWorkers || WorkerProcess.monotonicSeconds() >= deadline { return users }
            usleep(10_000)
        }
    }

    static func look() -> HostKSMUsers {
        var found: [User] = []
        if let dir = opendir("/proc") {
            defer { closedir(dir) }
            let me = getpid()
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) {
                    String(cString: $0.bindMemory(to: CChar.self).baseAddress!)
                }
                guard let pid = Int32(name), pid != me,
                    case .success(let stat) = ProcFiles.read("/proc/\(pid)/ksm_stat")
                else { continue }
                var fields: [Substring: Substring] = [:]
                for line in stat.split(separator: "\n") {
                    let words = line.split(separator: " ")
                    if words.count == 2 { fields[words[0].hasSuffix(":") ? words[0].dropLast() : words[0]] = words[1] }
                }
                func int(_ key: Substring) -> Int { fields[key].flatMap { Int($0) } ?? 0 }
                let user = User(
                    pid: pid, command: (try? ProcFiles.read("/proc/\(pid)/comm").get())?.trimmingWhitespace ?? "?",
                    rmapItems: int("ksm_rmap_items"), mergingPages: int("ksm_merging_pages"), zeroPages: int("ksm_zero_pages"),
                    mergeable: fields["ksm_mergeable"] == "yes")
                if user.mergeable || user.rmapItems > 0 || user.mergingPages > 0 || user.zeroPages > 0 { found.append(user) }
            }
        }
        let counters = ["pages_shared", "pages_sharing", "pages_unshared", "pages_volatile", "ksm_zero_pages"].map {
            ($0, ProcFiles.integer("\(HostKSMControl.directory)/\($0)") ?? 0)
        }
        return HostKSMUsers(processes: found.sorted { $0.pid < $1.pid }, counters: counters)
    }
}

import Glibc

/// One VMA of `/proc/PID/maps` or `/proc/PID/smaps`, in host addresses.
struct HostVMA: Hashable {
    var start: UInt64
    var end: UInt64
    /// The pathname column (`[heap]`, a file, or empty).
    var name: String
    /// The `VmFlags:` mnemonics in the order printed (smaps only).
    var flags: [String] = []
    /// The `KSM:` line in kB (smaps only; 0 if absent).
    var ksmKB = 0
    /// The `Rss:` line in kB (smaps only; 0 if absent).
    var rssKB = 0
    /// The `AnonHugePages:` line in kB (smaps only; 0 if absent).
    var anonHugeKB = 0
    /// The file offset column, in bytes.
    var offset: UInt64 = 0
}

/// Parsers for the `/proc` and `/sys` files the host runner reads.
enum ProcFiles {
    /// The whole file, or the errno of the failed open/read.
    static func read(_ path: String) -> Result<String, ProcReadError> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(ProcReadError(path: path, errno: errno)) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let r = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if r < 0 {
                if errno == EINTR { continue }
                return .failure(ProcReadError(path: path, errno: errno))
            }
            if r == 0 { break }
            bytes.append(contentsOf: chunk[..<r])
        }
        return .success(String(decoding: bytes, as: UTF8.self))
    }

    /// A `/sys` counter, or nil when the file is missing or not a number.
    static func integer(_ path: String) -> Int? {
        guard case .success(let text) = read(path) else { return nil }
        return Int(text.split(whereSeparator: { $0.isWhitespace }).first ?? "")
    }

    /// The value of a `Name:   12741500 kB` line (`/proc/meminfo`, `/proc/PID/status`), in KiB; the
    /// separator may be spaces or a tab.
    static func kibibytes(of name: String, in text: String) -> Int? {
        for line in text.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.count >= 2, fields[0] == name + ":" { return Int(fields[1]) }
        }
        return nil
    }

    /// Parses the VMA header line `start-end perms offset dev inode [name]`.
    static func header(_ line: Substring) -> HostVMA? {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 5 else { return nil }
        let range = fields[0].split(separator: "-")
        guard range.count == 2, let start = UInt64(range[0], radix: 16), let end = UInt64(range[1], radix: 16) else { return nil }
        return HostVMA(
            start: start, end: end, name: fields.dropFirst(5).joined(separator: " "), offset: UInt64(fields[2], radix: 16) ?? 0)
    }

    /// The VMAs of `/proc/PID/maps`.
    static func parseMaps(_ text: String) -> [HostVMA] {
        text.split(separator: "\n").compactMap(header)
    }

    /// The VMAs of `/proc/PID/smaps` with their `VmFlags:` and `KSM:` lines.
    static func parseSmaps(_ text: String) -> [HostVMA] {
        var result: [HostVMA] = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("VmFlags:") {
                guard !result.isEmpty else { continue }
                result[result.count - 1].flags = line.dropFirst("VmFlags:".count).split(separator: " ").map(String.init)
            } else if line.hasPrefix("KSM:") || line.hasPrefix("Rss:") || line.hasPrefix("AnonHugePages:") {
                guard !result.isEmpty else { continue }
                let fields = line.split(separator: " ")
                guard fields.count >= 2, let kb = Int(fields[1]) else { continue }
                switch fields[0] {
                case "KSM:": result[result.count - 1].ksmKB = kb
                case "Rss:": result[result.count - 1].rssKB = kb
                default: result[result.count - 1].anonHugeKB = kb
                }
            } else if let v = header(line) {
                // Field lines ("Size:  4 kB") are not "hex-hex perms offset dev inode".
                result.append(v)
            }
        }
        return result
    }

    /// The THP events of `/proc/vmstat` (``THPEvents``), or nil when it cannot be read.
    static func thpEvents() -> THPEvents? {
        guard case .success(let text) = read("/proc/vmstat") else { return nil }
        var e = THPEvents()
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count == 2, let v = Int(f[1]) else { continue }
            switch f[0] {
            case "thp_fault_alloc": e.faultAlloc = v
            case "thp_fault_fallback": e.faultFallback = v
            case "thp_split_page": e.splitPage = v
            case "thp_split_pmd": e.splitPMD = v
            default: break
            }
        }
        return e
    }

    /// `/proc/PID/ksm_stat`: `ksm_rmap_items N`, ..., `ksm_merge_any: yes`, `ksm_mergeable: no`;
    /// missing fields stay 0 / false.
    static func parseKSMStat(_ text: String) -> KSMStat {
        var stat = KSMStat()
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count == 2 else { continue }
            var key = fields[0]
            if key.hasSuffix(":") { key = key.dropLast() }
            let value = fields[1]
            switch key {
            case "ksm_rmap_items": stat.rmapItems = Int(value) ?? 0
            case "ksm_zero_pages": stat.zeroPages = Int(value) ?? 0
            case "ksm_merging_pages": stat.mergingPages = Int(value) ?? 0
            case "ksm_process_profit": stat.processProfit = Int(value) ?? 0
            case "ksm_merge_any": stat.mergeAny = value == "yes"
            case "ksm_mergeable": stat.mergeable = value == "yes"
            default: break
            }
        }
        return stat
    }
}

/// A `/proc` or `/sys` file that could not be read.
struct ProcReadError: Error {
    var path: String
    var errno: Int32
    var message: String { "cannot read \(path): \(String(cString: strerror(errno)))" }
}

/// The global KSM counters of `/sys/kernel/mm/ksm`, as the kernel reports them.
public struct KSMCounters: Hashable, Sendable {
    public var fullScans = 0
    public var pagesShared = 0
    public var pagesSharing = 0
    public var pagesUnshared = 0
    public var pagesVolatile = 0
    public var pagesScanned = 0
    public var pagesSkipped = 0
    public var stableNodeChains = 0
    public var stableNodeDups = 0
    public var ksmZeroPages = 0
    public var generalProfit = 0
    public init() {}

    /// The counters by sysfs name, in report order.
    public var fields: [(String, Int)] {
        [
            ("full_scans", fullScans), ("pages_shared", pagesShared), ("pages_sharing", pagesSharing),
            ("pages_unshared", pagesUnshared), ("pages_volatile", pagesVolatile), ("pages_scanned", pagesScanned),
            ("pages_skipped", pagesSkipped), ("stable_node_chains", stableNodeChains), ("stable_node_dups", stableNodeDups),
            ("ksm_zero_pages", ksmZeroPages), ("general_profit", generalProfit),
        ]
    }
}

/// One process's `/proc/PID/ksm_stat`.
public struct KSMStat: Hashable, Sendable {
    public var rmapItems = 0
    public var zeroPages = 0
    public var mergingPages = 0
    public var processProfit = 0
    public var mergeAny = false
    public var mergeable = false
    public init() {}
}

/// One VMA as a report shows it: page range in the window, smaps flags and `KSM:` kB.
public struct VMAReport: Hashable, Sendable {
    public var start: Int
    public var end: Int
    public var flags: [String]
    public var ksmKB: Int
    public init(start: Int, end: Int, flags: [String], ksmKB: Int) {
        self.start = start
        self.end = end
        self.flags = flags
        self.ksmKB = ksmKB
    }
}

/// One live process in a report.
public struct ProcessReport: Hashable, Sendable {
    public var name: String
    public var ksmStat: KSMStat
    public var vmas: [VMAReport]
    /// ``ContentDigest`` of the window's mapped pages.
    public var contentDigest: UInt64
    public init(name: String, ksmStat: KSMStat, vmas: [VMAReport], contentDigest: UInt64) {
        self.name = name
        self.ksmStat = ksmStat
        self.vmas = vmas
        self.contentDigest = contentDigest
    }
}

/// What a `report` step (and the end of a run) records.
public struct Report: Hashable, Sendable {
    public var label: String
    public var ksm: KSMCounters
    public var processes: [ProcessReport]
    /// Simulated time since the start of the run, when the backend keeps a clock.
    public var simulatedSeconds: Double?
    public init(label: String, ksm: KSMCounters, processes: [ProcessReport], simulatedSeconds: Double? = nil) {
        self.label = label
        self.ksm = ksm
        self.processes = processes
        self.simulatedSeconds = simulatedSeconds
    }

    /// The digest as reports print it: 16 hex digits.
    public static func hex(_ digest: UInt64) -> String {
        let s = String(digest, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    /// The report as the `--json` contract spells it.
    public var json: JSON {
        var members: [(String, JSON)] = [("label", .string(label))]
        if let simulatedSeconds { members.append(("simulated_seconds", .double(simulatedSeconds))) }
        members.append(("ksm", .object(ksm.fields.map { ($0.0, .int($0.1)) })))
        members.append(
            (
                "processes",
                .object(
                    processes.map { p in
                        (
                            p.name,
                            .object([
                                (
                                    "ksm_stat",
                                    .object([
                                        ("ksm_rmap_items", .int(p.ksmStat.rmapItems)),
                                        ("ksm_zero_pages", .int(p.ksmStat.zeroPages)),
                                        ("ksm_merging_pages", .int(p.ksmStat.mergingPages)),
                                        ("ksm_process_profit", .int(p.ksmStat.processProfit)),
                                        ("ksm_merge_any", .bool(p.ksmStat.mergeAny)),
                                        ("ksm_mergeable", .bool(p.ksmStat.mergeable)),
                                    ])
                                ),
                                (
                                    "vmas",
                                    .array(
                                        p.vmas.map { v in
                                            .object([
                                                ("start", .int(v.start)), ("end", .int(v.end)),
                                                ("flags", .array(v.flags.map { .string($0) })), ("ksm_kb", .int(v.ksmKB)),
                                            ])
                                        })
                                ),
                                ("content_digest", .string(Self.hex(p.contentDigest))),
                            ])
                        )
                    })
            ))
        return .object(members)
    }

    /// The report as a readable table.
    public var text: String {
        var out = "== \(label)"
        if let simulatedSeconds { out += " (t = \(simulatedSeconds) s)" }
        out += "\n"
        out += "ksm: " + ksm.fields.map { "\($0.0) \($0.1)" }.joined(separator: ", ") + "\n"
        if processes.isEmpty { out += "(no live processes)\n" }
        for p in processes {
            let s = p.ksmStat
            out += "process \(p.name): \(p.vmas.count) VMA\(p.vmas.count == 1 ? "" : "s"), digest \(Self.hex(p.contentDigest)), "
            out += "merge_any \(s.mergeAny ? "yes" : "no"), mergeable \(s.mergeable ? "yes" : "no"), "
            out +=
                "rmap_items \(s.rmapItems), merging_pages \(s.mergingPages), zero_pages \(s.zeroPages), profit \(s.processProfit)\n"
            if !p.vmas.isEmpty {
                let rows = p.vmas.map { v in
                    ["\(v.start)-\(v.end)", "\(v.end - v.start)", v.flags.joined(separator: " "), "\(v.ksmKB)"]
                }
                out += TextTable.render(header: ["pages", "count", "flags", "KSM kB"], rows: rows, indent: "  ")
            }
        }
        return out
    }
}

/// Left-aligned text columns.
enum TextTable {
    static func render(header: [String], rows: [[String]], indent: String = "") -> String {
        let all = [header] + rows
        let widths = header.indices.map { c in all.map { $0[c].count }.max() ?? 0 }
        return all.map { row in
            indent
                + row.enumerated().map { c, cell in
                    c == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[c] - cell.count)
                }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}

/// The global KSM counters of `/sys/kernel/mm/ksm`, as the kernel reports them.
public struct KSMCounters: Hashable, Sendable {
    /// `full_scans`: full passes of ksmd over every registered mm.
    public var fullScans = 0
    /// `pages_shared`: KSM pages in use (each one kept in the stable tree).
    public var pagesShared = 0
    /// `pages_sharing`: further mappings of KSM pages, the pages saved.
    public var pagesSharing = 0
    /// `pages_unshared`: pages scanned twice unchanged, waiting in the unstable tree for a twin.
    public var pagesUnshared = 0
    /// `pages_volatile`: pages whose checksum changed since the last scan (too volatile to merge).
    public var pagesVolatile = 0
    /// `pages_scanned`: pages ksmd has looked at since it started.
    public var pagesScanned = 0
    /// `pages_skipped`: pages smart_scan skipped because they did not merge before.
    public var pagesSkipped = 0
    /// `stable_node_chains`: stable-tree chains (contents with more than `max_page_sharing` mappings).
    public var stableNodeChains = 0
    /// `stable_node_dups`: KSM pages hanging off those chains.
    public var stableNodeDups = 0
    /// `ksm_zero_pages`: empty pages ksmd replaced by the zero page (`use_zero_pages` 1).
    public var ksmZeroPages = 0
    /// `general_profit`: bytes saved less the rmap items' memory, as the kernel computes it.
    public var generalProfit = 0
    /// All counters zero, as on a freshly booted kernel.
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
    /// `ksm_rmap_items`: the process's rmap items (pages ksmd tracks).
    public var rmapItems = 0
    /// `ksm_zero_pages`: the process's pages replaced by the zero page.
    public var zeroPages = 0
    /// `ksm_merging_pages`: the process's pages mapped to KSM pages.
    public var mergingPages = 0
    /// `ksm_process_profit`: the process's bytes saved less its rmap items' memory.
    public var processProfit = 0
    /// `ksm_merge_any`: `PR_SET_MEMORY_MERGE` is on for the process.
    public var mergeAny = false
    /// `ksm_mergeable`: the process has a `VM_MERGEABLE` VMA.
    public var mergeable = false
    /// All fields zero and false.
    public init() {}
}

/// One VMA as a report shows it: page range in the window, smaps flags and `KSM:` kB.
public struct VMAReport: Hashable, Sendable {
    /// The first page, as a page number in the window.
    public var start: Int
    /// The page after the last one.
    public var end: Int
    /// The smaps `VmFlags:` mnemonics (``VMFlags/mnemonics``).
    public var flags: [String]
    /// The smaps `KSM:` field: kilobytes of the VMA mapped to KSM pages.
    public var ksmKB: Int
    /// The smaps `Rss:` field in kilobytes, reported in scenarios with transparent huge pages
    /// (``Scenario/thp``); `nil` otherwise.
    public var rssKB: Int?
    /// The smaps `AnonHugePages:` field in kilobytes (anonymous memory mapped by PMD-mapped huge
    /// pages), reported with ``rssKB``.
    public var anonHugeKB: Int?
    /// Creates a VMA line of a report.
    public init(start: Int, end: Int, flags: [String], ksmKB: Int, rssKB: Int? = nil, anonHugeKB: Int? = nil) {
        self.start = start
        self.end = end
        self.flags = flags
        self.ksmKB = ksmKB
        self.rssKB = rssKB
        self.anonHugeKB = anonHugeKB
    }
}

/// Transparent-huge-page events of `/proc/vmstat`, counted from the start of a scenario.
public struct THPEvents: Hashable, Sendable {
    /// `thp_fault_alloc`: huge pages allocated by page faults.
    public var faultAlloc = 0
    /// `thp_fault_fallback`: faults that wanted a huge page and fell back to small pages.
    public var faultFallback = 0
    /// `thp_split_page`: huge pages split into small pages.
    public var splitPage = 0
    /// `thp_split_pmd`: PMD mappings of huge pages split into page tables of small entries.
    public var splitPMD = 0
    /// All zero.
    public init() {}

    /// The events by `/proc/vmstat` name, in report order.
    public var fields: [(String, Int)] {
        [
            ("thp_fault_alloc", faultAlloc), ("thp_fault_fallback", faultFallback), ("thp_split_page", splitPage),
            ("thp_split_pmd", splitPMD),
        ]
    }
}

/// One live process in a report.
public struct ProcessReport: Hashable, Sendable {
    /// The process's name in the scenario.
    public var name: String
    /// Its `/proc/PID/ksm_stat`.
    public var ksmStat: KSMStat
    /// Its VMAs in address order.
    public var vmas: [VMAReport]
    /// ``ContentDigest`` of the window's mapped pages.
    public var contentDigest: UInt64
    /// Creates a process entry of a report.
    public init(name: String, ksmStat: KSMStat, vmas: [VMAReport], contentDigest: UInt64) {
        self.name = name
        self.ksmStat = ksmStat
        self.vmas = vmas
        self.contentDigest = contentDigest
    }
}

/// What a `report` step (and the end of a run) records.
public struct Report: Hashable, Sendable {
    /// The `report` step's label (`"final"` for the report at the end of a run).
    public var label: String
    /// The global counters.
    public var ksm: KSMCounters
    /// Every live process, in the order the scenario started them.
    public var processes: [ProcessReport]
    /// Seconds since the start of the run, cumulative: the simulated clock on the simulator, the
    /// wall clock (since the backend took over KSM) on the host kernel.
    public var simulatedSeconds: Double?
    /// ksmd's CPU time since the start of the run, cumulative: the simulated clock's charge on the
    /// simulator, the ksmd kernel thread's CPU time (`/proc/PID/schedstat`) on the host kernel.
    public var ksmdCPUSeconds: Double?
    /// The knobs at the time of the report, when the backend reports them (the simulator does:
    /// ksmtuned and the scan-time advisor change them as it runs).
    public var knobs: KSMKnobs?
    /// Transparent-huge-page events since the scenario began, in scenarios with transparent huge
    /// pages (``Scenario/thp``); `nil` otherwise.
    public var thp: THPEvents?
    /// Creates a report.
    public init(
        label: String, ksm: KSMCounters, processes: [ProcessReport], simulatedSeconds: Double? = nil,
        ksmdCPUSeconds: Double? = nil, knobs: KSMKnobs? = nil, thp: THPEvents? = nil
    ) {
        self.thp = thp
        self.label = label
        self.ksm = ksm
        self.processes = processes
        self.simulatedSeconds = simulatedSeconds
        self.ksmdCPUSeconds = ksmdCPUSeconds
        self.knobs = knobs
    }

    /// The time fields as reports print them: `simulated_seconds` and `ksmd_cpu_seconds` (null
    /// when the backend keeps no clock).
    public var timeMembers: [(String, JSON)] {
        [
            ("simulated_seconds", simulatedSeconds.map { .double($0) } ?? .null),
            ("ksmd_cpu_seconds", ksmdCPUSeconds.map { .double($0) } ?? .null),
        ]
    }

    /// The time fields as the text heading shows them: ` (t = 1.5 s, ksmd CPU 0.02 s)`.
    public var timeText: String {
        guard let simulatedSeconds else { return "" }
        return " (t = \(simulatedSeconds) s" + (ksmdCPUSeconds.map { ", ksmd CPU \($0) s" } ?? "") + ")"
    }

    /// The knobs as reports spell them: every knob by sysfs name, integers as numbers and
    /// `advisor_mode` as its word.
    public static func knobsJSON(_ knobs: KSMKnobs) -> JSON {
        .object(knobs.sysfs.map { name, text in (name, Int(text).map(JSON.int) ?? .string(text)) })
    }

    /// The knobs as a text line: `run`, `pages_to_scan` and `sleep_millisecs`, then those that
    /// differ from the kernel's defaults.
    public static func knobsText(_ knobs: KSMKnobs) -> String {
        let always = ["run", "pages_to_scan", "sleep_millisecs"]
        let shown = zip(knobs.sysfs, KSMKnobs().sysfs).filter { always.contains($0.0.0) || $0.0.1 != $0.1.1 }
        return "knobs: " + shown.map { "\($0.0.0) \($0.0.1)" }.joined(separator: ", ") + "\n"
    }

    /// The digest as reports print it: 16 hex digits.
    public static func hex(_ digest: UInt64) -> String {
        let s = String(digest, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    /// The report as the `--json` contract spells it.
    public var json: JSON {
        var members: [(String, JSON)] = [("label", .string(label))] + timeMembers
        if let knobs { members.append(("knobs", Self.knobsJSON(knobs))) }
        members.append(("ksm", .object(ksm.fields.map { ($0.0, .int($0.1)) })))
        if let thp { members.append(("thp", .object(thp.fields.map { ($0.0, .int($0.1)) }))) }
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
                                            var m: [(String, JSON)] = [
                                                ("start", .int(v.start)), ("end", .int(v.end)),
                                                ("flags", .array(v.flags.map { .string($0) })), ("ksm_kb", .int(v.ksmKB)),
                                            ]
                                            if let rss = v.rssKB { m.append(("rss_kb", .int(rss))) }
                                            if let huge = v.anonHugeKB { m.append(("anon_huge_kb", .int(huge))) }
                                            return .object(m)
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
        var out = "== \(label)\(timeText)\n"
        if let knobs { out += Self.knobsText(knobs) }
        out += "ksm: " + ksm.fields.map { "\($0.0) \($0.1)" }.joined(separator: ", ") + "\n"
        if let thp { out += "thp: " + thp.fields.map { "\($0.0) \($0.1)" }.joined(separator: ", ") + "\n" }
        if processes.isEmpty { out += "(no live processes)\n" }
        for p in processes {
            let s = p.ksmStat
            out += "process \(p.name): \(p.vmas.count) VMA\(p.vmas.count == 1 ? "" : "s"), digest \(Self.hex(p.contentDigest)), "
            out += "merge_any \(s.mergeAny ? "yes" : "no"), mergeable \(s.mergeable ? "yes" : "no"), "
            out +=
                "rmap_items \(s.rmapItems), merging_pages \(s.mergingPages), zero_pages \(s.zeroPages), profit \(s.processProfit)\n"
            if !p.vmas.isEmpty {
                let huge = p.vmas.contains { $0.rssKB != nil || $0.anonHugeKB != nil }
                let rows = p.vmas.map { v in
                    ["\(v.start)-\(v.end)", "\(v.end - v.start)"]
                        + (huge ? ["\(v.rssKB.map(String.init) ?? "-")", "\(v.anonHugeKB.map(String.init) ?? "-")"] : [])
                        + [v.flags.joined(separator: " "), "\(v.ksmKB)"]
                }
                let header = ["pages", "count"] + (huge ? ["Rss kB", "AnonHuge kB"] : []) + ["flags", "KSM kB"]
                out += TextTable.render(header: header, rows: rows, indent: "  ")
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

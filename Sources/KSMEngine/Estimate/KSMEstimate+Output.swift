extension KSMEstimate {
    /// The estimate as `ksmd-sim estimate --json` prints it (see docs/estimate.md).
    public var json: JSON {
        func exclusionsJSON(_ list: [Exclusion]) -> JSON {
            .array(
                list.map {
                    .object([
                        ("reason", .string($0.reason)), ("vmas", .int($0.vmas)), ("pages", .int($0.pages)),
                        ("resident_pages", .int($0.residentPages)),
                    ])
                })
        }
        var zero: [(String, JSON)]
        switch zeroPage {
        case .pfn(let pfn): zero = [("detection", .string("pfn")), ("pfn", .int(Int(pfn)))]
        case .pfnsHidden: zero = [("detection", .string("pfns-hidden"))]
        case .noZeroPage: zero = [("detection", .string("none"))]
        case .notRecorded(let skipped):
            zero = [("detection", .string("not-recorded")), ("zero_filled_pages", .string(skipped ? "skipped" : "counted"))]
        }
        let rangeJSON: JSON =
            range.map { .object([("start", .string(Self.hex($0.lowerBound))), ("end", .string(Self.hex($0.upperBound)))]) }
            ?? .null
        return .object([
            ("rules", .string(rules)),
            ("range", rangeJSON),
            ("zero_page", .object(zero)),
            ("full_scans", .int(counters.fullScans)),
            ("full_scans_to_converge", .int(fullScansToConverge)),
            ("converged", .bool(converged)),
            ("ksm", .object(counters.fields.map { ($0.0, .int($0.1)) })),
            ("eligible_pages", .int(eligiblePages)),
            ("saved_bytes", .int(savedBytes)),
            ("general_profit", .int(counters.generalProfit)),
            ("excluded_vmas", exclusionsJSON(exclusions)),
            (
                "processes",
                .array(
                    processes.map { p in
                        .object([
                            ("pid", .int(Int(p.pid))), ("command", .string(p.command)), ("vmas", .int(p.vmas)),
                            ("eligible_vmas", .int(p.eligibleVMAs)), ("eligible_pages", .int(p.eligiblePages)),
                            ("ksm_merging_pages", .int(p.mergingPages)), ("ksm_zero_pages", .int(p.ksmZeroPages)),
                            ("ksm_rmap_items", .int(p.rmapItems)), ("ksm_process_profit", .int(p.processProfit)),
                            ("zero_page_mappings", .int(p.zeroPageMappings)), ("zero_filled_pages", .int(p.zeroFilledPages)),
                            ("swapped_pages", .int(p.swappedPages)), ("not_exclusive_pages", .int(p.notExclusivePages)),
                            ("vanished_pages", .int(p.vanishedPages)), ("excluded_vmas", exclusionsJSON(p.exclusions)),
                        ])
                    })
            ),
        ])
    }

    /// The estimate as readable tables, with notes on what it could not see.
    public var text: String {
        var out = "KSM estimate: \(processes.count) process\(processes.count == 1 ? "" : "es"), rules \(rules), "
        out += "PR_SET_MEMORY_MERGE on, default knobs (use_zero_pages 0)\n"
        if let range { out += "range: \(Self.hex(range.lowerBound))-\(Self.hex(range.upperBound))\n" }
        switch zeroPage {
        case .pfn(let pfn): out += "zero page: PFN \(Self.hex(pfn)); pages mapping it are skipped, as ksmd skips them\n"
        case .pfnsHidden: out += "zero page: PFNs hidden (no CAP_SYS_ADMIN); all-zero pages count as ordinary pages\n"
        case .noZeroPage: out += "zero page: none mapped by read faults here; nothing to skip\n"
        case .notRecorded(true):
            out += "zero page: a core file does not say which pages were present; all-zero anonymous pages are skipped\n"
        case .notRecorded(false):
            out +=
                "zero page: a core file does not say which pages were present; all-zero anonymous pages count as written zeros\n"
        }
        out += "\n"
        out += TextTable.render(
            header: [
                "pid", "command", "VMAs", "eligible VMAs", "eligible pages", "merging pages", "ksm_zero_pages", "process_profit",
            ],
            rows: processes.map {
                [
                    "\($0.pid)", $0.command.isEmpty ? "-" : $0.command, "\($0.vmas)", "\($0.eligibleVMAs)", "\($0.eligiblePages)",
                    "\($0.mergingPages)", "\($0.ksmZeroPages)", "\($0.processProfit)",
                ]
            }, indent: "  ")
        let ex = exclusions
        if !ex.isEmpty {
            out += "\nexcluded VMAs (first excluded flag, kernel order)\n"
            out += TextTable.render(
                header: ["reason", "VMAs", "pages", "resident pages"],
                rows: ex.map { [$0.reason, "\($0.vmas)", "\($0.pages)", "\($0.residentPages)"] }, indent: "  ")
        }
        out += "\nafter \(counters.fullScans) simulated full scan\(counters.fullScans == 1 ? "" : "s") "
        out += converged ? "(settled after \(fullScansToConverge))\n" : "(NOT converged: the counters still changed)\n"
        out += TextTable.render(
            header: ["counter", "value"],
            rows: [
                ["pages_shared", "\(counters.pagesShared)"], ["pages_sharing", "\(counters.pagesSharing)"],
                ["pages_unshared", "\(counters.pagesUnshared)"], ["ksm_zero_pages", "\(counters.ksmZeroPages)"],
                ["stable_node_chains", "\(counters.stableNodeChains)"], ["stable_node_dups", "\(counters.stableNodeDups)"],
                ["eligible pages", "\(eligiblePages)"],
                [
                    "saved bytes",
                    "\(savedBytes) (\(Self.readableSize(savedBytes)); \(NumberText.percent(counters.pagesSharing + counters.ksmZeroPages, of: eligiblePages)) of eligible)",
                ],
                ["general_profit", "\(counters.generalProfit) (\(Self.readableSize(counters.generalProfit)))"],
            ], indent: "  ")
        let notes = self.notes
        if !notes.isEmpty {
            out += "\nnotes\n"
            for n in notes { out += "  - \(n)\n" }
        }
        return out
    }

    /// How `n` equal pages merge with the default knobs: like any equal pages, at most
    /// `max_page_sharing` (256) mappings to a KSM page, so 1,024 make four KSM pages, not one.
    static func zeroMerge(_ n: Int) -> String {
        let perPage = KSMKnobs().maxPageSharing
        let ksmPages = n / perPage + (n % perPage >= 2 ? 1 : 0)
        let leftOver = n % perPage == 1 ? 1 : 0
        guard ksmPages > 0 else { return "with nothing (no other page is equal)" }
        return "like other equal pages, at most \(perPage) (max_page_sharing) to a KSM page: into "
            + (ksmPages == 1 ? "one KSM page" : "\(ksmPages) KSM pages") + (leftOver == 1 ? ", one left unmerged" : "")
    }

    /// What the numbers leave out, one sentence each (only the ones that apply).
    public var notes: [String] {
        func sum(_ f: (Process) -> Int) -> Int { processes.reduce(0) { $0 + f($1) } }
        var notes: [String] = []
        if !converged { notes.append("the counters still changed after \(counters.fullScans) full scans") }
        let zeroMapped = sum(\.zeroPageMappings)
        if case .notRecorded = zeroPage {
            if zeroMapped > 0 {
                notes.append(
                    "\(zeroMapped) all-zero page\(zeroMapped == 1 ? "" : "s") of anonymous memory taken for absent pages or zero-page "
                        + "mappings and skipped (written zeros would merge: --zero-filled-pages counted counts them)")
            }
        } else if zeroMapped > 0 {
            notes.append(
                "\(zeroMapped) page\(zeroMapped == 1 ? " maps" : "s map") the shared zero page: skipped, as ksmd skips them")
        }
        let zeros = sum(\.zeroFilledPages)
        if case .pfnsHidden = zeroPage {
            notes.append(
                "PFNs are hidden without CAP_SYS_ADMIN, so zero-page mappings (read faults) cannot be told from written pages: "
                    + "the \(zeros) all-zero pages count as ordinary pages and merge \(Self.zeroMerge(zeros)); run as root for an exact count"
            )
        } else if zeros > 0 {
            notes.append(
                "\(zeros) eligible page\(zeros == 1 ? " is" : "s are") written zeros: with use_zero_pages 0 \(zeros == 1 ? "it merges" : "they merge") \(Self.zeroMerge(zeros))"
            )
        }
        let swapped = sum(\.swappedPages)
        if swapped > 0 {
            notes.append("\(swapped) swapped-out pages are not counted: ksmd scans a page only when it is back in memory")
        }
        let shared = sum(\.notExclusivePages)
        if shared > 0 {
            notes.append(
                "\(shared) eligible pages are not mapped by their process alone (shared since fork, or KSM pages already): "
                    + "each mapping counts as a page, so the saving may be overestimated")
        }
        let vanished = sum(\.vanishedPages)
        if vanished > 0 {
            notes.append(
                "\(vanished) pages could not be read (gone from a live process, unreadable when captured, or not dumped) and are not counted"
            )
        }
        return notes + sourceNotes
    }

    static func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }

    /// `"1.5 MiB"`, or KiB below one MiB.
    static func readableSize(_ bytes: Int) -> String {
        let (unit, size) = abs(bytes) >= 1 << 20 ? ("MiB", 1_048_576.0) : ("KiB", 1024.0)
        return "\((Double(bytes) / size * 10).rounded() / 10) \(unit)"
    }

}

/// Compares two runs of one scenario report by report (simulator against host kernel, two rule
/// sets, two index modes), field by field.
public enum ReportComparison {
    /// Every difference, one line each (empty when the runs agree).
    ///
    /// The time fields (``Report/simulatedSeconds``, ``Report/ksmdCPUSeconds``) are not compared:
    /// the host kernel's are wall-clock and CPU measurements, different on every run.
    public static func differences(_ a: [Report], _ b: [Report], names: (String, String) = ("simulator", "kernel")) -> [String] {
        var out: [String] = []
        if a.count != b.count { out.append("\(names.0) has \(a.count) reports, \(names.1) \(b.count)") }
        for (ra, rb) in zip(a, b) {
            let at = "report \"\(ra.label)\""
            for ((name, va), (_, vb)) in zip(ra.ksm.fields, rb.ksm.fields) where va != vb {
                out.append("\(at): \(name) \(va) (\(names.0)) vs \(vb) (\(names.1))")
            }
            if ra.thp != rb.thp {
                if let ta = ra.thp, let tb = rb.thp {
                    for ((name, va), (_, vb)) in zip(ta.fields, tb.fields) where va != vb {
                        out.append("\(at): \(name) \(va) (\(names.0)) vs \(vb) (\(names.1))")
                    }
                } else {
                    out.append("\(at): thp events reported by \(ra.thp == nil ? names.1 : names.0) only")
                }
            }
            let pa = ra.processes.map(\.name)
            let pb = rb.processes.map(\.name)
            if pa != pb { out.append("\(at): processes \(pa) vs \(pb)") }
            for (x, y) in zip(ra.processes, rb.processes) where x.name == y.name {
                let w = "\(at), process \(x.name)"
                let sx = x.ksmStat
                let sy = y.ksmStat
                for (field, u, v) in [
                    ("ksm_rmap_items", sx.rmapItems, sy.rmapItems), ("ksm_zero_pages", sx.zeroPages, sy.zeroPages),
                    ("ksm_merging_pages", sx.mergingPages, sy.mergingPages),
                    ("ksm_process_profit", sx.processProfit, sy.processProfit),
                ] where u != v {
                    out.append("\(w): \(field) \(u) vs \(v)")
                }
                if sx.mergeAny != sy.mergeAny { out.append("\(w): ksm_merge_any \(sx.mergeAny) vs \(sy.mergeAny)") }
                if sx.mergeable != sy.mergeable { out.append("\(w): ksm_mergeable \(sx.mergeable) vs \(sy.mergeable)") }
                if x.vmas != y.vmas {
                    func show(_ v: [VMAReport]) -> String {
                        v.map {
                            "\($0.start)-\($0.end) [\($0.flags.joined(separator: " "))] ksm \($0.ksmKB)kB"
                                + ($0.rssKB.map { " rss \($0)kB" } ?? "") + ($0.anonHugeKB.map { " anon_huge \($0)kB" } ?? "")
                        }.joined(
                            separator: "; ")
                    }
                    out.append("\(w): VMAs\n    \(names.0): \(show(x.vmas))\n    \(names.1): \(show(y.vmas))")
                }
                if x.contentDigest != y.contentDigest { out.append("\(w): content digests differ") }
            }
        }
        return out
    }
}

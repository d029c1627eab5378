/// The tunables of `/sys/kernel/mm/ksm`, with the kernel's defaults.
public struct KSMKnobs: Hashable, Sendable {
    /// `run`: 0 stop, 1 run, 2 unmerge everything.
    public internal(set) var run = 0
    /// `pages_to_scan`: pages ksmd scans per batch (0 to 2^32 - 1; refused while the advisor runs).
    public internal(set) var pagesToScan = 100
    /// `sleep_millisecs`: ksmd's sleep between batches, in milliseconds (0 to 2^32 - 1).
    public internal(set) var sleepMillisecs = 20
    /// `max_page_sharing`: the most mappings one KSM page takes before a stable-node chain gets another
    /// dup (2 or more; only while no KSM page exists).
    public internal(set) var maxPageSharing = 256
    /// `merge_across_nodes`: whether pages of different NUMA nodes merge (one node here; only while no
    /// KSM page exists).
    public internal(set) var mergeAcrossNodes = true
    /// `use_zero_pages`: whether empty pages are merged with the kernel's zero page instead of a KSM
    /// page (counted in `ksm_zero_pages`).
    public internal(set) var useZeroPages = false
    /// `smart_scan`: whether ksmd skips, for a growing number of passes, pages that did not merge.
    public internal(set) var smartScan = true
    /// `stable_node_chains_prune_millisecs`: how often stable-node chains are pruned of stale dups, in
    /// (simulated) milliseconds.
    public internal(set) var stableNodeChainsPruneMillisecs = 2000
    /// `advisor_mode`: `none` or `scan-time`.
    public internal(set) var advisorScanTime = false
    /// `advisor_max_cpu`: the scan-time advisor's CPU limit for ksmd, in percent.
    public internal(set) var advisorMaxCPU = 70
    /// `advisor_min_pages_to_scan`: the least pages_to_scan the advisor sets.
    public internal(set) var advisorMinPagesToScan = 500
    /// `advisor_max_pages_to_scan`: the most pages_to_scan the advisor sets.
    public internal(set) var advisorMaxPagesToScan = 30000
    /// `advisor_target_scan_time`: the time a full scan should take under the advisor, in seconds
    /// (1 or more).
    public internal(set) var advisorTargetScanTime = 200

    /// The kernel's defaults, as at boot: ksmd stopped (`run` 0).
    public init() {}

    /// The knobs by sysfs name, as reports and the host runner spell them.
    public var sysfs: [(String, String)] {
        [
            ("run", "\(run)"), ("pages_to_scan", "\(pagesToScan)"), ("sleep_millisecs", "\(sleepMillisecs)"),
            ("max_page_sharing", "\(maxPageSharing)"), ("merge_across_nodes", mergeAcrossNodes ? "1" : "0"),
            ("use_zero_pages", useZeroPages ? "1" : "0"), ("smart_scan", smartScan ? "1" : "0"),
            ("stable_node_chains_prune_millisecs", "\(stableNodeChainsPruneMillisecs)"),
            ("advisor_mode", advisorScanTime ? "scan-time" : "none"), ("advisor_max_cpu", "\(advisorMaxCPU)"),
            ("advisor_min_pages_to_scan", "\(advisorMinPagesToScan)"),
            ("advisor_max_pages_to_scan", "\(advisorMaxPagesToScan)"),
            ("advisor_target_scan_time", "\(advisorTargetScanTime)"),
        ]
    }
}

/// A knob value as written to sysfs: an unsigned integer, a boolean, or a word.
public enum KnobValue: Hashable, Sendable {
    /// An integer, written in decimal.
    case int(Int)
    /// A boolean, written as `1` or `0`.
    case bool(Bool)
    /// A word, written as is (`advisor_mode`'s `none` or `scan-time`).
    case word(String)

    /// The text written to the sysfs file.
    public var sysfsText: String {
        switch self {
        case .int(let n): "\(n)"
        case .bool(let b): b ? "1" : "0"
        case .word(let w): w
        }
    }

    /// Decodes a scenario's JSON knob value (already type-checked by the decoder).
    public init?(_ json: JSON) {
        switch json {
        case .int(let n): self = .int(n)
        case .bool(let b): self = .bool(b)
        case .string(let s): self = .word(s)
        default: return nil
        }
    }

    var integer: Int? {
        switch self {
        case .int(let n): n
        case .bool(let b): b ? 1 : 0
        case .word: nil
        }
    }
}

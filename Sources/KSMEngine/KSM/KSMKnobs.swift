/// The tunables of `/sys/kernel/mm/ksm`, with the kernel's defaults.
public struct KSMKnobs: Hashable, Sendable {
    /// `run`: 0 stop, 1 run, 2 unmerge everything.
    public internal(set) var run = 0
    public internal(set) var pagesToScan = 100
    public internal(set) var sleepMillisecs = 20
    public internal(set) var maxPageSharing = 256
    public internal(set) var mergeAcrossNodes = true
    public internal(set) var useZeroPages = false
    public internal(set) var smartScan = true
    public internal(set) var stableNodeChainsPruneMillisecs = 2000
    /// `advisor_mode`: `none` or `scan-time`.
    public internal(set) var advisorScanTime = false
    public internal(set) var advisorMaxCPU = 70
    public internal(set) var advisorMinPagesToScan = 500
    public internal(set) var advisorMaxPagesToScan = 30000
    public internal(set) var advisorTargetScanTime = 200

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
    case int(Int)
    case bool(Bool)
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

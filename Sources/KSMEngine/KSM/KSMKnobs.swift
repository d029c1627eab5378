/// The tunables of `/sys/kernel/mm/ksm`, with the kernel's defaults.
///
/// A value: read it with ``SimulatedKernel/ksmKnobs``, change properties, and apply the whole of
/// it with ``SimulatedKernel/setKSMKnobs(_:)``, which checks every knob as the kernel's sysfs store
/// functions do (``KSMKnobs/allowed(_:)`` says what each accepts) and changes nothing when one is
/// refused.
///
/// ```swift
/// var knobs = kernel.ksmKnobs
/// knobs.pagesToScan = 1000
/// knobs.useZeroPages = true
/// try kernel.setKSMKnobs(knobs)   // throws KnobError naming the knob, value and range
/// ```
public struct KSMKnobs: Hashable, Sendable {
    /// `run`: 0 stop, 1 run, 2 unmerge everything (0...2).
    public var run = 0
    /// `pages_to_scan`: pages ksmd scans per wake-up (0...2^32-1; managed by the advisor while
    /// `advisor_mode` is `scan-time`).
    public var pagesToScan = 100
    /// `sleep_millisecs`: ksmd's sleep between wake-ups (0...2^32-1).
    public var sleepMillisecs = 20
    /// `max_page_sharing`: the most mappings of one KSM page (2...2^31-1); changes only while no
    /// KSM page exists.
    public var maxPageSharing = 256
    /// `merge_across_nodes`: merge pages of different NUMA nodes; changes only while no KSM page
    /// exists.
    public var mergeAcrossNodes = true
    /// `use_zero_pages`: replace zero-filled pages by the zero page instead of merging them.
    public var useZeroPages = false
    /// `smart_scan`: skip pages that did not merge, with back-off.
    public var smartScan = true
    /// `stable_node_chains_prune_millisecs`: how often stale stable-node chains are pruned
    /// (0...2^32-1).
    public var stableNodeChainsPruneMillisecs = 2000
    /// `advisor_mode`: `none` (false) or `scan-time` (true). Turning it on sets `pages_to_scan` to
    /// `advisor_min_pages_to_scan`; turning it off sets it to 100.
    public var advisorScanTime = false
    /// `advisor_max_cpu`: the advisor's CPU limit in percent (0...2^32-1).
    public var advisorMaxCPU = 70
    /// `advisor_min_pages_to_scan` (0...2^32-1).
    public var advisorMinPagesToScan = 500
    /// `advisor_max_pages_to_scan` (0...2^32-1).
    public var advisorMaxPagesToScan = 30000
    /// `advisor_target_scan_time`: the advisor's target seconds per full scan (1...2^32-1).
    public var advisorTargetScanTime = 200

    /// The kernel's defaults.
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

extension KSMKnobs {
    /// Every knob's sysfs name, in the order of ``sysfs``.
    public static let names: [String] = KSMKnobs().sysfs.map(\.0)

    /// The integer values the kernel's store function accepts for each numeric knob (booleans are
    /// 0...1).
    static let ranges: [String: ClosedRange<Int>] = [
        "run": 0...2, "pages_to_scan": 0...Int(UInt32.max), "sleep_millisecs": 0...Int(UInt32.max),
        "max_page_sharing": 2...Int(Int32.max), "merge_across_nodes": 0...1, "use_zero_pages": 0...1,
        "smart_scan": 0...1, "stable_node_chains_prune_millisecs": 0...Int(UInt32.max),
        "advisor_max_cpu": 0...Int(UInt32.max), "advisor_min_pages_to_scan": 0...Int(UInt32.max),
        "advisor_max_pages_to_scan": 0...Int(UInt32.max), "advisor_target_scan_time": 1...Int(UInt32.max),
    ]

    /// The words `advisor_mode` accepts.
    static let advisorModes = ["none", "scan-time"]

    /// Checks a write of `value` to knob `name` as the kernel's sysfs store function checks it
    /// apart from the machine's state (EBUSY while KSM pages exist, `pages_to_scan` while the
    /// advisor runs): the knob exists and the value is in its range.
    /// - Throws: ``KnobError``: ``Errno/ENOENT`` for no such knob, ``Errno/EINVAL`` for a value
    ///   it refuses.
    public static func check(_ name: String, _ value: KnobValue) throws(KnobError) {
        guard let allowed = allowed(name) else {
            throw KnobError(knob: name, value: value.sysfsText, allowed: names.joined(separator: ", "), errno: .ENOENT)
        }
        let ok: Bool
        if name == "advisor_mode" {
            if case .word(let w) = value { ok = advisorModes.contains(w) } else { ok = false }
        } else {
            ok = value.integer.map { ranges[name]?.contains($0) == true } ?? false
        }
        guard ok else { throw KnobError(knob: name, value: value.sysfsText, allowed: allowed, errno: .EINVAL) }
    }

    /// What the kernel accepts for knob `name`, as text: a range such as `"2...2147483647"`, or
    /// `"none or scan-time"`; `nil` when there is no such knob.
    public static func allowed(_ name: String) -> String? {
        if name == "advisor_mode" { return advisorModes.joined(separator: " or ") }
        return ranges[name].map { "\($0.lowerBound)...\($0.upperBound)" }
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

/// ksmtuned's tuning policy, as Debian's `ksmtuned` script (package ksmtuned 4.20150326,
/// `/usr/sbin/ksmtuned`) implements it: every monitor interval it compares free memory with a
/// threshold and starts ksmd with more or fewer pages per batch, or stops it.
///
/// A value: the configuration (`/etc/ksmtuned.conf`), what the script computes once at start
/// (`sleep`, `thres`) and what it keeps between intervals (`npages`). ``adjust(freeKiB:committedKiB:)``
/// is the script's `adjust()` with its integer arithmetic; ``SimulatedKernel/startKSMTuned(_:)``
/// runs it on the simulated clock, feeding it the simulated machine's memory.
///
/// ```swift
/// var tuned = try KSMTuned(KSMTuned.Config(memTotalKiB: 16 << 20))
/// tuned.sleepMillisecs                                   // 10: a 16 GiB host
/// tuned.adjust(freeKiB: 1 << 20, committedKiB: 15 << 20) // boost: pages_to_scan 300, run=1
/// ```
public struct KSMTuned: Hashable, Sendable {
    /// `/etc/ksmtuned.conf`: the script's variables, with its defaults (lines 32-43), and the host's
    /// `MemTotal`.
    public struct Config: Hashable, Sendable {
        /// `KSM_MONITOR_INTERVAL`: seconds between adjustments (default 60), 1...1,000,000.
        public var monitorInterval = 60
        /// `KSM_NPAGES_BOOST`: added to `pages_to_scan` while free memory is below the threshold
        /// (default 300), -2^32...2^32.
        public var npagesBoost = 300
        /// `KSM_NPAGES_DECAY`: added to `pages_to_scan` while it is not (default -50), -2^32...2^32.
        public var npagesDecay = -50
        /// `KSM_NPAGES_MIN`: the smallest `pages_to_scan` written (default 64), 0...2^32-1.
        public var npagesMin = 64
        /// `KSM_NPAGES_MAX`: the largest `pages_to_scan` written (default 1250), 0...2^32-1.
        public var npagesMax = 1250
        /// `KSM_SLEEP_MSEC`: `sleep_millisecs` for a 16 GiB host (default 10), scaled by
        /// 16 GiB / `MemTotal`; 0...2^32-1.
        public var sleepMsec = 10
        /// `KSM_THRES_COEF`: the free-memory threshold in percent of `MemTotal` (default 20),
        /// 0...100.
        public var thresCoef = 20
        /// `KSM_THRES_CONST`: the threshold's floor in KiB (default 2048), 0...2^40.
        public var thresConst = 2048
        /// `MemTotal` of `/proc/meminfo` in KiB: the simulated host's memory, 1...2^40
        /// (1 PiB).
        public var memTotalKiB: Int

        /// The script's defaults on a host of `memTotalKiB` KiB.
        public init(memTotalKiB: Int) { self.memTotalKiB = memTotalKiB }

        /// The accepted values of each setting, by its scenario name (the script's variable,
        /// lower-cased, without `KSM_`; `mem_total_kib` for `MemTotal`). They keep the script's
        /// 64-bit shell arithmetic from overflowing.
        public static let ranges: [(name: String, range: ClosedRange<Int>)] = [
            ("monitor_interval", 1...1_000_000), ("npages_boost", -(1 << 32)...(1 << 32)),
            ("npages_decay", -(1 << 32)...(1 << 32)), ("npages_min", 0...Int(UInt32.max)),
            ("npages_max", 0...Int(UInt32.max)), ("sleep_msec", 0...Int(UInt32.max)), ("thres_coef", 0...100),
            ("thres_const", 0...(1 << 40)), ("mem_total_kib", 1...(1 << 40)),
        ]

        /// The settings by scenario name, in the order of ``ranges``.
        public var values: [(String, Int)] {
            [
                ("monitor_interval", monitorInterval), ("npages_boost", npagesBoost), ("npages_decay", npagesDecay),
                ("npages_min", npagesMin), ("npages_max", npagesMax), ("sleep_msec", sleepMsec),
                ("thres_coef", thresCoef), ("thres_const", thresConst), ("mem_total_kib", memTotalKiB),
            ]
        }

        /// Checks every setting against ``ranges``.
        /// - Throws: ``ScenarioError`` naming the first setting out of range and what it accepts.
        public func validate() throws(ScenarioError) {
            for ((name, value), (_, range)) in zip(values, Self.ranges) where !range.contains(value) {
                throw ScenarioError(
                    "ksmtuned \(name) \(value) is out of range (\(range.lowerBound)...\(range.upperBound))")
            }
        }
    }

    /// What one adjustment did.
    public enum Action: String, Hashable, Sendable {
        /// `KSMCTL stop`: `run` = 0 (committed memory and the threshold fit, and memory is free).
        case stop
        /// Free memory below the threshold: `npages` grew by `KSM_NPAGES_BOOST`, ksmd started.
        case boost
        /// Free memory at or above the threshold, but committed memory and the threshold exceed
        /// `MemTotal`: `npages` grew by `KSM_NPAGES_DECAY`, ksmd started.
        case decay
    }

    /// One call of the script's `adjust()`: its inputs and the knobs it writes.
    public struct Decision: Hashable, Sendable {
        /// Stop, boost or decay.
        public var action: Action
        /// `free_memory`: `MemFree + Buffers + Cached` in KiB.
        public var freeKiB: Int
        /// `committed_memory`: the summed RSS of the guests in KiB.
        public var committedKiB: Int
        /// The knob writes, in the script's order: `run` 0 for ``Action/stop``; else
        /// `pages_to_scan`, `sleep_millisecs`, `run` 1 (`KSMCTL start`, lines 63-66).
        public var writes: [KnobSetting]
        /// The writes the kernel refused (the script's `echo` fails, prints an error and goes on
        /// with the next write), e.g. `pages_to_scan` while `advisor_mode` is `scan-time`; filled
        /// in by ``SimulatedKernel`` when it applies the writes.
        public var refused: [KnobError] = []
    }

    /// The configuration.
    public let config: Config
    /// `sleep`: `KSM_SLEEP_MSEC * 16 * 1024 * 1024 / total`, at least 10 (lines 49-50), computed
    /// once at start.
    public let sleepMillisecs: Int
    /// `thres`: `total * KSM_THRES_COEF / 100`, at least `KSM_THRES_CONST` (lines 52-55), in KiB.
    public let thresholdKiB: Int
    /// `npages`: the `pages_to_scan` last written, 0 at start (line 48).
    public private(set) var npages = 0
    /// Adjustments so far that stopped ksmd, boosted `npages`, decayed it.
    public private(set) var stops = 0, boosts = 0, decays = 0

    /// The script as it starts: computes `sleep` and `thres` from `MemTotal`.
    /// - Throws: ``ScenarioError`` when a setting is out of ``Config/ranges``.
    public init(_ config: Config) throws(ScenarioError) {
        try config.validate()
        self.config = config
        let total = config.memTotalKiB
        var sleep = config.sleepMsec * 16 * 1024 * 1024 / total  // line 49: bash integer division
        if sleep <= 10 { sleep = 10 }  // line 50: [ $sleep -le 10 ] && sleep=10
        sleepMillisecs = sleep
        var thres = total * config.thresCoef / 100  // line 52
        if config.thresConst > thres { thres = config.thresConst }  // lines 53-55
        thresholdKiB = thres
    }

    /// `increase_npages()` (lines 84-94): adds `delta`, then clamps to `KSM_NPAGES_MIN` (checked
    /// first) and `KSM_NPAGES_MAX`.
    mutating func increaseNpages(_ delta: Int) {
        npages += delta
        if npages < config.npagesMin {
            npages = config.npagesMin
        } else if npages > config.npagesMax {
            npages = config.npagesMax
        }
    }

    /// `adjust()` (lines 97-118) on the memory the script reads.
    ///
    /// When `committed + thres < total` and `free > thres`, it stops ksmd (`run` = 0) and leaves
    /// `npages` alone. Otherwise `npages` grows by `KSM_NPAGES_BOOST` when `free < thres`, else by
    /// `KSM_NPAGES_DECAY` (so `free == thres` decays), is clamped, and ksmd starts with it and
    /// ``sleepMillisecs``.
    /// - Parameters:
    ///   - freeKiB: `free_memory()` (lines 79-82): `MemFree + Buffers + Cached`.
    ///   - committedKiB: `committed_memory()` (lines 71-77): the summed `ps -o rsz` of the guests.
    public mutating func adjust(freeKiB: Int, committedKiB: Int) -> Decision {
        let thres = thresholdKiB
        if committedKiB + thres < config.memTotalKiB && freeKiB > thres {  // line 102
            stops += 1
            return Decision(
                action: .stop, freeKiB: freeKiB, committedKiB: committedKiB,
                writes: [KnobSetting(name: "run", value: .int(0))])
        }
        let action: Action = freeKiB < thres ? .boost : .decay  // line 108
        if action == .boost { boosts += 1 } else { decays += 1 }
        increaseNpages(action == .boost ? config.npagesBoost : config.npagesDecay)
        return Decision(
            action: action, freeKiB: freeKiB, committedKiB: committedKiB,
            writes: [
                KnobSetting(name: "pages_to_scan", value: .int(npages)),
                KnobSetting(name: "sleep_millisecs", value: .int(sleepMillisecs)),
                KnobSetting(name: "run", value: .int(1)),
            ])
    }
}

/// How a write fills its pages.
public enum Fill: Hashable, Sendable {
    /// Every byte `B`.
    case byte(UInt8)
    /// Page i of the write gets class `i mod classes` of `namespace`: equal (namespace, class) pairs
    /// give equal bytes anywhere in the scenario, different pairs different bytes, never all zero.
    case classes(Int, namespace: String)
    /// Bytes no other page of the scenario has.
    case unique
}

/// What a mapping step maps, as the scenario spells it.
public struct MapSpec: Hashable, Sendable {
    /// The `"map"` value: `private-anon`, `shared-anon`, `private-shmem`, `shared-shmem`,
    /// `private-file`, `shared-file`, `private-dax`, `shared-dax`, `device`.
    public var map: String
    /// The request the simulator executes.
    public var request: MapRequest

    /// The mapping kinds a scenario names, by `"map"` value.
    public static let maps = [
        "private-anon", "shared-anon", "private-shmem", "shared-shmem", "private-file", "shared-file", "private-dax",
        "shared-dax", "device",
    ]

    /// `private-anon`: private anonymous memory.
    public static let privateAnonymous = MapSpec(map: "private-anon", request: .privateAnonymous)
    /// `shared-anon`: shared anonymous memory (a new shmem object per mapping).
    public static let sharedAnonymous = MapSpec(map: "shared-anon", request: .sharedAnonymous)

    init(map: String, request: MapRequest) {
        self.map = map
        self.request = request
    }

    /// A mapping as a scenario file's `mmap` step describes it, checked as the decoder checks one.
    ///
    /// - Parameters:
    ///   - map: One of ``maps``.
    ///   - file: The object's name (shmem, file, DAX, device; defaults `"shmem"`, `"file"`, `"dax"`,
    ///     `"device"`); mappings of one name share one object. `"/dev/zero"` as a `file` maps the
    ///     zero device: private, an anonymous-like VMA; shared, shared anonymous memory.
    ///   - driver: For files, how the filesystem maps them: ``FileDriver/mmapPrepare`` (default)
    ///     or ``FileDriver/mmap``.
    ///   - offset: The file offset in pages, 0...2^40 (ignored for anonymous memory).
    ///   - noReserve: `MAP_NORESERVE`.
    ///   - shared: For `device` only: `MAP_SHARED` (default) or private.
    ///   - driverFlags: For `device` only: the flags its driver's `.mmap` hook adds (default
    ///     `VM_IO`, `VM_PFNMAP`, `VM_DONTEXPAND`, `VM_DONTDUMP`).
    /// - Throws: ``ScenarioError`` for an unknown `map`, a field the kind does not take, an empty
    ///   file name, or an offset out of range.
    public init(
        _ map: String, file: String? = nil, driver: FileDriver? = nil, offset: Int = 0, noReserve: Bool = false,
        shared: Bool? = nil, driverFlags: VMFlags? = nil
    ) throws(ScenarioError) {
        let kind: String
        let isShared: Bool
        if map == "device" {
            kind = "device"
            isShared = shared ?? true
        } else if Self.maps.contains(map) {
            isShared = map.hasPrefix("shared-")
            kind = String(map.drop(while: { $0 != "-" }).dropFirst())
            if shared != nil { throw ScenarioError("\"shared\" is for device mappings; \(map) says it in its name") }
        } else {
            throw ScenarioError("unknown map \"\(map)\" (\(Self.maps.joined(separator: ", ")))")
        }
        if kind == "anon" && file != nil { throw ScenarioError("\(map) mappings have no file") }
        if kind != "file" && driver != nil { throw ScenarioError("only file mappings take a \"driver\"") }
        if kind != "device" && driverFlags != nil { throw ScenarioError("only device mappings take \"driver_flags\"") }
        if file?.isEmpty == true { throw ScenarioError("\"file\" must not be empty") }
        try ScenarioLimits.check("offset", offset, ScenarioLimits.offset)
        var request: MapRequest
        switch kind {
        case "anon":
            request = MapRequest(backing: .anonymous, shared: isShared)
        case "shmem":
            request = MapRequest(backing: .shmem, shared: isShared, file: file ?? "shmem", offset: offset)
        case "file":
            let name = file ?? "file"
            if name == "/dev/zero" {
                if driver != nil && driver != .mmap { throw ScenarioError("/dev/zero's driver is \"mmap\"") }
                // MAP_SHARED of /dev/zero is shared anonymous memory (shmem_zero_setup()).
                request =
                    isShared ? .sharedAnonymous : MapRequest(backing: .file(.mmap), shared: false, file: name, offset: offset)
            } else {
                request = MapRequest(backing: .file(driver ?? .mmapPrepare), shared: isShared, file: name, offset: offset)
            }
        case "dax":
            request = MapRequest(backing: .dax, shared: isShared, file: file ?? "dax", offset: offset)
        default:
            request = MapRequest(
                backing: .device(driverFlags ?? [.io, .pfnMap, .dontExpand, .dontDump]), shared: isShared,
                file: file ?? "device", offset: offset)
        }
        request.noReserve = noReserve
        self.init(map: map, request: request)
    }

    /// Checks `map` and the request's offset as ``init(_:file:driver:offset:noReserve:shared:driverFlags:)`` does.
    /// - Throws: ``ScenarioError`` for an unknown map or an offset out of range.
    public func validate() throws(ScenarioError) {
        guard Self.maps.contains(map) else {
            throw ScenarioError("unknown map \"\(map)\" (\(Self.maps.joined(separator: ", ")))")
        }
        try ScenarioLimits.check("offset", request.offset, ScenarioLimits.offset)
    }
}

/// One scenario step.
public enum StepAction: Hashable, Sendable {
    /// `spawn`: a new process with an empty window, under this name.
    case spawn(String)
    /// `fork`: the named process forks; `child` names the new one.
    case fork(String, child: String)
    /// `exec`: the process replaces its address space with an empty one.
    case exec(String)
    /// `exit`: the process exits.
    case exit(String)
    /// `prctl`: `PR_SET_MEMORY_MERGE` on or off.
    case prctl(String, memoryMerge: Bool)
    /// `mmap`: a mapping at page `at` (`MAP_FIXED_NOREPLACE`), or where the kernel chooses when `nil`.
    case mmap(String, at: Int?, pages: Int, prot: Protection, MapSpec)
    /// `munmap` of a page range.
    case munmap(String, at: Int, pages: Int)
    /// `mprotect` of a page range.
    case mprotect(String, at: Int, pages: Int, prot: Protection)
    /// `madvise` of a page range.
    case madvise(String, at: Int, pages: Int, advice: Advice)
    /// `brk`: sets the heap's size to `pages` pages.
    case brk(String, pages: Int)
    /// `write`: a forced write of a page range (as through `/proc/PID/mem`), its bytes made by `fill`.
    case write(String, at: Int, pages: Int, fill: Fill)
    /// `scan`: ksmd runs until that many more full scans have completed, then stops.
    case scan(fullScans: Int)
    /// `ksm_run`: writes the `run` knob (0 stop, 1 run, 2 unmerge everything).
    case ksmRun(Int)
    /// `ksm`: writes knobs in order, with the kernel's checks.
    case ksmKnobs([KnobSetting])
    /// `report`: records a ``Report`` under this label.
    case report(String)
    /// Simulated time passes: ksmd runs its batches if run=1, mutators write.
    case runFor(seconds: Double)
    /// A mutator rewriting random pages of a range at `rate` pages per simulated second (0 stops
    /// the process's mutators on that range).
    case mutator(String, at: Int, pages: Int, rate: Double)
    /// `ksmtuned`: starts (or restarts) ksmtuned with this configuration; during `run_for` it
    /// adjusts `run`, `pages_to_scan` and `sleep_millisecs` every monitor interval
    /// (``SimulatedKernel/startKSMTuned(_:)``).
    case ksmtuned(KSMTuned.Config)
    /// `ksmtuned_stop`: stops ksmtuned; the knobs stay as it last wrote them.
    case ksmtunedStop
    /// `load`: a new process holding the pages of a captured process (a snapshot file's or an ELF
    /// core file's) that the estimate would scan.
    case load(String, LoadSpec)
    /// `clone`: new processes, independent copies of the named one (its private anonymous VMAs and
    /// pages, not shared as by fork), each with its own seeded `drift` fraction of present pages
    /// rewritten with unique bytes, and each rewriting random pages of its VMAs at `mutationRate`
    /// pages per simulated second (0: none), as `mutator` steps would.
    case clone(String, into: [String], drift: Double, seed: Int, mutationRate: Double)

    /// The process the step acts on, if any.
    public var process: String? {
        switch self {
        case .spawn(let p), .fork(let p, _), .exec(let p), .exit(let p), .prctl(let p, _), .mmap(let p, _, _, _, _),
            .munmap(let p, _, _), .mprotect(let p, _, _, _), .madvise(let p, _, _, _), .brk(let p, _), .write(let p, _, _, _),
            .mutator(let p, _, _, _), .load(let p, _), .clone(let p, _, _, _, _):
            return p
        case .scan, .ksmRun, .ksmKnobs, .report, .runFor, .ksmtuned, .ksmtunedStop: return nil
        }
    }
}

/// What a `load` step reads, and where it puts the pages.
public struct LoadSpec: Hashable, Sendable {
    /// The kind of file.
    public enum Source: String, Hashable, Sendable {
        /// A snapshot file (`ksmd-sim capture`, ``SnapshotFile``): field `"snapshot"`.
        case snapshot
        /// An ELF core file (gdb's `gcore`, a kernel core dump, QEMU's `dump-guest-memory`): field `"core"`.
        case core
        /// A plain-text page-hash trace (docs/trace-format.md, ``SnapshotFile/load(trace:)``): field `"trace"`.
        case trace
    }

    /// Where the loaded VMAs go in the simulator's window of ``SimulatedKernel/windowPages`` pages.
    public enum Layout: String, Hashable, Sendable, CaseIterable {
        /// The default: each eligible VMA with pages becomes a VMA of just those pages, in address
        /// order, one unmapped page between VMAs, outside the heap region: the estimate's layout.
        case window
        /// At the captured addresses, each eligible VMA whole; refused when one lies beyond the
        /// window (captured x86-64 addresses reach 2^47 bytes, the window 2^40) or in the heap region.
        case captured
    }

    /// The kind of file.
    public var source: Source
    /// The file's path; a scenario file's relative paths are resolved against its directory by
    /// ``Scenario/parse(_:baseDirectory:)``, others against the working directory.
    public var path: String
    /// For a snapshot or trace of several processes, the captured pid of the one to load (a
    /// trace's processes are pids 1, 2, ... in its order).
    public var pid: Int32?
    /// Where the pages go.
    public var layout: Layout

    /// A load of `path`, read as `source`.
    public init(_ source: Source, path: String, pid: Int32? = nil, layout: Layout = .window) {
        self.source = source
        self.path = path
        self.pid = pid
        self.layout = layout
    }
}

/// One knob write: a sysfs name and a value.
public struct KnobSetting: Hashable, Sendable {
    /// The knob's sysfs name, e.g. `"pages_to_scan"`.
    public var name: String
    /// The value written.
    public var value: KnobValue
    /// Creates a knob write.
    public init(name: String, value: KnobValue) {
        self.name = name
        self.value = value
    }
}

/// A step with its place in the file and its expectation.
public struct Step: Hashable, Sendable {
    /// Position in `"steps"`, from 0.
    public var index: Int
    /// The `"op"` as written.
    public var op: String
    /// What the step does.
    public var action: StepAction
    /// The errno the step must fail with, if any.
    public var expect: Errno?
}

/// A scenario: a rule set, KSM knobs and steps, read from a file (``parse(_:)``) or built in Swift
/// (``init(rules:knobs:checking:)``).
public struct Scenario: Sendable {
    /// The eligibility rule set (`"rules"`).
    public var rules: EligibilityRules
    /// The `"ksm"` knobs, in the order written.
    public var knobs: [KnobSetting]
    /// The steps, in order; each step's ``Step/index`` is its place in the file.
    public var steps: [Step]
    /// The `"ksmtuned"` configuration: ksmtuned starts with it after the knobs, before the first
    /// step (simulator only); `nil`: it does not run unless a `ksmtuned` step starts it.
    public var ksmtuned: KSMTuned.Config?
    /// The `"thp"` settings: with them, reports carry each VMA's `rss_kb` and `anon_huge_kb` and
    /// the THP events (``Report/thp``); `nil`: no THP fields in reports.
    public var thp: THPSettings?

    /// A scenario of exactly these parts, unchecked: ``ScenarioRunner`` checks it
    /// (``validate()``) before its first step; ``init(rules:knobs:checking:)`` numbers the steps
    /// and checks them at once.
    public init(
        rules: EligibilityRules = .linux6_17, knobs: [KnobSetting] = [], ksmtuned: KSMTuned.Config? = nil,
        thp: THPSettings? = nil, steps: [Step]
    ) {
        self.thp = thp
        self.rules = rules
        self.knobs = knobs
        self.ksmtuned = ksmtuned
        self.steps = steps
    }
}

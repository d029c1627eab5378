#if canImport(Glibc)
    import Glibc
#endif

/// Identifies a simulated process.
public struct ProcessID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The number, as the kernel's pid.
    public let rawValue: Int
    /// Creates an identifier; only ``SimulatedKernel/spawn()`` and `fork` hand out ones that name a
    /// process.
    public init(_ rawValue: Int) { self.rawValue = rawValue }
    /// Orders identifiers by number, which is creation order.
    public static func < (a: ProcessID, b: ProcessID) -> Bool { a.rawValue < b.rawValue }
    /// `pid N`.
    public var description: String { "pid \(rawValue)" }
}

/// The `madvise()` advice values the model implements.
public enum Advice: String, Sendable, CaseIterable {
    /// `MADV_MERGEABLE` (12).
    case mergeable
    /// `MADV_UNMERGEABLE` (13).
    case unmergeable
    /// `MADV_DONTNEED` (4).
    case dontNeed = "dontneed"
    /// `MADV_HUGEPAGE` (14): sets `VM_HUGEPAGE` (smaps `hg`) and clears `VM_NOHUGEPAGE`.
    case hugePage = "hugepage"
    /// `MADV_NOHUGEPAGE` (15): sets `VM_NOHUGEPAGE` (smaps `nh`) and clears `VM_HUGEPAGE`.
    case noHugePage = "nohugepage"
}

/// A simulated machine: processes with Linux's VMA rules and memory, under one KSM eligibility rule
/// set.
///
/// Every process sees the same window of ``windowPages`` pages; addresses are page numbers in it.
/// The heap (`brk`) starts at ``heapBase``, and ``heapRegion`` is kept for it. Operations throw the
/// ``Errno`` the kernel would return.
///
/// ```swift
/// let k = SimulatedKernel(rules: .linux6_17)
/// let p = k.spawn()
/// try k.setMemoryMerge(p, true)
/// for i in 0..<8 { _ = try k.mmap(p, at: i, pages: 1, prot: .readWrite, .privateAnonymous) }
/// k.vmas(p).count  // 1: the new mappings merge (Linux 6.17); 8 under .linux6_4
/// ```
public final class SimulatedKernel {
    /// Pages in each process's address window (1 TiB).
    public static let windowPages = 1 << 28
    /// The first page of the heap.
    public static let heapBase = 1 << 20
    /// Pages reserved for the heap; mmap never places anything there.
    public static let heapRegion = heapBase..<(heapBase + (1 << 20))

    // Every stored property is `@exclusivity(unchecked)`, as in `KSMState`: ksmd reaches the
    // address spaces through them once per page, and every operation through the others.

    /// The eligibility rule set.
    @exclusivity(unchecked) public var rules: EligibilityRules
    /// `vm.max_map_count`.
    @exclusivity(unchecked) public var maxMapCount = 65530
    /// The most pages the simulator may hold in memory; writes that could exceed it are refused
    /// before anything is allocated. Defaults to the pages ``MemoryBudget/defaultBytes`` holds at
    /// ``MemoryBudget/bytesPerPage(_:)`` of its ``content`` each.
    @exclusivity(unchecked) public var memoryBudgetPages: Int

    /// How the simulated pages hold their contents, fixed at creation.
    public var content: PageContentMode { store.content }

    /// The pages ``MemoryBudget/defaultBytes`` holds in ``PageContentMode/bytes`` (three quarters of
    /// the memory this machine had available when first asked, at ``MemoryBudget/bytesPerPage(_:)``
    /// a page).
    public static var defaultMemoryBudgetPages: Int { MemoryBudget.pages(forBytes: MemoryBudget.defaultBytes) }

    /// Pages of memory the simulator holds now (process pages, page caches, KSM pages).
    public var residentPages: Int { store.livePages }

    let store: PageStore
    /// ksmd's state.
    let ksm = KSMState()
    /// Address spaces ksmd knows (registered, or exiting with a slot left), by `MM.id`.
    @exclusivity(unchecked) var ksmMMs: [Int: MM] = [:]
    /// The last address space `ksmMM(_:)` found: ksmd looks up the same one page after page.
    @exclusivity(unchecked) var ksmMMCache: MM?
    /// Called each time ksmd completes a full scan (after `full_scans` grew).
    @exclusivity(unchecked) public var onFullScan: (() -> Void)?
    /// Called at the end of each ksmd batch's CPU time, before its sleep: ``SimulatorBackend``
    /// notes the merge counters there, batch by batch.
    @exclusivity(unchecked) var onBatchEnd: (() -> Void)?
    /// ksmtuned, while it runs (`SimulatedKernel+KSMTuned.swift`), and when it next adjusts.
    @exclusivity(unchecked) var tuned: KSMTuned?
    @exclusivity(unchecked) var tunedNextNanos = Int.max
    @exclusivity(unchecked) var tunedLast: KSMTuned.Decision?
    @exclusivity(unchecked) var processes: [ProcessID: MM] = [:]
    @exclusivity(unchecked) var objects: [MemoryObject] = []
    @exclusivity(unchecked) var namedObjects: [String: ObjectID] = [:]
    @exclusivity(unchecked) private var nextPID = 1
    @exclusivity(unchecked) private var nextMM = 1
    /// `/sys/kernel/mm/transparent_hugepage/enabled` (default `madvise`, this machine's: without
    /// `MADV_HUGEPAGE` nothing gets a huge page).
    @exclusivity(unchecked) public var thpMode: THPMode = .madvise
    /// The transparent huge pages faulted so far; `nil` once split or freed.
    @exclusivity(unchecked) var largeFolios: [LargeFolio?] = []
    /// THP events (`thp_fault_alloc`, ...) other than the PMD splits counted per address space.
    @exclusivity(unchecked) var thpCounters = THPEvents()
    /// PMD splits of address spaces that are gone.
    @exclusivity(unchecked) var pmdSplitsOfGoneMMs = 0
    /// Zero-filled subpages a huge-page split unmapped while ksmd still held them: freed when its
    /// visit of the page ends (ksmd's reference, `folio_put()` after `cmp_and_merge_page()`).
    @exclusivity(unchecked) var releaseAfterVisit: [PageHandle] = []
    /// Items of this pass's unstable tree.
    @exclusivity(unchecked) var unstableTreeSize = 0
    /// Items of this pass's unstable tree whose page a huge-page split unmapped: the kernel's walk
    /// stops at such a node (`get_mergeable_page()` finds nothing) and inserts nothing.
    @exclusivity(unchecked) var staleUnstableItems: Set<Int32> = []
    /// Set when ksmd did something the model cannot reproduce exactly: an unstable-tree search
    /// while a stale node (above) sat in a tree of several nodes, where whether the kernel's
    /// red-black walk meets it depends on the tree's shape, which the simulator does not keep.
    @exclusivity(unchecked) public internal(set) var unmodelledTHPCase: String?
    @exclusivity(unchecked) private var nextAnonVMA = 1

    /// Creates a machine with no processes, ksmd stopped and the kernel's default knobs.
    public convenience init(rules: EligibilityRules = .linux6_17) {
        self.init(rules: rules, content: .bytes)
    }

    /// Creates a machine whose pages hold `content`: 4 KiB of bytes each, or a 64-bit content id
    /// each (``PageContentMode``); no processes, ksmd stopped and the kernel's default knobs.
    public init(rules: EligibilityRules = .linux6_17, content: PageContentMode) {
        self.rules = rules
        store = PageStore(content: content)
        memoryBudgetPages = MemoryBudget.pages(forBytes: MemoryBudget.defaultBytes, content: content)
        if content == .ids { ksm.zeroChecksum = IDPages.checksum(id: 0) }
        store.beforeFreeingKSMPage = { [unowned self] in linkStableNodes() }
    }

    // MARK: Processes

    /// Live processes, in creation order.
    public var processIDs: [ProcessID] { processes.keys.sorted() }

    /// The address space of a live process; ESRCH for a process that was never spawned or has
    /// exited.
    func mm(_ pid: ProcessID) throws(Errno) -> MM {
        guard let mm = processes[pid] else { throw .ESRCH }
        return mm
    }

    func newMM() -> MM {
        defer { nextMM += 1 }
        return MM(id: nextMM)
    }

    func newAnonVMA() -> Int {
        defer { nextAnonVMA += 1 }
        return nextAnonVMA
    }

    /// Starts a new process with an empty window.
    public func spawn() -> ProcessID { spawnProcess().pid }

    /// A new process and its address space.
    func spawnProcess() -> (pid: ProcessID, mm: MM) {
        let pid = ProcessID(nextPID)
        nextPID += 1
        let mm = newMM()
        processes[pid] = mm
        return (pid, mm)
    }

    /// Whether `pid` is a live process.
    public func exists(_ pid: ProcessID) -> Bool { processes[pid] != nil }

    /// The VMAs of a process's window, in address order (`/proc/PID/maps`).
    /// - Throws: ``Errno/ESRCH`` when `pid` was never spawned or has exited.
    public func vmas(_ pid: ProcessID) throws(Errno) -> [VMA] { try mm(pid).vmas }

    /// `PR_GET_MEMORY_MERGE`: whether the process merges all its compatible VMAs.
    /// - Throws: ``Errno/ESRCH`` when `pid` was never spawned or has exited.
    public func memoryMerge(_ pid: ProcessID) throws(Errno) -> Bool { try mm(pid).mergeAny }

    /// Whether the process is registered with ksmd (`MMF_VM_MERGEABLE`).
    /// - Throws: ``Errno/ESRCH`` when `pid` was never spawned or has exited.
    public func isKSMRegistered(_ pid: ProcessID) throws(Errno) -> Bool { try mm(pid).ksmRegistered }

    /// The heap's end (`brk`), as a page number.
    /// - Throws: ``Errno/ESRCH`` when `pid` was never spawned or has exited.
    public func brk(_ pid: ProcessID) throws(Errno) -> Int { try mm(pid).brk }

    // MARK: Objects

    /// The object a mapping request names, created on first use; shared anonymous memory gets a new
    /// one each time. Throws EINVAL when a name is reused with a different backing.
    func object(for request: MapRequest) throws(Errno) -> ObjectID? {
        switch request.backing {
        case .anonymous:
            guard request.shared else { return nil }
            return makeObject(name: "/dev/zero (deleted)", backing: .shmem)
        default:
            let name = request.file ?? "<unnamed>"
            if let id = namedObjects[name] {
                guard objects[id].backing == request.backing else { throw .EINVAL }
                return id
            }
            let id = makeObject(name: name, backing: request.backing)
            namedObjects[name] = id
            return id
        }
    }

    private func makeObject(name: String, backing: Backing) -> ObjectID {
        let id = objects.count
        objects.append(MemoryObject(id: id, name: name, backing: backing))
        return id
    }
}

import CXXHash

/// A handle to one physical page in a ``PageStore``; `0` means "no page".
public typealias PageHandle = UInt32

/// Contiguous storage for simulated physical pages: contents in large chunks (``PageContentMode/bytes``)
/// or one content id each (``PageContentMode/ids``), metadata in arrays, pages named by integer handles.
///
/// The engine's own: only ``pageSize`` is public. Its operations take handles on trust (a handle
/// freed twice is a broken invariant), so they are not offered to callers, who reach pages through
/// ``SimulatedKernel/withPage(_:_:_:)`` and ``SimulatedKernel/write(_:at:pages:forced:fill:)``.
///
/// This is the only type that owns raw memory for page contents. A page's `mapCount` is the number of
/// page-table entries and page-cache slots that hold it; it is freed when that reaches zero.
public final class PageStore {
    // Every stored property is `@exclusivity(unchecked)`, as in `KSMState`: ksmd reads and updates
    // them once per page or more, and their dynamic exclusivity checks were most of the loop's cost.
    /// Bytes in a page.
    public static let pageSize = 4096
    static let chunkShift = 9  // 512 pages (2 MiB, one transparent huge page) per chunk
    static let chunkPages = 1 << chunkShift

    @exclusivity(unchecked) private var chunks: [UnsafeMutableRawPointer] = []
    /// What a page holds: bytes in ``chunks`` or an id in ``ids``.
    let content: PageContentMode
    /// Each page's content id (``PageContentMode/ids`` only); index 0 is unused.
    @exclusivity(unchecked) var ids: [UInt64] = []
    /// References to each page (mappings plus a page-cache slot); index 0 is unused.
    @exclusivity(unchecked) private(set) var mapCount: [UInt32] = [0]
    /// The KSM state of each page, the model's `folio->mapping` for KSM: ``notKSM``, ``ksmNoNode``
    /// (a KSM page whose stable node is not yet set), or the index of its stable node.
    @exclusivity(unchecked) var ksmNode: [Int32] = [-1]
    /// The transparent huge page (index in `SimulatedKernel.largeFolios`) each page is a subpage
    /// of, or -1 for an ordinary 4 KiB page; empty until the first huge page, so that runs without
    /// any do not pay 4 bytes a page for it. Read through ``largeFolio(of:)``, only when ksmd
    /// merges a page.
    @exclusivity(unchecked) private var largeFolios: [Int32] = []
    /// ``ksmNode`` of an ordinary page.
    static let notKSM: Int32 = -1
    /// ``ksmNode`` of a KSM page without a stable node.
    static let ksmNoNode: Int32 = -2
    /// The most recently freed page, or 0: freed pages are listed through their ``ksmNode``, which
    /// holds `-3 - next` (``freeLink(_:)``) while they are free, so that the list takes no memory
    /// of its own. (Read as a KSM state, a free page is no KSM page.)
    @exclusivity(unchecked) private var freeHead: PageHandle = 0
    @inline(__always) private static func freeLink(_ next: PageHandle) -> Int32 { -3 - Int32(bitPattern: next) }
    @inline(__always) private static func next(fromFreeLink link: Int32) -> PageHandle { PageHandle(-3 - link) }
    /// Pages allocated and not yet freed.
    @exclusivity(unchecked) private(set) var livePages = 0
    /// Changes whenever a page is allocated or written (``noteWrite()``): ksmd's hashes computed
    /// ahead of its loop (`ScanAhead`) are valid while it stays the same.
    @exclusivity(unchecked) private(set) var generation: UInt64 = 0

    /// KSM pages freed since ksmd last looked, with the stable node each pointed to: ksmd marks
    /// those nodes stale (`SimulatedKernel.noteFreedKSMPages()`) and still removes them only when it
    /// next touches them, as the kernel does.
    @exclusivity(unchecked) var freedKSMPages: [(node: Int32, page: PageHandle)] = []

    /// Called before a KSM page with a stable node is freed: stable nodes added without walking the
    /// tree may still have to be linked into it by comparing pages
    /// (`SimulatedKernel.linkStableNodes()`), which must happen while every KSM page's bytes are the
    /// ones their walks would have compared.
    @exclusivity(unchecked) var beforeFreeingKSMPage: () -> Void = {}

    /// Records that page contents are about to change.
    @inline(__always) func noteWrite() { generation &+= 1 }

    init(content: PageContentMode = .bytes) {
        self.content = content
        if content == .ids { ids = [0] }
    }

    deinit {
        for c in chunks { Self.deallocateContents(c, byteCount: Self.chunkPages * Self.pageSize) }
    }

    /// Allocates a page with a reference count of one; its contents are undefined until written.
    func allocate() -> PageHandle {
        livePages += 1
        generation &+= 1
        if freeHead != 0 {
            let h = freeHead
            freeHead = Self.next(fromFreeLink: ksmNode[Int(h)])
            mapCount[Int(h)] = 1
            ksmNode[Int(h)] = Self.notKSM
            if !largeFolios.isEmpty { largeFolios[Int(h)] = -1 }
            return h
        }
        let h = PageHandle(mapCount.count)
        if content == .ids {
            ids.append(0)
        } else if Int(h) >> Self.chunkShift >= chunks.count {
            chunks.append(
                Self.allocateContents(byteCount: Self.chunkPages * Self.pageSize, huge: chunks.count >= Self.smallChunks))
        }
        mapCount.append(1)
        ksmNode.append(Self.notKSM)
        if !largeFolios.isEmpty { largeFolios.append(-1) }
        return h
    }

    /// The transparent huge page `page` is a subpage of, or -1.
    @inline(__always) func largeFolio(of page: PageHandle) -> Int32 {
        largeFolios.isEmpty ? -1 : largeFolios[Int(page)]
    }

    /// Makes `page` a subpage of huge page `folio` (-1: of none).
    func setLargeFolio(_ page: PageHandle, _ folio: Int32) {
        if largeFolios.isEmpty {
            if folio < 0 { return }
            largeFolios = [Int32](repeating: -1, count: mapCount.count)
        }
        largeFolios[Int(page)] = folio
    }

    /// Adds a reference to `page`.
    @inline(__always) func retain(_ page: PageHandle) {
        precondition(page != 0 && mapCount[Int(page)] > 0, "retain of a free page")
        mapCount[Int(page)] += 1
    }

    /// Whether `page` is a KSM page (`folio_test_ksm()`).
    @inline(__always) func isKSM(_ page: PageHandle) -> Bool {
        let node = ksmNode[Int(page)]
        return node >= 0 || node == Self.ksmNoNode
    }

    /// Drops a reference to `page`, freeing it when none remain.
    @inline(__always) func release(_ page: PageHandle) {
        precondition(page != 0 && mapCount[Int(page)] > 0, "release of a free page")
        mapCount[Int(page)] -= 1
        if mapCount[Int(page)] == 0 {
            if ksmNode[Int(page)] >= 0 {
                beforeFreeingKSMPage()
                freedKSMPages.append((ksmNode[Int(page)], page))
            }
            ksmNode[Int(page)] = Self.freeLink(freeHead)
            freeHead = page
            livePages -= 1
        }
    }

    /// Chunks a store allocates before it asks for huge pages: small stores (the tests make
    /// thousands) do not zero 2 MiB for a few pages.
    static let smallChunks = 8

    /// Set while a host-kernel run counts `/proc/vmstat`'s THP events (system-wide): this
    /// process's own stores then ask for no huge pages, so that their faults do not count. Set
    /// for the whole process by the environment variable `KSMD_SIM_NO_HUGE_STORES` (`test.sh`
    /// does, since other suites' stores run beside the host comparisons).
    nonisolated(unsafe) static var avoidHugePages = getenv("KSMD_SIM_NO_HUGE_STORES") != nil

    /// Memory for page contents: `byteCount` bytes, rounded up to whole 2 MiB, in an anonymous
    /// mapping of their own, aligned to 2 MiB and zero-filled; with `huge`, advised for transparent huge pages
    /// (`MADV_HUGEPAGE`; this machine's THP mode is `madvise`). Simulated pages are read in scan
    /// order and at random: with 4 KiB mappings, gigabytes of them cost a TLB miss per page and a
    /// fault per 4 KiB when first written, which made large runs slower per page than small ones.
    /// A mapping of its own goes back to the system when freed (``deallocateContents(_:byteCount:)``),
    /// where the allocator's heap would keep it. The contents are the same either way.
    static func allocateContents(byteCount requested: Int, huge: Bool) -> UnsafeMutableRawPointer {
        let align = contentsUnit
        let byteCount = contentsBytes(requested)
        guard let raw = mmap(nil, byteCount + align, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            raw != MAP_FAILED
        else { fatalError("out of memory for page contents (\(byteCount) bytes)") }
        let start = (Int(bitPattern: raw) + align - 1) & ~(align - 1)
        let head = start - Int(bitPattern: raw)
        if head > 0 { munmap(raw, head) }
        if align - head > 0 { munmap(UnsafeMutableRawPointer(bitPattern: start + byteCount), align - head) }
        let memory = UnsafeMutableRawPointer(bitPattern: start)!
        if huge && !avoidHugePages { _ = madvise(memory, byteCount, MADV_HUGEPAGE) }
        return memory
    }

    /// Returns memory from ``allocateContents(byteCount:huge:)`` (of the same `byteCount`) to the
    /// system.
    static func deallocateContents(_ memory: UnsafeMutableRawPointer, byteCount: Int) {
        munmap(memory, contentsBytes(byteCount))
    }

    /// Page memory comes in 2 MiB units (one transparent huge page).
    private static let contentsUnit = 2 << 20
    /// The bytes ``allocateContents(byteCount:huge:)`` maps for `requested`: whole 2 MiB units.
    static func contentsBytes(_ requested: Int) -> Int {
        max(1, (requested + contentsUnit - 1) / contentsUnit) * contentsUnit
    }

    /// The address of a page's 4096 bytes; valid while the page is allocated (bytes mode only).
    @inline(__always) func bytes(_ page: PageHandle) -> UnsafeMutableRawPointer {
        chunks[Int(page) >> Self.chunkShift] + (Int(page) & (Self.chunkPages - 1)) * Self.pageSize
    }

    /// Calls `body` with a page's bytes, read-only.
    func withBytes<R>(_ page: PageHandle, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: bytes(page), count: Self.pageSize))
    }

    /// A new page holding a copy of `page`'s contents.
    /// - Complexity: O(4 KiB): one page of bytes copied (O(1) with ids).
    func copy(_ page: PageHandle) -> PageHandle {
        let n = allocate()
        if content == .ids {
            ids[Int(n)] = ids[Int(page)]
        } else {
            bytes(n).copyMemory(from: bytes(page), byteCount: Self.pageSize)
        }
        return n
    }

    /// Fills `page` with zeros (id 0).
    func zero(_ page: PageHandle) {
        if content == .ids {
            ids[Int(page)] = 0
        } else {
            bytes(page).initializeMemory(as: UInt8.self, repeating: 0, count: Self.pageSize)
        }
    }

    /// Whether `page` reads as zeros (id 0 with ids).
    /// - Complexity: O(4 KiB) at most.
    func isZero(_ page: PageHandle) -> Bool {
        if content == .ids { return ids[Int(page)] == 0 }
        return withBytes(page) { $0.allSatisfy { $0 == 0 } }
    }

    /// Sets `page`'s contents to `bytes` (4096 of them), or with ids to their id (``PageID/of(_:)``).
    func set(_ page: PageHandle, bytes source: UnsafeRawBufferPointer) {
        if content == .ids {
            ids[Int(page)] = PageID.of(source)
        } else {
            bytes(page).copyMemory(from: source.baseAddress!, byteCount: Self.pageSize)
        }
    }

    /// Sets `page`'s contents to the page `id` stands for (``PageID``).
    func set(_ page: PageHandle, id: UInt64) {
        if content == .ids {
            ids[Int(page)] = id
        } else {
            PageID.bytes(id, into: UnsafeMutableRawBufferPointer(start: bytes(page), count: Self.pageSize))
        }
    }

    /// Whether two pages hold the same contents (`memcmp`, or equal ids).
    /// - Complexity: O(4 KiB) at most (`memcmp`).
    func equal(_ a: PageHandle, _ b: PageHandle) -> Bool {
        if content == .ids { return ids[Int(a)] == ids[Int(b)] }
        return a == b || memcmp(bytes(a), bytes(b), Self.pageSize) == 0
    }

    /// `memcmp` of two pages (unsigned id order with ids): negative, zero or positive.
    func compare(_ a: PageHandle, _ b: PageHandle) -> Int32 {
        if content == .ids { return ids[Int(a)] == ids[Int(b)] ? 0 : ids[Int(a)] < ids[Int(b)] ? -1 : 1 }
        return a == b ? 0 : memcmp(bytes(a), bytes(b), Self.pageSize)
    }

    /// Calls `body` with the bytes `page` reads as: its own, or the page its id stands for.
    func withContents<R>(_ page: PageHandle, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if content == .ids {
            return try withUnsafeTemporaryAllocation(byteCount: Self.pageSize, alignment: 16) { scratch in
                PageID.bytes(ids[Int(page)], into: scratch)
                return try body(UnsafeRawBufferPointer(scratch))
            }
        }
        return try withBytes(page, body)
    }

    /// XXH3-64 of the bytes `page` reads as (``ContentDigest``).
    func digestHash(_ page: PageHandle) -> UInt64 {
        content == .ids ? PageID.digestHash(ids[Int(page)]) : cxxh_xxh3_64(bytes(page), Self.pageSize)
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

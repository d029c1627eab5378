import CXXHash
import Dispatch

/// The content hashes of the pages ksmd is about to visit, computed ahead of its per-page loop, a
/// chunk at a time: by ``threads`` threads at once, the next chunk while the loop works through the
/// current one, and early enough for the loop to prefetch each page's slot in the unstable index.
///
/// This cannot change what ksmd does. A page's hash depends only on its bytes, and nothing inside a
/// batch (`ksm_do_scan()`) writes a page: merging changes page-table entries, not contents. A chunk
/// records the page store's generation, which every allocation and every write changes; the loop
/// takes a hash from it only while that generation holds and only for the same frame at the same
/// address of the same mm, and otherwise hashes the page itself. Which pages were predicted, and by
/// how many threads they were hashed, changes the time a scan takes, never its counters.
///
/// Every stored property here and in ``Chunk`` is `@exclusivity(unchecked)`, as in `KSMState`: the
/// loop looks a hash up once per page. (The checks are per thread: they never guarded the helper
/// threads' sharing of a chunk, which `pending` and `lock` order.)
final class ScanAhead {
    /// Pages a chunk holds at most.
    static let chunkPages = 4096
    /// Pages a thread claims at a time.
    static let blockPages = 64

    /// One chunk: the pages the walk found, in scan order, and their hashes once `pending` is done.
    final class Chunk: @unchecked Sendable {
        let addresses = UnsafeMutablePointer<Int>.allocate(capacity: ScanAhead.chunkPages)
        let handles = UnsafeMutablePointer<PageHandle>.allocate(capacity: ScanAhead.chunkPages)
        let bytes = UnsafeMutablePointer<UnsafeRawPointer?>.allocate(capacity: ScanAhead.chunkPages)
        let hashes = UnsafeMutablePointer<UInt64>.allocate(capacity: ScanAhead.chunkPages)
        @exclusivity(unchecked) var count = 0
        /// The addresses the walk covered: `[start, end)`.
        @exclusivity(unchecked) var start = 0
        @exclusivity(unchecked) var end = 0
        @exclusivity(unchecked) var mmID = -1
        @exclusivity(unchecked) var generation: UInt64 = 0
        /// Background hashing still running on this chunk.
        let pending = DispatchGroup()
        /// The next block to hash; taken under `lock` by whichever thread gets there first.
        @exclusivity(unchecked) private var nextBlock = 0
        private let lock = MutexLock()

        deinit {
            pending.wait()
            addresses.deallocate()
            handles.deallocate()
            bytes.deallocate()
            hashes.deallocate()
        }

        func reset(mmID: Int, generation: UInt64, start: Int = 0) {
            count = 0
            self.start = start
            end = start
            nextBlock = 0
            self.mmID = mmID
            self.generation = generation
        }

        /// Hashes blocks until none is left unclaimed.
        func hashBlocks() {
            let blocks = (count + ScanAhead.blockPages - 1) / ScanAhead.blockPages
            while true {
                let b = lock.withLock { () -> Int in
                    defer { nextBlock += 1 }
                    return nextBlock
                }
                if b >= blocks { return }
                let start = b * ScanAhead.blockPages
                let n = Swift.min(ScanAhead.blockPages, count - start)
                cxxh_xxh3_64_pages(bytes + start, n, PageStore.pageSize, hashes + start)
            }
        }
    }

    /// Threads hashing: 1 (the scanning thread alone) or more.
    @exclusivity(unchecked) var threads = 1 {
        didSet { workers = (0..<Swift.max(threads - 1, 0)).map { DispatchQueue(label: "ksm.scan-ahead.\($0)") } }
    }
    /// One serial queue per helper thread: each hashes the chunks in the order they were walked.
    @exclusivity(unchecked) private var workers: [DispatchQueue] = []
    /// A ring: the chunk the loop reads, then up to two walked after it (hashing or hashed).
    @exclusivity(unchecked) private var chunks = [Chunk(), Chunk(), Chunk()]
    @exclusivity(unchecked) private var current = 0
    @exclusivity(unchecked) private var position = 0
    /// Chunks walked after the current one.
    @exclusivity(unchecked) private var ahead = 0
    /// Where the walk for the chunk after the last one walked starts (`Int.max`: the mm is done).
    @exclusivity(unchecked) fileprivate var walkAddress = 0
    /// Pages the current batch may still visit: no chunk is walked past it.
    @exclusivity(unchecked) var budget = Int.max
    /// Hashes the loop took from a chunk, and chunks hashed by helper threads (for the tests).
    @exclusivity(unchecked) private(set) var hits = 0
    @exclusivity(unchecked) private(set) var chunksQueued = 0

    /// Bytes of the chunks' buffers.
    var bytes: Int {
        chunks.count * Self.chunkPages
            * (MemoryLayout<Int>.stride + MemoryLayout<PageHandle>.stride + MemoryLayout<UnsafeRawPointer?>.stride
                + MemoryLayout<UInt64>.stride)
    }

    /// Forgets every chunk, waiting for background hashing first.
    func invalidate() {
        for c in chunks {
            c.pending.wait()
            c.reset(mmID: -1, generation: 0)
        }
        position = 0
        ahead = 0
    }

    /// Waits for background hashing (before anything may write a page).
    func quiesce() {
        for c in chunks { c.pending.wait() }
    }

    fileprivate var chunk: Chunk { chunks[current] }
    private func after(_ k: Int) -> Chunk { chunks[(current + k) % chunks.count] }

    enum Lookup {
        /// The hash of the page, computed ahead.
        case hit(UInt64)
        /// The chunk covers the address but not this page (it was not predicted to be hashed, or
        /// its frame changed): hash it in the loop.
        case miss
        /// No valid chunk covers the address: walk a new one from here.
        case stale
    }

    /// The hash computed ahead for `handle` at `address` of the mm with id `mmID`.
    fileprivate func lookup(_ kernel: SimulatedKernel, mmID: Int, address: Int, handle: PageHandle) -> Lookup {
        unowned(unsafe) var c = chunk
        if c.mmID != mmID || c.generation != kernel.store.generation || address < c.start { return .stale }
        if address >= c.end {
            // Past this chunk: go on to the next, if one was walked for the same mm and generation.
            unowned(unsafe) let n = after(1)
            guard ahead > 0, n.mmID == mmID, n.generation == c.generation else { return .stale }
            n.hashBlocks()  // help with what the helpers have not started
            n.pending.wait()
            current = (current + 1) % chunks.count
            ahead -= 1
            position = 0
            c = n
            if address < c.start || address >= c.end { return .stale }
            kernel.walkAheadChunks()
        }
        while position < c.count && c.addresses[position] < address { position += 1 }
        guard position < c.count, c.addresses[position] == address, c.handles[position] == handle else { return .miss }
        let hash = c.hashes[position]
        position += 1
        hits &+= 1
        return .hit(hash)
    }

    /// The hash at `offset` pages past the position in the current chunk, for prefetching.
    fileprivate func upcoming(_ offset: Int) -> UInt64? {
        unowned(unsafe) let c = chunk
        let i = position + offset
        return i < c.count ? c.hashes[i] : nil
    }

    /// Starts over at `address` of `mm`: walks and hashes a chunk from there (with every thread),
    /// and starts the ones after it.
    fileprivate func restart(_ kernel: SimulatedKernel, _ mm: MM, at address: Int) {
        invalidate()
        current = 0
        walkAddress = address
        let c = chunk
        kernel.walkAhead(into: c, mm, limit: Swift.min(Self.chunkPages, budget))
        startHashing(c)
        c.hashBlocks()
        c.pending.wait()
        walkAheadChunks(kernel, mm)
    }

    /// Walks up to two chunks past the current one and queues their hashing, when more than one
    /// thread hashes and the batch goes on past what is walked. The helpers hash them in order
    /// while the loop works through the current chunk.
    fileprivate func walkAheadChunks(_ kernel: SimulatedKernel, _ mm: MM) {
        guard threads > 1 else { return }
        var walked = (0...ahead).reduce(0) { $0 + after($1).count }
        while ahead < chunks.count - 1, budget > walked, walkAddress < Int.max {
            let n = after(ahead + 1)
            n.pending.wait()
            kernel.walkAhead(into: n, mm, limit: Swift.min(Self.chunkPages, budget - walked))
            if n.count == 0 { return }
            ahead += 1
            walked += n.count
            startHashing(n)
        }
    }

    /// Queues a walked chunk's hashing on every helper thread.
    private func startHashing(_ c: Chunk) {
        if !workers.isEmpty { chunksQueued &+= 1 }
        for w in workers { w.async(group: c.pending) { c.hashBlocks() } }
    }
}

/// A mutex for the claiming of blocks (`pthread_mutex_t`, held for a few instructions).
final class MutexLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    init() { pthread_mutex_init(mutex, nil) }
    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }
    @inline(__always) func withLock<R>(_ body: () -> R) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension SimulatedKernel {
    /// Threads that hash pages during a scan (1 by default; values outside 1...256 count as the
    /// nearer end). The counters do not depend on it.
    public var scanThreads: Int {
        get { ksm.ahead.threads }
        set {
            ksm.ahead.invalidate()
            ksm.ahead.threads = Swift.min(Swift.max(1, newValue), Self.maxScanThreads)
        }
    }

    /// The most threads ``scanThreads`` takes.
    public static let maxScanThreads = 256

    /// The content hash of `page`, the one at `address` of the mm with id `mmID`: computed ahead if
    /// it was, else here. Also prefetches the unstable-index slot of a page a few ahead.
    @inline(__always) func scanHash(_ page: PageHandle, _ bytes: UnsafeRawPointer, mmID: Int, address: Int) -> UInt64 {
        // Borrowed: `ksm` keeps it alive, and a strong reference would be retained every visit.
        Unmanaged.passUnretained(ksm.ahead)._withUnsafeGuaranteedRef {
            scanHash(page, bytes, mmID: mmID, address: address, ahead: $0)
        }
    }

    @inline(__always) private func scanHash(
        _ page: PageHandle, _ bytes: UnsafeRawPointer, mmID: Int, address: Int, ahead: ScanAhead
    ) -> UInt64 {
        var found = ahead.lookup(self, mmID: mmID, address: address, handle: page)
        if case .stale = found, let cursor = ksm.cursor, ksm.slots[cursor].id == mmID {
            // Nothing valid ahead: walk and hash from this page on.
            ahead.restart(self, ksm.slots[cursor], at: address)
            found = ahead.lookup(self, mmID: mmID, address: address, handle: page)
        }
        guard case .hit(let hash) = found else { return Self.contentHash(bytes) }
        if let later = ahead.upcoming(4) {
            ksm.unstableIndex.prefetch(later & ksm.keyMask)
            if !ksm.stableTreeIsEmpty { ksm.stableIndex.prefetch(later & ksm.keyMask) }
        }
        return hash
    }

    /// How many pages ahead the loop prefetches index slots with content ids.
    static let idPrefetchDistance = 8

    /// With content ids nothing is hashed ahead (an id's hash is a few multiplications), but the
    /// index slots are still where the loop waits: at host scale the indexes are gigabytes read at
    /// random. So the loop asks the CPU for the slots of the page at `address` of the mm it scans
    /// (``idPrefetchDistance`` pages on), if one is mapped there. Only a hint: if ksmd does not visit
    /// that page, nothing changes but a cache line.
    @inline(__always) func prefetchIndexSlots(ofIDAt address: Int) {
        guard let cursor = ksm.cursor else { return }
        // Read in place: neither the mm nor its page table is copied (no reference counting).
        let h = ksm.slots.withUnsafeBufferPointer { $0[cursor].pageTable[address] }
        guard h != 0, h != Self.ksmZeroPTE else { return }
        let key = IDPages.hash(store.ids[Int(h)]) & ksm.keyMask
        ksm.unstableIndex.prefetch(key)
        if !ksm.stableTreeIsEmpty { ksm.stableIndex.prefetch(key) }
    }

    /// Walks chunks after the current one, if the batch goes on past it.
    fileprivate func walkAheadChunks() {
        guard let cursor = ksm.cursor else { return }
        ksm.ahead.walkAheadChunks(self, ksm.slots[cursor])
    }

    /// Fills `chunk` with up to `limit` pages of `mm` that ksmd will hash, in its scan order, from
    /// the walk address on: present anonymous pages of VM_MERGEABLE VMAs with an anon_vma that are
    /// not KSM pages and that smart_scan will not skip (`should_skip_rmap_item()`, read only).
    fileprivate func walkAhead(into chunk: ScanAhead.Chunk, _ mm: MM, limit: Int) {
        var address = ksm.ahead.walkAddress
        chunk.reset(mmID: mm.id, generation: store.generation, start: address)
        guard !mm.exiting, limit > 0, address >= 0 else { return }
        defer { chunk.end = address }
        let smartScan = ksm.knobs.smartScan
        // The rmap item at or after `address`, from the scan's current link on.
        var item = ksm.rmapLink < 0 ? ksm.firstItem(of: mm) : ksm.item(after: ksm.rmapLink)
        var i = mm.firstIndex(endingAfter: address)
        while i < mm.vmas.count && chunk.count < limit {
            let vma = mm.vmas[i]
            i += 1
            guard vma.flags.contains(.mergeable), vma.hasAnonVMA else { continue }
            if address < vma.start { address = vma.start }
            while address < vma.end && chunk.count < limit {
                guard let (page, h) = mm.pageTable.nextPresent(from: address, below: vma.end) else {
                    address = vma.end
                    break
                }
                address = page + 1
                if h == Self.ksmZeroPTE || store.ksmNode[Int(h)] != PageStore.notKSM { continue }
                if smartScan {
                    while item >= 0 && ksm.address(ofItem: item) < page { item = ksm.item(after: item) }
                    if item >= 0 && ksm.address(ofItem: item) == page && ksm.items[Int(item)].smartScanSkipsNextVisit {
                        continue
                    }
                }
                chunk.addresses[chunk.count] = page
                chunk.handles[chunk.count] = h
                chunk.bytes[chunk.count] = UnsafeRawPointer(store.bytes(h))
                chunk.count += 1
            }
        }
        // Past the last VMA: the walk covered the rest of this mm.
        if chunk.count < limit { address = Int.max }
        ksm.ahead.walkAddress = address
    }
}

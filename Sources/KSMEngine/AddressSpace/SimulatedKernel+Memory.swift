import CXXHash

extension SimulatedKernel {
    /// Writes `pages` whole pages at `at`, each filled by `fill(i, bytes)` for the i-th page.
    ///
    /// `forced` writes go through `/proc/PID/mem` (`FOLL_FORCE`): private mappings take them at any
    /// protection, shared mappings only when writable. Otherwise the process writes itself and needs
    /// `PROT_WRITE` (EFAULT standing for the kernel's SIGSEGV). A page that cannot be written stops
    /// the write there with EIO (or EFAULT), keeping the pages written before it, as the kernel's
    /// short write does. A private page shared with another mapping (after fork, or a KSM page) is
    /// copied first. `pages` 0 writes nothing and succeeds.
    ///
    /// With content ids (``PageContentMode/ids``) each page is filled in a scratch page and keeps
    /// only its id: the id of the scenario fill it holds, else a 64-bit hash of its bytes (see
    /// ``PageContentMode``).
    /// - Throws: ``Errno/ESRCH`` (no such process); ``Errno/EFAULT`` (`pages` below 0: `write(2)`
    ///   refuses a count above `SSIZE_MAX` with EFAULT, measured on Linux 6.18); ``Errno/ENOMEM``
    ///   (the pages could exceed ``memoryBudgetPages``, or the pages this machine's physical memory
    ///   holds at ``MemoryBudget/bytesPerPage(_:)`` each); all before anything is written. Then
    ///   ``Errno/EIO`` (forced) or ``Errno/EFAULT`` at the first page that cannot be written.
    /// - Complexity: O(pages × (log VMAs + 4 KiB)).
    public func write(
        _ pid: ProcessID, at: Int, pages: Int, forced: Bool = true,
        fill: (Int, UnsafeMutableRawBufferPointer) -> Void
    ) throws(Errno) {
        guard store.content == .ids else {
            return try writePages(pid, at: at, pages: pages, forced: forced) { n, target in
                fill(n, UnsafeMutableRawBufferPointer(start: store.bytes(target), count: PageStore.pageSize))
            }
        }
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: PageStore.pageSize, alignment: 16)
        defer { scratch.deallocate() }
        try writePages(pid, at: at, pages: pages, forced: forced) { n, target in
            fill(n, scratch)
            store.set(target, bytes: UnsafeRawBufferPointer(scratch))
        }
    }

    /// Writes `pages` whole pages at `at`, the i-th the page content id `id(i)` stands for: with
    /// ``PageContentMode/ids`` the id itself, with bytes the page's bytes (see ``PageContentMode``;
    /// `0` is the zero page). Otherwise as ``write(_:at:pages:forced:fill:)``.
    /// - Throws: as ``write(_:at:pages:forced:fill:)``.
    /// - Complexity: O(pages × log VMAs) with ids; O(pages × (log VMAs + 4 KiB)) with bytes.
    public func write(_ pid: ProcessID, at: Int, pages: Int, forced: Bool = true, ids id: (Int) -> UInt64) throws(Errno) {
        try writePages(pid, at: at, pages: pages, forced: forced) { n, target in store.set(target, id: id(n)) }
    }

    /// The checks and copy-on-write of a write; `body(i, page)` then fills the i-th page.
    private func writePages(
        _ pid: ProcessID, at: Int, pages: Int, forced: Bool, body: (Int, PageHandle) -> Void
    ) throws(Errno) {
        let mm = try mm(pid)
        guard pages >= 0 else { throw .EFAULT }
        let failure: Errno = forced ? .EIO : .EFAULT
        // Refused before allocating: every page written might need a new one, and where huge
        // pages may be faulted, each 2 MiB range touched 511 more. A budget set above what the
        // machine holds cannot let a write run into the OOM killer.
        var most = pages
        if pages > 0 && thpMode != .never && mm.vmas.contains(where: { thpMode == .always || $0.flags.contains(.hugePage) }) {
            most += (pages / Self.hugePagePages + 2) * (Self.hugePagePages - 1)
        }
        if most > min(memoryBudgetPages, MemoryBudget.physicalPages(content)) - store.livePages { throw .ENOMEM }
        store.noteWrite()
        for n in 0..<pages {
            let page = at + n
            guard let i = mm.index(containing: page) else { throw failure }
            let f = mm.vmas[i].flags
            if forced {
                // check_vma_flags() for FOLL_FORCE | FOLL_WRITE.
                if !f.isDisjoint(with: [.io, .pfnMap]) { throw failure }
                if !f.contains(.write) {
                    if f.contains(.hugeTLB) || f.intersection([.shared, .mayWrite]) != .mayWrite { throw failure }
                }
            } else if !f.contains(.write) {
                throw failure
            }
            body(n, writablePage(mm, i, page))
        }
    }

    /// The page a write at `page` (in VMA `i`) lands in, after any copy-on-write or allocation.
    func writablePage(_ mm: MM, _ i: Int, _ page: Int) -> PageHandle {
        let v = mm.vmas[i]
        if v.flags.contains(.mayShare), let oid = v.object {
            let obj = objects[oid]
            let offset = v.pgoff + (page - v.start)
            mm.sharedPTEs[page] = 1
            mm.pteTables.insert(page / Self.hugePagePages)
            if let h = obj.pages[offset] { return h }
            let h = store.allocate()
            store.zero(h)
            obj.pages[offset] = h
            return h
        }
        let old = mm.pageTable[page]
        let r = page / Self.hugePagePages
        if !mm.hugePMDs.isEmpty, mm.hugePMDs[r] != nil {
            // do_huge_pmd_wp_page(): a huge page mapped only here is written in place; one shared
            // (after fork) has this PMD split and the subpage copied as any 4 KiB page.
            if store.mapCount[Int(old)] == 1 { return old }
            splitHugePMD(mm, r)
        } else if old == 0 {
            if v.isAnonymous && !mm.pteTables.contains(r) && hugePageAllowed(v, range: r) {
                return faultHugePage(mm, i, range: r, page: page)
            }
            mm.pteTables.insert(r)
        }
        if old != 0 && old != Self.ksmZeroPTE && store.mapCount[Int(old)] == 1 && !store.isKSM(old) { return old }
        prepareAnonVMA(mm, i)
        let h = store.allocate()
        mm.pageTable[page] = h
        if old != 0 { unmapPage(mm, old) }
        return h
    }

    /// `anon_vma_prepare()`: gives VMA `i` an anon_vma on its first anonymous page, reusing an
    /// adjacent VMA's when `find_mergeable_anon_vma()` would (next first, then prev).
    func prepareAnonVMA(_ mm: MM, _ i: Int) {
        guard mm.vmas[i].anonVMA == 0 else { return }
        let v = mm.vmas[i]
        func compatible(_ a: VMA, _ b: VMA) -> Bool {
            a.end == b.start && a.object == b.object
                && a.flags.symmetricDifference(b.flags).isSubset(of: VMFlags.access.union(.softDirty))
                && b.pgoff == a.pgoff + a.pages
        }
        if i + 1 < mm.vmas.count, compatible(v, mm.vmas[i + 1]), mm.vmas[i + 1].anonVMA != 0, mm.vmas[i + 1].anonChain == 1 {
            mm.vmas[i].anonVMA = mm.vmas[i + 1].anonVMA
        } else if i > 0, compatible(mm.vmas[i - 1], v), mm.vmas[i - 1].anonVMA != 0, mm.vmas[i - 1].anonChain == 1 {
            mm.vmas[i].anonVMA = mm.vmas[i - 1].anonVMA
        } else {
            mm.vmas[i].anonVMA = newAnonVMA()
        }
        mm.vmas[i].anonChain = 1
    }

    /// The page backing `page` for reading, or 0 for a page that reads as zeros.
    func readablePage(_ mm: MM, _ v: VMA, _ page: Int) -> PageHandle {
        let h = mm.pageTable[page]
        if h == Self.ksmZeroPTE { return 0 }
        if h != 0 { return h }
        if let oid = v.object, let p = objects[oid].pages[v.pgoff + (page - v.start)] { return p }
        return 0
    }

    /// Calls `body` with the bytes a read of `page` returns (zeros for untouched memory), or returns
    /// `nil` when nothing is mapped there.
    ///
    /// The bytes are valid only inside `body`; copy them to keep them.
    /// - Throws: ``Errno/ESRCH`` when `pid` was never spawned or has exited, else what `body` throws.
    /// - Complexity: O(log VMAs), plus `body`.
    public func withPage<R>(_ pid: ProcessID, _ page: Int, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R? {
        let mm = try mm(pid)
        guard let i = mm.index(containing: page) else { return nil }
        let h = readablePage(mm, mm.vmas[i], page)
        if h == 0 { return try Self.zeroPage.withUnsafeBytes(body) }
        return try store.withContents(h, body)
    }

    static let zeroPage = [UInt8](repeating: 0, count: PageStore.pageSize)

    /// A digest of every mapped page of the window, in address order: XXH3-64 over the sequence of
    /// the pages' XXH3-64 values. Equal memory gives equal digests, here and from the host runner.
    /// - Throws: ``Errno/ESRCH`` when `pid` was never spawned or has exited.
    /// - Complexity: O(mapped pages × 4 KiB).
    public func contentDigest(_ pid: ProcessID) throws(Errno) -> UInt64 {
        let mm = try mm(pid)
        let digest = ContentDigest()
        for v in mm.vmas {
            var page = v.start
            while page < v.end {
                // Whole untouched leaves of anonymous memory are runs of zero pages.
                let leafEnd = min((page >> PageTable.leafShift + 1) << PageTable.leafShift, v.end)
                if v.object == nil && mm.pageTable.leafIndex(page >> PageTable.leafShift) == nil {
                    digest.addZeroPages(leafEnd - page)
                    page = leafEnd
                    continue
                }
                let h = readablePage(mm, v, page)
                if h == 0 { digest.addZeroPage() } else { digest.add(hash: store.digestHash(h)) }
                page += 1
            }
        }
        return digest.finish()
    }
}

/// The content digest reports carry: XXH3-64 over the pages' XXH3-64 values (8 bytes each,
/// little-endian), in address order. Streams, so a huge window needs no per-page storage.
public final class ContentDigest {
    private let state: OpaquePointer
    static let zeroHash: UInt64 = SimulatedKernel.zeroPage.withUnsafeBytes { cxxh_xxh3_64($0.baseAddress, $0.count) }

    /// Creates an empty digest (the digest of no pages).
    public init() {
        guard let s = cxxh_stream_new() else { fatalError("out of memory for an XXH3 state") }
        state = s
    }

    deinit { cxxh_stream_free(state) }

    /// Adds a page of 4096 bytes.
    public func add(_ page: UnsafeRawPointer) { feed(cxxh_xxh3_64(page, PageStore.pageSize)) }
    /// Adds a page by its XXH3-64.
    func add(hash: UInt64) { feed(hash) }
    /// Adds a page that reads as zeros.
    public func addZeroPage() { feed(Self.zeroHash) }
    /// Adds `count` pages that read as zeros (none for a count below 1).
    public func addZeroPages(_ count: Int) {
        var left = count
        Self.zeroRun.withUnsafeBytes { run in
            while left > 0 {
                let n = min(left, Self.zeroRunPages)
                cxxh_stream_update(state, run.baseAddress, n * 8)
                left -= n
            }
        }
    }
    static let zeroRunPages = 512
    static let zeroRun = [UInt64](repeating: zeroHash.littleEndian, count: zeroRunPages)
    private func feed(_ hash: UInt64) {
        var h = hash.littleEndian
        withUnsafeBytes(of: &h) { cxxh_stream_update(state, $0.baseAddress, 8) }
    }
    /// The digest.
    public func finish() -> UInt64 { cxxh_stream_digest(state) }
}

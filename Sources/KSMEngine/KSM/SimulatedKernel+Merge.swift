// Merging and unmerging pages: replacing page-table entries, the kernel's try_to_merge_*,
// break_ksm() and the zero page.

extension SimulatedKernel {
    /// The page-table entry of a KSM-placed zero page (`pte_mkdirty(pte_mkspecial(zero))`).
    static let ksmZeroPTE = PageHandle.max

    /// The address space of an rmap item, live or exiting.
    @inline(__always) func ksmMM(_ id: Int) -> MM? {
        if let mm = ksmMMCache, mm.id == id { return mm }
        let mm = ksmMMs[id]
        ksmMMCache = mm
        return mm
    }

    /// The VMA at `address` if ksmd may merge there (`find_mergeable_vma()`).
    func findMergeableVMA(_ mm: MM, _ address: Int) -> Int? {
        guard !mm.exiting, let i = mm.index(containing: address) else { return nil }
        let v = mm.vmas[i]
        return v.flags.contains(.mergeable) && v.hasAnonVMA ? i : nil
    }

    /// The anonymous page an unstable-tree item tracks, if still mergeable (`get_mergeable_page()`).
    func getMergeablePage(_ item: Int32) -> PageHandle? {
        let (mmID, address) = ksm.place(ofItem: item)
        guard let mm = ksmMM(mmID), findMergeableVMA(mm, address) != nil else { return nil }
        let h = mm.pageTable[address]
        return h == 0 || h == Self.ksmZeroPTE ? nil : h
    }

    /// Maps `kpage` at `address` instead of `page` (`replace_page()`).
    func replacePage(_ mm: MM, _ address: Int, _ page: PageHandle, _ kpage: PageHandle) {
        if kpage == Self.ksmZeroPTE {
            ksm.zeroPages += 1
            mm.ksmZeroPages += 1
        } else {
            store.retain(kpage)
        }
        mm.pageTable[address] = kpage
        store.release(page)
    }

    /// `try_to_merge_one_page()`: makes `page` a KSM page (`kpage == nil`), or maps the identical
    /// `kpage` instead of it. Returns whether it succeeded.
    /// `compared`: the caller has just found the two pages' bytes equal, and nothing can have
    /// written them since, so `pages_identical()` need not read them again.
    func tryToMergeOnePage<C: PageContent>(
        _ mm: MM, _ address: Int, _ page: PageHandle, _ kpage: PageHandle?, compared: Bool = false, _ content: C.Type
    ) -> Bool {
        if page == kpage { return true }  // KSM page forked
        // (Read only once a huge page exists: a workload without any touches no more memory.)
        let folio = store.largeFolio(of: page)
        if folio >= 0 {
            // A subpage of a huge page: split it first; a zero-filled one is then the zero
            // page's, and write_protect_page() finds the page unmapped.
            splitHugePage(folio)
            if mm.pageTable[address] != page { return false }
        }
        guard let kpage else {
            store.ksmNode[Int(page)] = PageStore.ksmNoNode
            return true
        }
        let identical =
            kpage == Self.ksmZeroPTE
            ? C.isZero(store, page) : compared || C.equal(store, page, kpage)
        guard identical else { return false }
        replacePage(mm, address, page, kpage)
        return true
    }

    /// `try_to_merge_with_ksm_page()`.
    func tryToMergeWithKSMPage<C: PageContent>(
        _ item: Int32, _ page: PageHandle, _ kpage: PageHandle?, compared: Bool = false, _ content: C.Type
    ) -> Bool {
        let (mmID, address) = ksm.place(ofItem: item)
        guard let mm = ksmMM(mmID), findMergeableVMA(mm, address) != nil,
            tryToMergeOnePage(mm, address, page, kpage, compared: compared, C.self)
        else { return false }
        removeRmapItemFromTree(item)
        return true
    }

    /// `try_to_merge_two_pages()`: `page` becomes a KSM page and `treePage`'s mapping is replaced
    /// by it.
    func tryToMergeTwoPages<C: PageContent>(
        _ item: Int32, _ page: PageHandle, _ treeItem: Int32, _ treePage: PageHandle, _ content: C.Type
    ) -> Bool {
        // Two subpages of one huge page: ksmd holds two references to it, so the split in
        // try_to_merge_one_page() fails and nothing merges; cmp_and_merge_page() then splits it.
        let folio = store.largeFolio(of: page)
        if folio >= 0 && folio == store.largeFolio(of: treePage) {
            splitHugePage(folio)
            return false
        }
        guard tryToMergeWithKSMPage(item, page, nil, C.self) else { return false }
        if tryToMergeWithKSMPage(treeItem, treePage, page, compared: true, C.self) { return true }
        breakCow(item)
        return false
    }

    /// `try_to_merge_with_zero_page()`: with use_zero_pages, a page whose checksum is the zero
    /// page's is replaced by the zero page. Returns `false` when the visit is over (merged), `true`
    /// to go on to the trees.
    func tryToMergeWithZeroPage<C: PageContent>(_ item: Int32, _ page: PageHandle, _ content: C.Type) -> Bool {
        guard ksm.knobs.useZeroPages, ksm.items[Int(item)].oldChecksum == ksm.zeroChecksum else { return true }
        let (mmID, address) = ksm.place(ofItem: item)
        guard let mm = ksmMM(mmID), findMergeableVMA(mm, address) != nil else { return false }
        return !tryToMergeOnePage(mm, address, page, Self.ksmZeroPTE, C.self)
    }

    /// Undoes a half-made merge (`break_cow()`).
    func breakCow(_ item: Int32) {
        let (mmID, address) = ksm.place(ofItem: item)
        guard let mm = ksmMM(mmID), findMergeableVMA(mm, address) != nil else { return }
        breakKSM(mm, address)
    }

    /// Replaces a KSM page or KSM zero page at `address` by a private copy (`break_ksm()`, an
    /// unsharing fault).
    func breakKSM(_ mm: MM, _ address: Int) {
        let h = mm.pageTable[address]
        if h == Self.ksmZeroPTE {
            let n = store.allocate()
            store.zero(n)
            mm.pageTable[address] = n
            unmapZeroPage(mm)
        } else if h != 0 && store.isKSM(h) {
            let n = store.copy(h)
            mm.pageTable[address] = n
            store.release(h)
        }
    }

    /// A KSM zero page's mapping went away (`ksm_might_unmap_zero_page()`).
    func unmapZeroPage(_ mm: MM) {
        ksm.zeroPages -= 1
        mm.ksmZeroPages -= 1
    }
}

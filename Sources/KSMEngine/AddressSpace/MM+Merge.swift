/// VMA merging and splitting: the rules of mm/vma.c.
extension MM {
    /// `is_mergeable_vma()` plus file-offset contiguity, for `left` directly followed by `right`.
    static func attributesMergeable(_ left: VMA, _ right: VMA) -> Bool {
        left.end == right.start
            && left.flags.subtracting(.softDirty) == right.flags.subtracting(.softDirty)
            && left.flags.isDisjoint(with: .special)
            && left.object == right.object
            && right.pgoff == left.pgoff + left.pages
    }

    /// `is_mergeable_anon_vma()`: may `source`'s anonymous pages join `target`'s anon_vma?
    static func anonVMACompatible(target: VMA, source: VMA) -> Bool {
        if target.anonVMA == 0 && source.anonVMA != 0 { return !source.hadUncowedParents }
        if target.anonVMA != 0 && source.anonVMA == 0 { return !target.hadUncowedParents }
        return target.anonVMA == source.anonVMA
    }

    /// `can_vma_merge_right()`'s extra check: prev and next must also suit each other.
    static func prevNextCompatible(_ prev: VMA, _ next: VMA) -> Bool {
        prev.anonVMA == 0 || next.anonVMA == 0 || prev.anonVMA == next.anonVMA
    }

    /// The merged VMA's anon_vma: `dup_anon_vma()` gives the target the source's when it has none.
    static func mergedAnon(_ parts: [VMA]) -> (Int, Int) {
        for p in parts where p.anonVMA != 0 { return (p.anonVMA, p.anonChain) }
        return (0, 0)
    }

    /// Inserts the proposed new VMA `p` (which overlaps nothing), merging it with its neighbours
    /// where the kernel would (`vma_merge_new_range()`); `justExpand` allows only the left merge, as
    /// brk asks. Returns whether it merged.
    /// - Complexity: O(VMAs) for the array insertion.
    @discardableResult
    func insertMerging(_ p: VMA, justExpand: Bool = false) -> Bool {
        let i = firstIndex(endingAfter: p.start)
        let prev = i > 0 ? vmas[i - 1] : nil
        let next = i < vmas.count ? vmas[i] : nil
        let special = !p.flags.isDisjoint(with: .special)
        let left =
            !special && prev.map { Self.attributesMergeable($0, p) && Self.anonVMACompatible(target: $0, source: p) } ?? false
        var right =
            !special && !justExpand
            && next.map { Self.attributesMergeable(p, $0) && Self.anonVMACompatible(target: $0, source: p) } ?? false
        if left && right && !Self.prevNextCompatible(prev!, next!) { right = false }
        switch (left, right) {
        case (true, true):
            var m = prev!
            m.end = next!.end
            (m.anonVMA, m.anonChain) = Self.mergedAnon([prev!, p, next!])
            vmas[i - 1] = m
            vmas.remove(at: i)
        case (true, false):
            var m = prev!
            m.end = p.end
            (m.anonVMA, m.anonChain) = Self.mergedAnon([prev!, p])
            vmas[i - 1] = m
        case (false, true):
            var m = next!
            m.start = p.start
            m.pgoff = p.pgoff
            (m.anonVMA, m.anonChain) = Self.mergedAnon([next!, p])
            vmas[i] = m
        case (false, false):
            vmas.insert(p, at: i)
            return false
        }
        return true
    }

    /// Changes the part `range` of VMA `i` by `change` (new flags, usually), merging with a
    /// neighbour or splitting as the kernel's `vma_modify()` does.
    ///
    /// A merge is tried first (`vma_merge_existing_range()`); otherwise the VMA is split at the
    /// range's ends, each split refused with ENOMEM at max_map_count (`split_vma()`), which may leave
    /// a first split done, as in the kernel.
    func modify(_ i: Int, _ range: Range<Int>, maxMapCount: Int, _ change: (inout VMA) -> Void) throws(Errno) {
        let v = vmas[i]
        precondition(v.start <= range.lowerBound && range.upperBound <= v.end && !range.isEmpty)
        var p = v
        p.start = range.lowerBound
        p.end = range.upperBound
        p.pgoff = v.pgoff + (range.lowerBound - v.start)
        change(&p)
        if p.flags == v.flags { return }
        let leftSide = p.start == v.start
        let rightSide = p.end == v.end
        let prev = i > 0 ? vmas[i - 1] : nil
        let next = i + 1 < vmas.count ? vmas[i + 1] : nil
        let special = !p.flags.isDisjoint(with: .special)
        let mergeLeft =
            !special && leftSide
            && prev.map { Self.attributesMergeable($0, p) && Self.anonVMACompatible(target: $0, source: p) } ?? false
        var mergeRight =
            !special && rightSide
            && next.map { Self.attributesMergeable(p, $0) && Self.anonVMACompatible(target: $0, source: p) } ?? false
        if mergeLeft && mergeRight && !Self.prevNextCompatible(prev!, next!) { mergeRight = false }

        if mergeLeft {
            var m = prev!
            m.end = mergeRight ? next!.end : p.end
            (m.anonVMA, m.anonChain) = Self.mergedAnon(mergeRight ? [prev!, p, next!] : [prev!, p])
            vmas[i - 1] = m
            if mergeRight {
                vmas.removeSubrange(i...(i + 1))
            } else if rightSide {
                vmas.remove(at: i)
            } else {
                vmas[i].pgoff += p.end - v.start
                vmas[i].start = p.end
            }
            return
        }
        if mergeRight {
            var m = next!
            m.start = p.start
            m.pgoff = p.pgoff
            (m.anonVMA, m.anonChain) = Self.mergedAnon([next!, p])
            vmas[i + 1] = m
            if leftSide { vmas.remove(at: i) } else { vmas[i].end = p.start }
            return
        }
        var at = i
        if !leftSide {
            if mapCount >= maxMapCount { throw .ENOMEM }
            split(at, at: p.start)
            at += 1
        }
        if !rightSide {
            if mapCount >= maxMapCount { throw .ENOMEM }
            split(at, at: p.end)
        }
        vmas[at] = p
    }

    /// Splits VMA `i` in two at `page` (`__split_vma()`, no map-count check).
    func split(_ i: Int, at page: Int) {
        var lower = vmas[i]
        var upper = lower
        precondition(lower.start < page && page < lower.end)
        // vma_adjust_trans_huge(): a boundary inside a PMD-mapped huge page splits the PMD.
        if !hugePMDs.isEmpty, page & (SimulatedKernel.hugePagePages - 1) != 0 {
            let r = page / SimulatedKernel.hugePagePages
            if hugePMDs.removeValue(forKey: r) != nil {
                pteTables.insert(r)
                pmdSplits += 1
            }
        }
        lower.end = page
        upper.pgoff += page - upper.start
        upper.start = page
        vmas[i] = lower
        vmas.insert(upper, at: i + 1)
    }
}

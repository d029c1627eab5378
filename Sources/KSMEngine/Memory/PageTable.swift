/// A process's sparse page table: virtual page number to ``PageHandle``, in 512-entry leaves
/// allocated on first use, like the kernel's PTE pages.
///
/// Only anonymous pages (private anonymous memory and copied-on-write pages of private file mappings)
/// have entries; shared mappings read their object's page cache.
struct PageTable {
    static let leafShift = 9
    static let leafSize = 1 << leafShift
    /// Leaves per directory block (the kernel's PMD page), and the shift from a leaf key to its block.
    static let blockShift = 9
    static let blockSize = 1 << blockShift

    /// Per directory block, its index in `blocks`, or -1; grown as keys need.
    private var directory: [Int32] = []
    /// Per leaf key, in blocks of ``blockSize``: the leaf's number in `entries` (offset / leafSize),
    /// or -1.
    private var blocks: [Int32] = []
    private(set) var entries: [PageHandle] = []

    /// The entry offset of a leaf, if allocated.
    @inline(__always) func leafIndex(_ key: Int) -> Int? {
        let d = key >> Self.blockShift
        guard d >= 0, d < directory.count else { return nil }
        let b = directory[d]
        if b < 0 { return nil }
        let leaf = blocks[Int(b) << Self.blockShift | (key & (Self.blockSize - 1))]
        return leaf < 0 ? nil : Int(leaf) << Self.leafShift
    }

    @inline(__always) subscript(page: Int) -> PageHandle {
        get {
            guard let leaf = leafIndex(page >> Self.leafShift) else { return 0 }
            return entries[leaf + (page & (Self.leafSize - 1))]
        }
        set {
            let key = page >> Self.leafShift
            if let leaf = leafIndex(key) {
                entries[leaf + (page & (Self.leafSize - 1))] = newValue
                return
            }
            if newValue == 0 { return }
            let d = key >> Self.blockShift
            if d >= directory.count { directory.append(contentsOf: repeatElement(-1, count: d + 1 - directory.count)) }
            if directory[d] < 0 {
                directory[d] = Int32(blocks.count >> Self.blockShift)
                blocks.append(contentsOf: repeatElement(-1, count: Self.blockSize))
            }
            let leaf = entries.count
            blocks[Int(directory[d]) << Self.blockShift | (key & (Self.blockSize - 1))] = Int32(leaf >> Self.leafShift)
            entries.append(contentsOf: repeatElement(0, count: Self.leafSize))
            entries[leaf + (page & (Self.leafSize - 1))] = newValue
        }
    }

    /// Calls `body(page, handle)` for every present entry in `range`, in address order.
    /// - Complexity: O(leaves in range + present entries); absent leaves cost one lookup each.
    func forEachPresent(in range: Range<Int>, _ body: (Int, PageHandle) throws -> Void) rethrows {
        var page = range.lowerBound
        while page < range.upperBound {
            let key = page >> Self.leafShift
            let leafEnd = min((key + 1) << Self.leafShift, range.upperBound)
            if let leaf = leafIndex(key) {
                for p in page..<leafEnd {
                    let h = entries[leaf + (p & (Self.leafSize - 1))]
                    if h != 0 { try body(p, h) }
                }
            }
            page = leafEnd
        }
    }

    /// Removes every present entry in `range`, returning the handles removed (to be released).
    mutating func removeAll(in range: Range<Int>) -> [PageHandle] {
        var removed: [PageHandle] = []
        var page = range.lowerBound
        while page < range.upperBound {
            let key = page >> Self.leafShift
            let leafEnd = min((key + 1) << Self.leafShift, range.upperBound)
            if let leaf = leafIndex(key) {
                for p in page..<leafEnd {
                    let i = leaf + (p & (Self.leafSize - 1))
                    if entries[i] != 0 {
                        removed.append(entries[i])
                        entries[i] = 0
                    }
                }
            }
            page = leafEnd
        }
        return removed
    }
}

/// A process's sparse page table: virtual page number to ``PageHandle``, in 512-entry leaves
/// allocated on first use, like the kernel's PTE pages.
///
/// Only anonymous pages (private anonymous memory and copied-on-write pages of private file mappings)
/// have entries; shared mappings read their object's page cache.
struct PageTable {
    static let leafShift = 9
    static let leafSize = 1 << leafShift

    private var leafOf: [Int: Int] = [:]
    private(set) var entries: [PageHandle] = []

    /// The entry offset of a leaf, if allocated.
    @inline(__always) func leafIndex(_ key: Int) -> Int? { leafOf[key] }

    @inline(__always) subscript(page: Int) -> PageHandle {
        get {
            guard let leaf = leafOf[page >> Self.leafShift] else { return 0 }
            return entries[leaf + (page & (Self.leafSize - 1))]
        }
        set {
            let key = page >> Self.leafShift
            let leaf: Int
            if let l = leafOf[key] {
                leaf = l
            } else {
                if newValue == 0 { return }
                leaf = entries.count
                leafOf[key] = leaf
                entries.append(contentsOf: repeatElement(0, count: Self.leafSize))
            }
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
            if let leaf = leafOf[key] {
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
            if let leaf = leafOf[key] {
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

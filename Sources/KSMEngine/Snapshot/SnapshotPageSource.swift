import Glibc

/// A captured process as the estimator's page source: pagemap entries rebuilt from its page
/// records, and bytes from the snapshot's distinct pages (expanded, for hashes and seeds).
final class SnapshotPageSource: PagemapSource {
    /// Virtual page numbers of the records, ascending.
    private let pageNumbers: [UInt64]
    private let records: [SnapshotPage]
    private let pages: DistinctPages
    private let zeroPFN: UInt64
    private let shared: ProcReadBuffer

    init(_ process: ProcessSnapshot, pages: DistinctPages, zeroPage: ZeroPageDetection, buffer: ProcReadBuffer) {
        var numbers: [UInt64] = []
        var records: [SnapshotPage] = []
        for v in process.vmas {
            let first = v.vma.start / 4096
            for p in v.pages {
                numbers.append(first + p.index)
                records.append(p)
            }
        }
        pageNumbers = numbers
        self.records = records
        self.pages = pages
        if case .pfn(let z) = zeroPage { zeroPFN = z } else { zeroPFN = 0 }
        shared = buffer
    }

    /// The index of the first record at or above page `page`.
    private func firstRecord(atOrAbove page: UInt64) -> Int {
        var low = 0
        var high = pageNumbers.count
        while low < high {
            let mid = (low + high) / 2
            if pageNumbers[mid] < page { low = mid + 1 } else { high = mid }
        }
        return low
    }

    func forEachPagemapChunk(
        first: UInt64, count: UInt64, _ body: (UInt64, UnsafeBufferPointer<PagemapEntry>) -> Void
    ) throws(EstimateError) {
        let end = first &+ count
        var i = firstRecord(atOrAbove: first)
        var run: [PagemapEntry] = []
        while i < records.count && pageNumbers[i] < end {
            // A run of records of consecutive pages, handed over as one dense chunk.
            let runFirst = pageNumbers[i]
            run.removeAll(keepingCapacity: true)
            while i < records.count && pageNumbers[i] < end && pageNumbers[i] == runFirst + UInt64(run.count) {
                run.append(records[i].pagemapEntry(zeroPFN: zeroPFN))
                i += 1
            }
            run.withUnsafeBufferPointer { body(runFirst, $0) }
        }
    }

    func readPages<R, E: Error>(
        first: UInt64, count: Int, _ body: (UnsafeRawBufferPointer) throws(E) -> R
    ) throws(E) -> (pages: Int, result: R) {
        precondition(
            count > 0 && count <= ProcPageReader.maxPagesPerRead, "1 to \(ProcPageReader.maxPagesPerRead) pages per read")
        var i = firstRecord(atOrAbove: first)
        var n = 0
        while n < count && i < records.count && pageNumbers[i] == first + UInt64(n) {
            let destination = shared.base + n * PageStore.pageSize
            let r = records[i]
            if r.flags.contains(.stored) {
                pages.copy(Int(r.content), to: destination)
            } else if r.flags.contains(.zeroFilled) {
                memset(destination, 0, PageStore.pageSize)
            } else {
                break  // unreadable when captured: as if gone
            }
            n += 1
            i += 1
        }
        return (n, try body(UnsafeRawBufferPointer(start: shared.base, count: n * PageStore.pageSize)))
    }
}

/// The pages of an ELF core file's segments, read by page number of the dumped address space: the
/// core file's side of ``ProcessImage``.
final class CorePageSource: ProcessPageSource {
    let core: ELFCoreFile
    private let buffer: ProcReadBuffer

    init(_ core: ELFCoreFile, buffer: ProcReadBuffer = ProcReadBuffer()) {
        self.core = core
        self.buffer = buffer
    }

    /// The dumped segment holding page `page`, if any.
    /// - Complexity: O(log segments).
    func segment(holding page: UInt64) -> ELFCoreFile.Segment? {
        let address = page &* ELFCoreFile.pageSize
        var low = 0
        var high = core.segments.count
        while low < high {
            let mid = (low + high) / 2
            if core.segments[mid].end <= address { low = mid + 1 } else { high = mid }
        }
        guard low < core.segments.count, core.segments[low].start <= address else { return nil }
        return core.segments[low]
    }

    /// Reads pages from the file; stops early at a page the file does not hold (not dumped, or a
    /// failed read).
    func readPages<R, E: Error>(first: UInt64, count: Int, _ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> (
        pages: Int, result: R
    ) {
        precondition(
            count > 0 && count <= ProcPageReader.maxPagesPerRead, "1 to \(ProcPageReader.maxPagesPerRead) pages per read")
        var done = 0
        while done < count, let s = segment(holding: first + UInt64(done)) {
            let index = Int((first + UInt64(done)) - s.start / ELFCoreFile.pageSize)
            let n = min(count - done, s.dumpedPages - index)
            guard n > 0 else { break }
            let target = UnsafeMutableRawBufferPointer(start: buffer.base + done * 4096, count: n * 4096)
            do {
                try core.readPages(of: s, at: index, count: n, into: target)
            } catch {
                break
            }
            done += n
        }
        return (done, try body(UnsafeRawBufferPointer(start: buffer.base, count: done * 4096)))
    }
}

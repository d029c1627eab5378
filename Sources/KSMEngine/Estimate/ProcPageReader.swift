import Glibc

/// The `/proc/PID/pagemap` and `/proc/PID/mem` of one live process, opened read-only.
///
/// Both files are opened at once, so that a refusal (`PTRACE_MODE_READ` for pagemap,
/// `PTRACE_MODE_ATTACH` for mem) comes before any work; the descriptors stay bound to that
/// process's address space even if its pid were reused. Nothing is ever written: `mem` is opened
/// `O_RDONLY`, and only pages pagemap showed present are read, so no read faults in new memory.
final class ProcPageReader {
    static let pageBytes = 4096
    /// Pages one ``readPages(first:count:_:)`` may ask for.
    static let maxPagesPerRead = ProcReadBuffer.bytes / pageBytes

    let pid: Int32
    let pagemapPath: String
    let memPath: String
    private let pagemapFD: Int32
    private let memFD: Int32
    private let shared: ProcReadBuffer
    private var buffer: UnsafeMutableRawPointer { shared.base }

    /// Opens both files; the kernel's refusal is an ``EstimateError`` naming the file and errno.
    init(pid: Int32, buffer: ProcReadBuffer) throws(EstimateError) {
        self.pid = pid
        pagemapPath = "/proc/\(pid)/pagemap"
        memPath = "/proc/\(pid)/mem"
        let p = open(pagemapPath, O_RDONLY | O_CLOEXEC)
        guard p >= 0 else { throw EstimateError.system("open", pagemapPath, errno: errno, pid: pid) }
        let m = open(memPath, O_RDONLY | O_CLOEXEC)
        guard m >= 0 else {
            let e = errno
            close(p)
            throw EstimateError.system("open", memPath, errno: e, pid: pid)
        }
        pagemapFD = p
        memFD = m
        shared = buffer
    }

    deinit {
        close(pagemapFD)
        close(memFD)
    }

    /// Calls `body(firstPage, entries)` for the pagemap entries of pages `[first, first + count)`
    /// (virtual page numbers), up to 131,072 entries at a time. Entries past what the kernel
    /// returns (beyond the address space) are absent.
    /// - Complexity: O(count).
    func forEachPagemapChunk(
        first: UInt64, count: UInt64, _ body: (UInt64, UnsafeBufferPointer<PagemapEntry>) -> Void
    ) throws(EstimateError) {
        let perChunk = UInt64(ProcReadBuffer.bytes / 8)
        var page = first
        let end = first + count
        while page < end {
            let n = Int(min(perChunk, end - page))
            let got = try readFully(pagemapFD, pagemapPath, bytes: n * 8, at: page * 8) / 8
            if got == 0 { return }
            body(page, UnsafeBufferPointer(start: buffer.bindMemory(to: PagemapEntry.self, capacity: got), count: got))
            page += UInt64(got)
        }
    }

    /// Reads pages `[first, first + count)` (at most ``maxPagesPerRead``) from `/proc/PID/mem` in
    /// one `pread` and calls `body` with the leading pages that could be read; returns their number
    /// (fewer than `count` when a page is gone: unmapped or the process exited meanwhile).
    func readPages<R, E: Error>(
        first: UInt64, count: Int, _ body: (UnsafeRawBufferPointer) throws(E) -> R
    ) throws(E) -> (pages: Int, result: R) {
        precondition(count > 0 && count <= Self.maxPagesPerRead, "1 to \(Self.maxPagesPerRead) pages per read")
        let bytes = count * Self.pageBytes
        // A page gone (EIO, or the end) ends the read: the pages before it are used.
        let (address, overflow) = first.multipliedReportingOverflow(by: UInt64(Self.pageBytes))
        let done = overflow ? 0 : FileIO.preadFully(memFD, buffer, count: bytes, at: address).bytes
        let pages = done / Self.pageBytes
        return (pages, try body(UnsafeRawBufferPointer(start: buffer, count: pages * Self.pageBytes)))
    }

    /// `pread` until `bytes` bytes or the end of the file; the number read.
    private func readFully(_ fd: Int32, _ path: String, bytes: Int, at offset: UInt64) throws(EstimateError) -> Int {
        let got = FileIO.preadFully(fd, buffer, count: bytes, at: offset)
        if got.errno != 0 { throw EstimateError.system("read", path, errno: got.errno, pid: pid) }
        return got.bytes
    }
}

import Glibc

/// How the estimate tells pages that map the shared zero page (read faults on untouched anonymous
/// memory) from written anonymous pages: ksmd skips the former (`vm_normal_page()` is `NULL` for
/// them), and they show in pagemap as present, not file.
public enum ZeroPageDetection: Hashable, Sendable {
    /// The zero page's PFN, found by reading a fresh anonymous page of this process: pages with it
    /// are skipped.
    case pfn(UInt64)
    /// PFNs read as 0 (no `CAP_SYS_ADMIN`): zero-page mappings cannot be told apart, so every
    /// all-zero anonymous page counts as an ordinary page (the estimate may be high).
    case pfnsHidden
    /// The probe's read fault mapped no page at all: the kernel maps no zero page, nothing to skip.
    case noZeroPage
    /// The input does not record which pages were present (an ELF core file): its all-zero pages of
    /// anonymous memory were skipped as absent or zero-page mappings (`zeroFilledSkipped`), or
    /// counted as written zeros.
    case notRecorded(zeroFilledSkipped: Bool)

    /// Probes once: maps an anonymous page, reads a byte of it (a read fault maps the zero page)
    /// and reads this process's pagemap entry for it.
    static func probe() throws(EstimateError) -> ZeroPageDetection {
        let size = 4096
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), p != MAP_FAILED else {
            throw EstimateError(.readFailed, "cannot map a probe page: \(String(cString: strerror(errno)))")
        }
        defer { munmap(p, size) }
        // The load must happen: precondition keeps it in optimised builds.
        let byte = p.load(as: UInt8.self)
        precondition(byte == 0, "fresh anonymous memory reads as zeros")

        let path = "/proc/self/pagemap"
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw EstimateError.system("open", path, errno: errno, pid: getpid()) }
        defer { close(fd) }
        var raw: UInt64 = 0
        let offset = off_t(UInt(bitPattern: p) / UInt(size) * 8)
        let r = withUnsafeMutableBytes(of: &raw) { pread(fd, $0.baseAddress, 8, offset) }
        guard r == 8 else { throw EstimateError.system("read", path, errno: r < 0 ? errno : EIO, pid: getpid()) }
        let entry = PagemapEntry(rawValue: raw)
        // A real page (mapped once, as a kernel without a zero page would give) is no zero page.
        if !entry.isPresent || entry.isFileOrSharedAnon || entry.isExclusive { return .noZeroPage }
        return entry.pfn == 0 ? .pfnsHidden : .pfn(entry.pfn)
    }
}

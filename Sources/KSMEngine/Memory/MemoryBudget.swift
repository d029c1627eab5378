#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How much of this machine's memory a simulation may take, checked before anything is allocated.
///
/// A budget is memory in bytes; the simulator turns it into the pages it may hold
/// (``SimulatedKernel/memoryBudgetPages``) at ``bytesPerPage(_:)`` each: a page's contents (4 KiB
/// of bytes, or an 8-byte content id) and an allowance for what the engine keeps beside them. The default is three quarters of the memory
/// the machine has available when the program starts (`MemAvailable`), so that a run which fits
/// its budget is not ended by the kernel's OOM killer; a budget above the machine's physical memory
/// is refused at once (``check(bytes:)``), since it could only end that way.
public enum MemoryBudget {
    /// Memory one simulated page may take beside its contents: its frame's reference count and KSM
    /// state (8 bytes), its page-table entry (4 bytes, in 2 KiB leaves), and ksmd's bookkeeping
    /// (rmap item, stable-tree share, indexes: at most 46.8 bytes a page as `bench` measures it at a
    /// duplicate ratio of 0.5, 97.3 before the items and nodes shrank), rounded up to leave room for
    /// arrays growing by doubling. Measured all in with `/usr/bin/time`: about 144 bytes beside the
    /// contents at 1 Mi pages of bytes, with the larger items and nodes.
    public static let overheadBytesPerPage = 256

    /// Memory one simulated page may take, all in: 4,096 bytes of contents and
    /// ``overheadBytesPerPage``; with content ids, 128 bytes: measured all in (docs/scale.md,
    /// `bench` under GNU time), at most 92 bytes a page at a duplicate ratio of 0.5 (the costlier
    /// one: a stable node for every two pages) from 16 Mi to 128 Mi pages, at powers of two and
    /// between them, with about 40 MB more for the program itself; about 71 since rmap items take
    /// 20 bytes instead of 32 and stable nodes 40 instead of 56.
    public static func bytesPerPage(_ content: PageContentMode = .bytes) -> Int {
        content == .ids ? 128 : PageStore.pageSize + overheadBytesPerPage
    }

    /// This machine's physical memory in bytes (`MemTotal`), or `nil` when it cannot be read.
    public static var physicalBytes: Int? {
        let pages = sysconf(Int32(_SC_PHYS_PAGES))
        let size = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, size > 0 else { return nil }
        return pages.multipliedReportingOverflow(by: size).overflow ? nil : pages * size
    }

    /// The pages ``physicalBytes`` holds at ``bytesPerPage(_:)`` each: no write may take the
    /// simulator past it, whatever its budget.
    public static func physicalPages(_ content: PageContentMode = .bytes) -> Int {
        content == .ids ? physicalIDPages : physicalBytePages
    }
    private static let physicalBytePages = pages(forBytes: physicalBytes ?? .max, content: .bytes)
    private static let physicalIDPages = pages(forBytes: physicalBytes ?? .max, content: .ids)

    /// Memory available to new allocations without swapping (`MemAvailable` of `/proc/meminfo`), in
    /// bytes; where that cannot be read, the free physical memory (`_SC_AVPHYS_PAGES`).
    public static var availableBytes: Int? {
        if case .success(let text) = ProcFiles.read("/proc/meminfo"),
            let kb = ProcFiles.kibibytes(of: "MemAvailable", in: text)
        {
            return kb * 1024
        }
        let pages = sysconf(Int32(_SC_AVPHYS_PAGES))
        let size = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, size > 0 else { return nil }
        return pages * size
    }

    /// The default budget in bytes: three quarters of ``availableBytes`` when first asked (3 GiB
    /// where memory cannot be read); read once.
    public static var defaultBytes: Int { defaultBudgetBytes }
    private static let defaultBudgetBytes = (availableBytes ?? (4 << 30)) / 4 * 3

    /// The pages a budget of `bytes` holds, at ``bytesPerPage(_:)`` each (at least 1).
    public static func pages(forBytes bytes: Int, content: PageContentMode = .bytes) -> Int {
        max(1, bytes / bytesPerPage(content))
    }

    /// The bytes `pages` simulated pages may take, all in (saturating).
    public static func bytes(forPages pages: Int, content: PageContentMode = .bytes) -> Int {
        let (b, overflow) = max(pages, 0).multipliedReportingOverflow(by: bytesPerPage(content))
        return overflow ? .max : b
    }

    /// Refuses a budget this machine cannot honour.
    /// - Throws: ``MemoryBudgetError`` for a budget below one page (of bytes) or above
    ///   ``physicalBytes``.
    public static func check(bytes: Int) throws(MemoryBudgetError) {
        guard bytes >= bytesPerPage() else { throw MemoryBudgetError(requestedBytes: bytes, physicalBytes: physicalBytes) }
        if let physical = physicalBytes, bytes > physical {
            throw MemoryBudgetError(requestedBytes: bytes, physicalBytes: physical)
        }
    }

    /// A size for people: "1.5 GiB", "640 MiB", "12 KiB".
    public static func readable(_ bytes: Int) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(bytes) bytes" }
        let rounded = value >= 100 ? String(Int(value.rounded())) : String((value * 10).rounded() / 10)
        return "\(rounded.hasSuffix(".0") ? String(rounded.dropLast(2)) : rounded) \(units[unit])"
    }
}

/// A memory budget this machine cannot honour: below one page, or above its physical memory.
public struct MemoryBudgetError: Error, Equatable, CustomStringConvertible {
    /// The budget asked for, in bytes.
    public var requestedBytes: Int
    /// This machine's physical memory in bytes, if it could be read.
    public var physicalBytes: Int?

    /// One line: what was asked, and why it cannot be had.
    public var description: String {
        if requestedBytes < MemoryBudget.bytesPerPage() {
            return "a memory budget of \(MemoryBudget.readable(requestedBytes)) holds no page "
                + "(one takes \(MemoryBudget.bytesPerPage()) bytes with its bookkeeping)"
        }
        return "a memory budget of \(MemoryBudget.readable(requestedBytes)) is more than this machine's "
            + "physical memory (\(MemoryBudget.readable(physicalBytes ?? 0))): the run could only end in the OOM killer"
    }
}

import Glibc

/// What `estimate --core` does with the all-zero pages of anonymous segments, which a core file
/// cannot tell apart: pages never written (absent, or mapping the shared zero page, which ksmd
/// skips) and pages the process wrote zeros to (which merge like any equal pages).
public enum CoreZeroFilledPages: String, Sendable, CaseIterable {
    /// Taken for absent pages or zero-page mappings and left out (the default: gcore reads every page
    /// of an anonymous mapping, so its untouched pages are all-zero pages in the file).
    case skipped
    /// Taken for written zeros and copied like other pages (an upper bound).
    case counted
}

extension ProcessImage {
    /// The plan of the process in an ELF core file: each `PT_LOAD` segment a VMA (its dumped pages the ones read), judged by
    /// the rules from what the file says of it, and in each eligible one the pages ksmd would scan.
    ///
    /// A core file does not record which pages were present, nor the VMA's flags; docs/estimate.md
    /// describes the approximation: segment flags give `rd`/`wr`/`ex`, `NT_FILE` names file-backed
    /// ranges, `AT_SYSINFO_EHDR` the vDSO; a dumped page of a file-backed range counts when it
    /// differs from the file's page at its offset (a written copy: anonymous), and not when it is
    /// equal (page cache) or the file cannot be read here; an all-zero page of an anonymous range
    /// counts or not as `zeroFilledPages` says.
    /// - Complexity: O(dumped pages × 4 KiB).
    init(
        core: ELFCoreFile, source: CorePageSource, rules: EligibilityRules, range: Range<UInt64>?,
        zeroFilledPages: CoreZeroFilledPages
    ) throws(EstimateError) {
        var files = MappedFileReader()
        defer { files.closeAll() }
        var pageCache = 0
        let zero = [UInt8](repeating: 0, count: 4096)
        let pageBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 4096)
        defer { pageBuffer.deallocate() }
        let size = ELFCoreFile.pageSize
        let plan = try ProcessPlan.sorting(
            core.segments,
            vma: {
                LiveVMA(
                    start: $0.start, end: $0.end, name: Self.name(of: $0, in: core), mnemonics: Self.mnemonics(of: $0, in: core),
                    residentKB: $0.dumpedPages * 4)
            }, pid: core.pid ?? 0, command: core.command ?? "", rules: rules, range: range
        ) { (segment: ELFCoreFile.Segment, e: inout ProcessPlan.EligibleVMA, plan: inout ProcessPlan) throws(EstimateError) in
            // The dumped pages inside the (clipped) VMA.
            let v = e.vma
            let first = v.start / size
            let end = min(v.end, segment.start + segment.fileSize) / size
            let mapped = core.mappedFiles.filter { $0.start < v.end && $0.end > v.start }
            var page = first
            while page < end {
                let n = Int(min(UInt64(ProcPageReader.maxPagesPerRead), end - page))
                let (got, _) = source.readPages(first: page, count: n) { (bytes: UnsafeRawBufferPointer) -> Void in
                    for i in 0..<(bytes.count / 4096) {
                        let p = page + UInt64(i)
                        let bytes = UnsafeRawBufferPointer(rebasing: bytes[(i * 4096)..<((i + 1) * 4096)])
                        let address = p * size
                        if let file = mapped.first(where: { $0.start <= address && address < $0.end }) {
                            switch files.compare(bytes, with: file, at: address, scratch: pageBuffer) {
                            case .equal:
                                pageCache += 1
                                continue
                            case .unreadable:
                                continue
                            case .different: break
                            }
                        } else if zeroFilledPages == .skipped,
                            zero.withUnsafeBytes({ memcmp($0.baseAddress!, bytes.baseAddress!, 4096) }) == 0
                        {
                            // Counted as the zero-page mappings a pagemap would show.
                            plan.zeroPageMappings += 1
                            continue
                        }
                        PageRun.append(p, to: &e.runs)
                        e.pages += 1
                    }
                }
                guard got == n else {
                    throw EstimateError(
                        .readFailed,
                        "cannot read pages \(ELFCoreFile.hex(page * size))... of \(core.path): the file changed while being read")
                }
                page += UInt64(n)
            }
        }
        var notes: [String] = []
        if pageCache > 0 {
            notes.append(
                "\(pageCache) dumped page\(pageCache == 1 ? "" : "s") of file mappings equal the file's page: taken for page cache "
                    + "and not counted (a written copy with the same bytes would be anonymous)")
        }
        if files.unreadablePages > 0 {
            let shown = files.unreadable.sorted().prefix(3).joined(separator: ", ")
            notes.append(
                "\(files.unreadablePages) dumped page\(files.unreadablePages == 1 ? "" : "s") of \(files.unreadable.count) file "
                    + "mapping\(files.unreadable.count == 1 ? "" : "s") not readable here (\(shown)\(files.unreadable.count > 3 ? ", ..." : "")) "
                    + "could not be told from page cache and are not counted")
        }
        if core.isQEMUDump || core.mappedFiles.isEmpty && core.pid == nil {
            notes.append("a guest's RAM (no NT_FILE, no NT_PRPSINFO): estimated as one process with one VMA per segment")
        }
        self.init(plan: plan, pages: source, notes: notes)
    }

    /// `NT_FILE`'s path for the segment's first page, `[vdso]` at `AT_SYSINFO_EHDR`, else empty.
    static func name(of segment: ELFCoreFile.Segment, in core: ELFCoreFile) -> String {
        if segment.start == core.vdsoAddress { return "[vdso]" }
        return core.mappedFiles.first { $0.start <= segment.start && segment.start < $0.end }?.path ?? ""
    }

    /// `rd`, `wr`, `ex` from `p_flags`; the vDSO also `de` (`VM_DONTEXPAND`, as its VMA has).
    static func mnemonics(of segment: ELFCoreFile.Segment, in core: ELFCoreFile) -> [String] {
        var m: [String] = []
        if segment.isReadable { m.append("rd") }
        if segment.isWritable { m.append("wr") }
        if segment.isExecutable { m.append("ex") }
        if segment.start == core.vdsoAddress { m.append("de") }
        return m
    }
}

/// The files of `NT_FILE` entries, opened read-only once each, for comparing dumped pages with the
/// file's pages.
struct MappedFileReader {
    enum Comparison { case equal, different, unreadable }

    private var descriptors: [String: Int32] = [:]
    /// Paths that could not be opened (deleted, another machine's, no permission).
    private(set) var unreadable: Set<String> = []
    /// Pages of those files' mappings.
    private(set) var unreadablePages = 0

    /// Compares `page` (4,096 bytes at `address`, inside `file`'s range) with the file's page at the
    /// same offset; past the file's end the file reads as zeros, as a mapping does.
    mutating func compare(
        _ page: UnsafeRawBufferPointer, with file: ELFCoreFile.MappedFile, at address: UInt64,
        scratch: UnsafeMutableRawBufferPointer
    ) -> Comparison {
        let fd: Int32
        if let known = descriptors[file.path] {
            fd = known
        } else {
            fd = file.path.hasPrefix("/") ? open(file.path, O_RDONLY | O_CLOEXEC) : -1
            descriptors[file.path] = fd
        }
        guard fd >= 0 else {
            unreadable.insert(file.path)
            unreadablePages += 1
            return .unreadable
        }
        let (offset, overflow) = file.fileOffset.addingReportingOverflow(address - file.start)
        guard !overflow, offset <= UInt64(Int64.max - 4096), let base = scratch.baseAddress else { return .different }
        // A failed read compares what it read, the rest as zeros (the file's bytes are gone).
        let done = FileIO.preadFully(fd, base, count: 4096, at: offset).bytes
        if done < 4096 { (base + done).initializeMemory(as: UInt8.self, repeating: 0, count: 4096 - done) }
        return memcmp(base, page.baseAddress!, 4096) == 0 ? .equal : .different
    }

    /// Closes every file opened.
    mutating func closeAll() {
        for fd in descriptors.values where fd >= 0 { close(fd) }
        descriptors.removeAll()
    }
}

import Glibc

/// An ELF core file of one x86-64 process, as gdb's `gcore`, the kernel (systemd-coredump) and
/// QEMU's `dump-guest-memory` write it: its `PT_LOAD` segments, the file-backed ranges of its
/// `NT_FILE` note, and the few other notes the estimate uses (`NT_PRPSINFO`, `NT_AUXV`).
///
/// Opening reads and checks the ELF header, the program headers and the notes only; page contents
/// are read later with `pread`, a run of pages at a time (``readPages(of:at:count:into:)``), so a big
/// file is never loaded whole. Every offset and size taken from the file is checked against the
/// file's size, with overflow checks, before it is used or anything is allocated for it: a
/// truncated, corrupt or foreign file is a ``CoreFileError`` of one line, never a trap.
///
/// A QEMU dump without paging (`dump-guest-memory` without `-p`) gives every segment the virtual
/// address 0; its segments are then placed at their physical addresses (guest-physical RAM), which
/// ``usesPhysicalAddresses`` reports.
public final class ELFCoreFile {
    /// One `PT_LOAD` segment: a range of the process's address space and the part of it the file
    /// holds.
    public struct Segment: Hashable, Sendable {
        /// The first byte's address (`p_vaddr`, or `p_paddr` when ``usesPhysicalAddresses``).
        public var start: UInt64
        /// The address just past the segment (`start + p_memsz`).
        public var end: UInt64
        /// `p_flags`: `PF_R` 4, `PF_W` 2, `PF_X` 1.
        public var flags: UInt32
        /// Where the segment's bytes start in the file (`p_offset`).
        public var fileOffset: UInt64
        /// Bytes of the segment in the file (`p_filesz`): its first pages; the rest was not dumped.
        public var fileSize: UInt64

        /// Pages in the segment.
        public var pages: Int { Int((end - start) / ELFCoreFile.pageSize) }
        /// Pages of the segment the file holds.
        public var dumpedPages: Int { Int(fileSize / ELFCoreFile.pageSize) }
        /// `PF_R`.
        public var isReadable: Bool { flags & 4 != 0 }
        /// `PF_W`.
        public var isWritable: Bool { flags & 2 != 0 }
        /// `PF_X`.
        public var isExecutable: Bool { flags & 1 != 0 }
    }

    /// One entry of the `NT_FILE` note: a range of the address space mapping a file.
    public struct MappedFile: Hashable, Sendable {
        /// The first byte's address.
        public var start: UInt64
        /// The address just past the range.
        public var end: UInt64
        /// The offset in the file of the range's first byte.
        public var fileOffset: UInt64
        /// The file's path as the process saw it (`/usr/lib/...`, `/dev/zero (deleted)`).
        public var path: String
    }

    /// The page size the estimate works with (x86-64).
    public static let pageSize: UInt64 = 4096
    /// The most bytes of notes read (the kernel caps its own `NT_FILE` at 4 MiB by default).
    static let maxNoteBytes: UInt64 = 64 << 20

    /// The path the file was opened from.
    public let path: String
    /// The file's size in bytes.
    public let fileSize: UInt64
    /// The `PT_LOAD` segments, by address, none overlapping.
    public private(set) var segments: [Segment] = []
    /// The `NT_FILE` entries, by address (empty for QEMU dumps and files without the note).
    public private(set) var mappedFiles: [MappedFile] = []
    /// The process id of `NT_PRPSINFO`, if the file has that note.
    public private(set) var pid: Int32?
    /// The command name (`pr_fname`) of `NT_PRPSINFO`, if the file has that note.
    public private(set) var command: String?
    /// The vDSO's address (`AT_SYSINFO_EHDR` of `NT_AUXV`), if the file has that note.
    public private(set) var vdsoAddress: UInt64?
    /// Whether the file has a note named `QEMU` (written by `dump-guest-memory`).
    public private(set) var isQEMUDump = false
    /// Whether the segments are placed at their physical addresses (every `p_vaddr` was 0).
    public private(set) var usesPhysicalAddresses = false

    private let fd: Int32

    /// Opens `path` and reads and checks its headers and notes.
    /// - Complexity: O(segments × log segments + note bytes).
    public init(path: String) throws(CoreFileError) {
        self.path = path
        let opened: (fd: Int32, size: Int)
        do {
            opened = try FileIO.openRegularFile(path)
        } catch {
            guard error.call != nil else { throw CoreFileError(.unreadable, path: path, "not a regular file") }
            throw CoreFileError(.unreadable, path: path, FileIO.describe(errno: error.errno), errno: error.errno)
        }
        fd = opened.fd
        fileSize = UInt64(max(0, opened.size))
        try readHeaders()
    }

    deinit { close(fd) }

    // MARK: Headers

    private func readHeaders() throws(CoreFileError) {
        guard fileSize >= 64 else {
            throw fileSize >= 4 && (try? bytes(at: 0, count: 4)) == [0x7f, 0x45, 0x4c, 0x46]
                ? malformed("the ELF header is cut off (the file has \(fileSize) bytes, the header 64)")
                : CoreFileError(.foreign, path: path, "no ELF magic (the file has \(fileSize) bytes)")
        }
        let h = LittleEndianBytes(try bytes(at: 0, count: 64))
        guard h.bytes[0..<4].elementsEqual([0x7f, 0x45, 0x4c, 0x46]) else { throw foreign("no ELF magic") }
        guard h.bytes[4] == 2 else { throw foreign("ELF class \(h.bytes[4]), not ELFCLASS64 (2)") }
        guard h.bytes[5] == 1 else { throw foreign("ELF data encoding \(h.bytes[5]), not little-endian (1)") }
        guard h.bytes[6] == 1 else { throw foreign("ELF version \(h.bytes[6]), not 1") }
        let type = h.u16(16)
        guard type == 4 else { throw foreign("ELF type \(type), not ET_CORE (4)") }
        let machine = h.u16(18)
        guard machine == 62 else { throw foreign("machine \(machine), not EM_X86_64 (62)") }
        let phoff = h.u64(32)
        let phentsize = h.u16(54)
        var phnum = UInt64(h.u16(56))
        guard phentsize == 56 else { throw malformed("e_phentsize \(phentsize), not 56") }
        if phnum == 0xffff {
            // PN_XNUM: more than 65,534 segments; the count is section header 0's sh_info.
            let shoff = h.u64(40)
            guard shoff <= fileSize, fileSize - shoff >= 64 else {
                throw malformed("e_phnum is PN_XNUM but section header 0 (at \(shoff)) is not in the file")
            }
            phnum = UInt64(LittleEndianBytes(try bytes(at: shoff, count: 64)).u32(44))
        }
        let (tableBytes, o1) = phnum.multipliedReportingOverflow(by: 56)
        let (tableEnd, o2) = phoff.addingReportingOverflow(tableBytes)
        guard !o1, !o2, tableEnd <= fileSize else {
            throw malformed("\(phnum) program headers at offset \(phoff) extend past the end of the file (\(fileSize) bytes)")
        }
        let table = LittleEndianBytes(try bytes(at: phoff, count: Int(tableBytes)))

        struct Raw {
            var index: Int, flags: UInt32, offset: UInt64, vaddr: UInt64, paddr: UInt64, filesz: UInt64, memsz: UInt64
        }
        var loads: [Raw] = []
        var notes: [(offset: UInt64, size: UInt64)] = []
        var noteBytes: UInt64 = 0
        for i in 0..<Int(phnum) {
            let o = i * 56
            let pType = table.u32(o)
            let offset = table.u64(o + 8)
            let filesz = table.u64(o + 32)
            let (end, overflow) = offset.addingReportingOverflow(filesz)
            // A segment with nothing in the file may have any offset (only its size matters).
            if (pType == 1 || pType == 4) && filesz > 0 {
                guard !overflow, end <= fileSize else {
                    throw malformed(
                        "segment \(i): its \(filesz) bytes at offset \(offset) extend past the end of the file (\(fileSize) bytes)"
                    )
                }
            }
            if pType == 1 {
                loads.append(
                    Raw(
                        index: i, flags: table.u32(o + 4), offset: offset, vaddr: table.u64(o + 16), paddr: table.u64(o + 24),
                        filesz: filesz, memsz: table.u64(o + 40)))
            } else if pType == 4, filesz > 0 {
                noteBytes += filesz
                guard noteBytes <= Self.maxNoteBytes else {
                    throw malformed("notes of more than \(Self.maxNoteBytes) bytes")
                }
                notes.append((offset, filesz))
            }
        }
        usesPhysicalAddresses = !loads.isEmpty && loads.allSatisfy { $0.vaddr == 0 } && loads.contains { $0.paddr != 0 }
        for r in loads {
            let start = usesPhysicalAddresses ? r.paddr : r.vaddr
            guard r.memsz > 0 else { continue }
            guard start % Self.pageSize == 0, r.memsz % Self.pageSize == 0, r.filesz % Self.pageSize == 0 else {
                throw malformed(
                    "segment \(r.index): address \(hex(start)), p_memsz \(r.memsz) or p_filesz \(r.filesz) is not a whole number of 4096-byte pages"
                )
            }
            guard r.filesz <= r.memsz else {
                throw malformed("segment \(r.index): p_filesz \(r.filesz) exceeds p_memsz \(r.memsz)")
            }
            let (end, overflow) = start.addingReportingOverflow(r.memsz)
            guard !overflow else {
                throw malformed("segment \(r.index): \(hex(start)) + \(r.memsz) bytes overflows the address space")
            }
            segments.append(Segment(start: start, end: end, flags: r.flags, fileOffset: r.offset, fileSize: r.filesz))
        }
        segments.sort { $0.start < $1.start }
        for (a, b) in zip(segments, segments.dropFirst()) where b.start < a.end {
            throw malformed("segments \(hex(a.start))-\(hex(a.end)) and \(hex(b.start))-\(hex(b.end)) overlap")
        }
        for n in notes { try parseNotes(LittleEndianBytes(try bytes(at: n.offset, count: Int(n.size)))) }
        mappedFiles.sort { $0.start < $1.start }
    }

    /// Walks one `PT_NOTE` segment: `namesz`, `descsz`, `type`, then the name and the descriptor,
    /// each padded to 4 bytes.
    private func parseNotes(_ n: LittleEndianBytes) throws(CoreFileError) {
        var o = 0
        let count = n.bytes.count
        while o < count {
            guard count - o >= 12 else { throw malformed("a note header is cut off at the end of its segment") }
            let nameSize = Int(n.u32(o))
            let descSize = Int(n.u32(o + 4))
            let type = n.u32(o + 8)
            let nameStart = o + 12
            let descStart = nameStart + (nameSize + 3) & ~3
            let next = descStart + (descSize + 3) & ~3
            // Sizes are below 2^32, so these sums do not overflow Int; the last padding may be missing.
            guard nameStart + nameSize <= count, descSize == 0 || descStart + descSize <= count else {
                throw malformed("a note (type \(hex(UInt64(type)))) of \(nameSize) + \(descSize) bytes extends past its segment")
            }
            var name = Array(n.bytes[nameStart..<(nameStart + nameSize)])
            if name.last == 0 { name.removeLast() }
            let d = min(descStart, count)
            let desc = LittleEndianBytes(Array(n.bytes[d..<(d + descSize)]))
            let owner = String(decoding: name, as: UTF8.self)
            if owner == "QEMU" { isQEMUDump = true }
            if owner == "CORE" {
                switch type {
                case 3: parsePrpsinfo(desc)  // NT_PRPSINFO
                case 6: parseAuxv(desc)  // NT_AUXV
                case 0x4649_4c45: try parseFileNote(desc)  // NT_FILE
                default: break  // NT_PRSTATUS, NT_FPREGSET, NT_SIGINFO, ...: registers, not memory
                }
            }
            o = next
        }
    }

    /// `struct elf_prpsinfo` (136 bytes on x86-64): `pr_pid` at 24, `pr_fname[16]` at 40.
    private func parsePrpsinfo(_ d: LittleEndianBytes) {
        guard d.bytes.count >= 56 else { return }
        pid = Int32(bitPattern: d.u32(24))
        let fname = d.bytes[40..<56].prefix { $0 != 0 }
        command = String(decoding: fname, as: UTF8.self)
    }

    /// `AT_SYSINFO_EHDR` (33): where the vDSO is mapped.
    private func parseAuxv(_ d: LittleEndianBytes) {
        var o = 0
        while o + 16 <= d.bytes.count {
            let key = d.u64(o)
            if key == 0 { return }
            if key == 33 { vdsoAddress = d.u64(o + 8) }
            o += 16
        }
    }

    /// `NT_FILE`: a count and a page size, `count` triples (start, end, offset in pages), then
    /// `count` NUL-terminated paths.
    private func parseFileNote(_ d: LittleEndianBytes) throws(CoreFileError) {
        guard d.bytes.count >= 16 else {
            throw malformed("the NT_FILE note has \(d.bytes.count) bytes, fewer than its header's 16")
        }
        let count = d.u64(0)
        let unit = d.u64(8)
        let (tripleBytes, o1) = count.multipliedReportingOverflow(by: 24)
        guard !o1, tripleBytes <= UInt64(d.bytes.count - 16) else {
            throw malformed("the NT_FILE note lists \(count) files but has room for \((d.bytes.count - 16) / 24)")
        }
        guard unit > 0 else { throw malformed("the NT_FILE note's page size is 0") }
        var names = d.bytes[(16 + Int(tripleBytes))...].split(separator: 0, omittingEmptySubsequences: false).makeIterator()
        var files: [MappedFile] = []
        files.reserveCapacity(Int(count))
        for i in 0..<Int(count) {
            let o = 16 + i * 24
            let start = d.u64(o)
            let end = d.u64(o + 8)
            let (offset, o2) = d.u64(o + 16).multipliedReportingOverflow(by: unit)
            guard start < end, !o2 else {
                throw malformed("NT_FILE entry \(i): range \(hex(start))-\(hex(end)) or offset is invalid")
            }
            guard let name = names.next() else { throw malformed("the NT_FILE note has fewer paths than its \(count) entries") }
            files.append(MappedFile(start: start, end: end, fileOffset: offset, path: String(decoding: name, as: UTF8.self)))
        }
        mappedFiles += files
    }

    // MARK: Reading

    /// The bytes `[offset, offset + count)` of the file, which the caller has checked are inside it.
    private func bytes(at offset: UInt64, count: Int) throws(CoreFileError) -> [UInt8] {
        let got = FileIO.preadBytes(fd, count: count, at: offset)
        guard got.errno == 0 else { throw unreadable(errno: got.errno) }
        guard got.bytes.count == count else {
            throw malformed("the file ended at \(offset + UInt64(got.bytes.count)) while reading \(count) bytes at \(offset)")
        }
        return got.bytes
    }

    /// Reads `count` dumped pages of `segment` (one of ``segments``) from its page `page` into
    /// `buffer` (at least `count` × 4096 bytes); the pages must lie within the segment's
    /// ``Segment/dumpedPages``.
    /// - Complexity: O(count × 4 KiB).
    public func readPages(of segment: Segment, at page: Int, count: Int, into buffer: UnsafeMutableRawBufferPointer)
        throws(CoreFileError)
    {
        guard page >= 0, count >= 0, page <= segment.dumpedPages - count, buffer.count >= count * Int(Self.pageSize) else {
            throw CoreFileError(
                .malformed, path: path, "pages \(page)..<\(page + count) are not in the \(segment.dumpedPages) dumped pages")
        }
        let offset = segment.fileOffset + UInt64(page) * Self.pageSize
        let bytes = count * Int(Self.pageSize)
        guard bytes > 0, let base = buffer.baseAddress else { return }
        let got = FileIO.preadFully(fd, base, count: bytes, at: offset)
        guard got.errno == 0 else { throw unreadable(errno: got.errno) }
        // The segment was checked to lie in the file; a shorter read means the file shrank meanwhile.
        guard got.bytes == bytes else {
            throw malformed("the file ended at \(offset + UInt64(got.bytes)) (truncated while reading?)")
        }
    }

    // MARK: Errors

    private func foreign(_ reason: String) -> CoreFileError { CoreFileError(.foreign, path: path, reason) }
    private func malformed(_ reason: String) -> CoreFileError { CoreFileError(.malformed, path: path, reason) }
    private func unreadable(errno e: Int32) -> CoreFileError {
        CoreFileError(.unreadable, path: path, FileIO.describe(errno: e), errno: e)
    }
    private func hex(_ v: UInt64) -> String { Self.hex(v) }
    static func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }
}

/// Little-endian fields of a byte array, at offsets the caller has checked are inside it.
struct LittleEndianBytes {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func u16(_ o: Int) -> UInt16 { UInt16(bytes[o]) | UInt16(bytes[o + 1]) << 8 }
    func u32(_ o: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[o + $1]) << (8 * $1) } }
    func u64(_ o: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(bytes[o + $1]) << (8 * $1) } }
}

import Glibc

extension SnapshotFile {
    /// Loads a snapshot written by ``write(to:)``, checking everything it reads: the magic, the
    /// version, the header's and every section's checksum, every size before anything of that
    /// size is allocated, and every field (``check()``). A truncated, corrupt or foreign file is
    /// one ``SnapshotError`` line naming the file: `.notASnapshot`, `.unsupportedVersion`,
    /// `.truncated`, `.corrupt`; a file that cannot be read: `.cannotRead` or `.permissionDenied`.
    /// - Complexity: O(file size).
    public static func load(from path: String) throws(SnapshotError) -> SnapshotFile {
        let (fd, size) = try openRegularFile(path)
        defer { close(fd) }
        do {
            var loader = SnapshotLoader(fd: fd, size: size)
            return try loader.load()
        } catch {
            if error.kind == .cannotRead {
                throw SnapshotError(.cannotRead, "cannot read \(path): \(error.message)")
            }
            throw SnapshotError(error.kind, "\(path): \(error.message)")
        }
    }

    /// Opens `path` read-only and returns the descriptor and the file's size; refuses what is not a
    /// regular file. The caller closes the descriptor.
    static func openRegularFile(_ path: String) throws(SnapshotError) -> (fd: Int32, size: Int) {
        do {
            return try FileIO.openRegularFile(path)
        } catch {
            guard let call = error.call else { throw SnapshotError(.cannotRead, "cannot read \(path): not a regular file") }
            throw SnapshotError.file(call, path, errno: error.errno, writing: false)
        }
    }

    /// Checks the header fields that have to agree.
    static func check(zeroPage: ZeroPageDetection, range: Range<UInt64>?) throws(SnapshotError) {
        if case .notRecorded = zeroPage {
            throw SnapshotError(.invalidOptions, "a snapshot records how its zero page was found; notRecorded is a core file's")
        }
        if case .pfn(let z) = zeroPage, z == 0 || z >= 1 << 55 {
            throw SnapshotError(.corrupt, "a zero-page PFN of \(z)")
        }
        if let range, range.isEmpty { throw SnapshotError(.corrupt, "an empty capture range") }
    }

    /// Checks one process: its VMAs and page records (see ``check()``).
    /// `totalKB` sums the Rss and Swap of every VMA checked so far.
    static func check(_ p: ProcessSnapshot, pages: Int, totalKB: inout Int, what: String) throws(SnapshotError) {
        guard p.pid > 0 else { throw SnapshotError(.corrupt, "\(what): pid \(p.pid)") }
        guard p.command.utf8.count <= SnapshotFormat.maxCommand else {
            throw SnapshotError(.corrupt, "\(what): a command of more than \(SnapshotFormat.maxCommand) bytes")
        }
        var previousEnd: UInt64 = 0
        for (n, v) in p.vmas.enumerated() {
            let where_ = "\(what), VMA \(n + 1)"
            let (s, e) = (v.vma.start, v.vma.end)
            guard s % 4096 == 0, e % 4096 == 0, s < e, s >= previousEnd else {
                throw SnapshotError(
                    .corrupt,
                    "\(where_): range 0x\(String(s, radix: 16))-0x\(String(e, radix: 16)) is not page-aligned, "
                        + "empty, or below the previous VMA")
            }
            previousEnd = e
            // Rss and Swap of all VMAs together stay below 2^50 kB, so that no sum of them overflows.
            // (A VMA clipped to a capture range keeps the whole VMA's Rss, as smaps reports it.)
            let kb = (v.vma.residentKB, v.vma.swapKB)
            if kb.0 >= 0, kb.1 >= 0, kb.0 < 1 << 50, kb.1 < 1 << 50 { totalKB += kb.0 + kb.1 } else { totalKB = 1 << 50 }
            guard totalKB < 1 << 50, v.vma.name.utf8.count <= SnapshotFormat.maxName,
                v.vma.mnemonics.joined(separator: " ").utf8.count <= SnapshotFormat.maxMnemonics
            else { throw SnapshotError(.corrupt, "\(where_): Rss or Swap beyond 2^50 kB in all, or an overlong name or VmFlags") }
            let pagesInVMA = (e - s) / 4096
            var next: UInt64 = 0
            for r in v.pages {
                guard r.index >= next, r.index < pagesInVMA else {
                    throw SnapshotError(.corrupt, "\(where_): page \(r.index) outside the VMA or out of order")
                }
                next = r.index + 1
                try checkFlags(r, pages: pages, where_)
            }
        }
    }

    /// A page record's flags: present or swapped; contents only for a present anonymous page
    /// that does not map the zero page, which has exactly one of stored, zero-filled, unreadable.
    private static func checkFlags(_ r: SnapshotPage, pages: Int, _ where_: String) throws(SnapshotError) {
        let f = r.flags
        let contents = f.intersection([.stored, .zeroFilled, .unreadable])
        let ok: Bool
        if !f.contains(.present) {
            ok = f.contains(.swapped) && f.isDisjoint(with: [.zeroPageMapping, .stored, .zeroFilled, .unreadable])
        } else if f.contains(.fileOrShared) || f.contains(.zeroPageMapping) {
            ok = contents.isEmpty && !(f.contains(.fileOrShared) && f.contains(.zeroPageMapping))
        } else {
            ok = contents.rawValue.nonzeroBitCount == 1
        }
        guard ok else { throw SnapshotError(.corrupt, "\(where_): page \(r.index) has flags 0x\(String(f.rawValue, radix: 16))") }
        guard f.contains(.stored) ? Int(r.content) < pages : r.content == 0 else {
            throw SnapshotError(.corrupt, "\(where_): page \(r.index) names content \(r.content) of \(pages) distinct pages")
        }
    }
}

/// Reads a snapshot file section by section (``SnapshotFile/load(from:)``); errors without the
/// file's name, which the caller adds.
struct SnapshotLoader {
    let fd: Int32
    let size: Int
    var offset = 0

    init(fd: Int32, size: Int) {
        self.fd = fd
        self.size = size
    }

    /// `n` bytes at `position` (the caller checked that the file has them).
    private func read(_ n: Int, at position: Int) throws(SnapshotError) -> [UInt8] {
        let got = FileIO.preadBytes(fd, count: n, at: UInt64(position))
        if got.errno != 0 { throw SnapshotError(.cannotRead, FileIO.describe(errno: got.errno)) }
        if got.bytes.count < n { throw SnapshotError(.truncated, "truncated: the file shrank while being read") }
        return got.bytes
    }

    mutating func load() throws(SnapshotError) -> SnapshotFile {
        let magic = SnapshotFormat.magic
        let head = try read(min(size, SnapshotFormat.headerSize), at: 0)
        guard Array(head.prefix(magic.count)) == Array(magic.prefix(head.count)) else {
            throw SnapshotError(.notASnapshot, "not a ksmd-sim snapshot (it does not start with KSMSNAP)")
        }
        guard head.count >= 12 else { throw SnapshotError(.truncated, "truncated: \(size) bytes, shorter than the header") }
        var h = ByteReader(head, what: "the header")
        _ = try h.raw(magic.count)
        let version = try h.u32()
        guard version == SnapshotFormat.version else {
            throw SnapshotError(
                .unsupportedVersion, "snapshot format version \(version); this ksmd-sim reads version \(SnapshotFormat.version)")
        }
        guard head.count == SnapshotFormat.headerSize else {
            throw SnapshotError(.truncated, "truncated: \(size) bytes, shorter than the header")
        }
        let sum = head.withUnsafeBytes { SnapshotFormat.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<56])) }
        let headerSize = try h.u32()
        let pageSize = try h.u32()
        let encodingRaw = try h.u32()
        let detection = try h.u32()
        let flags = try h.u32()
        let pfn = try h.u64()
        let rangeStart = try h.u64()
        let rangeEnd = try h.u64()
        guard try h.u64() == sum else { throw SnapshotError(.corrupt, "corrupt: the header's checksum does not match") }
        guard headerSize == SnapshotFormat.headerSize, pageSize == PageStore.pageSize, flags & ~1 == 0,
            let encoding = DistinctPages.Encoding(rawValue: encodingRaw), detection <= 2
        else {
            throw SnapshotError(
                .corrupt,
                "corrupt header: header size \(headerSize), page size \(pageSize), encoding \(encodingRaw), zero-page detection \(detection), flags \(flags)"
            )
        }
        let zeroPage: ZeroPageDetection = detection == 0 ? .noZeroPage : detection == 1 ? .pfn(pfn) : .pfnsHidden
        guard detection == 1 || pfn == 0 else {
            throw SnapshotError(.corrupt, "corrupt header: a zero-page PFN without detection")
        }
        let range: Range<UInt64>?
        if flags & 1 != 0 {
            guard rangeStart < rangeEnd else { throw SnapshotError(.corrupt, "corrupt header: an empty capture range") }
            range = rangeStart..<rangeEnd
        } else {
            guard rangeStart == 0 && rangeEnd == 0 else {
                throw SnapshotError(.corrupt, "corrupt header: a range without its flag")
            }
            range = nil
        }
        do {
            try SnapshotFile.check(zeroPage: zeroPage, range: range)
        } catch {
            throw SnapshotError(.corrupt, "corrupt header: \(error.message)")
        }
        offset = SnapshotFormat.headerSize

        var pages = DistinctPages(encoding: encoding)
        var processes: [ProcessSnapshot] = []
        var sections = 0
        var totalKB = 0
        while true {
            let (kind, payload) = try nextSection(number: sections + 1, encoding: encoding)
            let what = "section \(sections + 1)"
            switch kind {
            case .pages:
                guard processes.isEmpty else { throw SnapshotError(.corrupt, "corrupt: \(what): pages after a process") }
                try Self.readPages(payload, into: &pages, what: what)
            case .process:
                let p = try Self.readProcess(payload, what: "\(what) (process \(processes.count + 1))")
                do {
                    try SnapshotFile.check(
                        p, pages: pages.count, totalKB: &totalKB, what: "\(what) (process \(processes.count + 1))")
                } catch {
                    throw SnapshotError(.corrupt, "corrupt: \(error.message)")
                }
                processes.append(p)
            case .end:
                var r = ByteReader(payload, what: "corrupt: \(what) (end)")
                let (np, nd, ns) = (try r.u64(), try r.u64(), try r.u64())
                guard r.remaining == 0, np == processes.count, nd == pages.count, ns == sections else {
                    throw SnapshotError(
                        .corrupt,
                        "corrupt: the end section counts \(np) processes, \(nd) pages, \(ns) sections; the file holds \(processes.count), \(pages.count), \(sections)"
                    )
                }
                guard offset == size else {
                    throw SnapshotError(.corrupt, "corrupt: \(size - offset) bytes after the end section")
                }
                return SnapshotFile(zeroPage: zeroPage, range: range, processes: processes, pages: pages)
            }
            sections += 1
        }
    }

    /// The next section's kind and (checked) payload.
    private mutating func nextSection(number: Int, encoding: DistinctPages.Encoding) throws(SnapshotError)
        -> (SnapshotFormat.Kind, [UInt8])
    {
        let what = "section \(number)"
        guard size - offset >= SnapshotFormat.sectionHeaderSize else {
            throw SnapshotError(
                .truncated,
                offset == size
                    ? "truncated: the file ends after \(number - 1) sections, without its end section"
                    : "truncated: the file ends inside the header of \(what)")
        }
        let headerBytes = try read(SnapshotFormat.sectionHeaderSize, at: offset)
        var h = ByteReader(headerBytes, what: "\(what)'s header")
        let kindRaw = try h.u32()
        let compression = try h.u32()
        let stored = try h.u64()
        let raw = try h.u64()
        let sum = try h.u64()
        let left = size - offset - SnapshotFormat.sectionHeaderSize
        guard stored <= UInt64(left) else {
            throw SnapshotError(.truncated, "truncated: \(what) needs \(stored) bytes, the file has \(left) more")
        }
        // The payload is in the file: reading it allocates no more than the file's size.
        let stored_ = try read(Int(stored), at: offset + SnapshotFormat.sectionHeaderSize)
        let actual = headerBytes.withUnsafeBytes { hb in
            stored_.withUnsafeBytes { SnapshotFormat.sectionChecksum(header: hb, payload: $0) }
        }
        guard actual == sum else { throw SnapshotError(.corrupt, "corrupt: \(what)'s checksum does not match") }
        guard let kind = SnapshotFormat.Kind(rawValue: kindRaw) else {
            throw SnapshotError(.corrupt, "corrupt: \(what) is of unknown kind \(kindRaw)")
        }
        let payload: [UInt8]
        switch SnapshotFormat.Compression(rawValue: compression) {
        case .none?:
            guard raw == stored else {
                throw SnapshotError(.corrupt, "corrupt: \(what) is uncompressed but claims \(raw) bytes, stored \(stored)")
            }
            payload = stored_
        case .zstd?:
            // Only pages of bytes are compressed, and their size is bounded: checked before allocating.
            let limit = SnapshotFormat.pagesHeaderSize + SnapshotFormat.bytesPerSection * PageStore.pageSize
            guard kind == .pages, encoding == .bytes, raw <= UInt64(limit) else {
                throw SnapshotError(
                    .corrupt,
                    "corrupt: \(what) (kind \(kindRaw)) is compressed to \(raw) bytes, allowed only for page bytes up to \(limit)"
                )
            }
            guard let d = SnapshotFormat.decompress(stored_, raw: Int(raw)) else {
                throw SnapshotError(.corrupt, "corrupt: \(what) does not decompress to its \(raw) bytes")
            }
            payload = d
        case nil:
            throw SnapshotError(.corrupt, "corrupt: \(what) has unknown compression \(compression)")
        }
        offset += SnapshotFormat.sectionHeaderSize + Int(stored)
        return (kind, payload)
    }

    /// A pages section: `u64 first, u32 count, u32 entry size`, then the entries.
    private static func readPages(_ payload: [UInt8], into pages: inout DistinctPages, what: String) throws(SnapshotError) {
        var r = ByteReader(payload, what: "corrupt: \(what) (pages)")
        let first = try r.u64()
        let count = Int(try r.u32())
        let entrySize = Int(try r.u32())
        let isBytes = pages.encoding == .bytes
        let limit = isBytes ? SnapshotFormat.bytesPerSection : SnapshotFormat.seedsPerSection
        guard first == pages.count, count >= 1, count <= limit, entrySize == (isBytes ? PageStore.pageSize : 16),
            r.remaining == count * entrySize
        else {
            throw SnapshotError(
                .corrupt,
                "corrupt: \(what) holds \(count) pages of \(entrySize) bytes from page \(first) in \(payload.count) bytes (expected page \(pages.count), at most \(limit))"
            )
        }
        if isBytes {
            // Every pages section but the last is full, so the pages stay in full chunks.
            guard pages.count % DistinctPages.chunkPages == 0 else {
                throw SnapshotError(.corrupt, "corrupt: \(what) follows a pages section that is not full")
            }
            let bytes = try r.raw(count * entrySize)
            bytes.withUnsafeBytes { b in
                for p in 0..<count { pages.append(bytes: b.baseAddress! + p * PageStore.pageSize) }
            }
        } else {
            for _ in 0..<count { pages.append(seed: PageHash(low: try r.u64(), high: try r.u64())) }
        }
    }

    /// A process section (docs/snapshot-format.md); counts are checked against the bytes left
    /// before anything is reserved for them.
    private static func readProcess(_ payload: [UInt8], what: String) throws(SnapshotError) -> ProcessSnapshot {
        var r = ByteReader(payload, what: "corrupt: \(what)")
        let pid = try r.i32()
        let command = try r.string(limit: SnapshotFormat.maxCommand, "the command")
        let vmaCount = Int(try r.u32())
        guard vmaCount <= r.remaining / SnapshotFormat.minVMASize else {
            throw SnapshotError(.corrupt, "corrupt: \(what) claims \(vmaCount) VMAs in \(r.remaining) bytes")
        }
        var vmas: [SnapshotVMA] = []
        vmas.reserveCapacity(vmaCount)
        for n in 0..<vmaCount {
            let start = try r.u64()
            let end = try r.u64()
            let rss = try r.u64()
            let swap = try r.u64()
            let backing = try r.u8()
            let name = try r.string(limit: SnapshotFormat.maxName, "VMA \(n + 1)'s name")
            let flags = try r.string(limit: SnapshotFormat.maxMnemonics, "VMA \(n + 1)'s VmFlags")
            let records = try r.u64()
            guard rss < 1 << 50, swap < 1 << 50 else {
                throw SnapshotError(.corrupt, "corrupt: \(what), VMA \(n + 1): Rss or Swap too large")
            }
            guard records <= UInt64(r.remaining / SnapshotFormat.recordSize) else {
                throw SnapshotError(.corrupt, "corrupt: \(what), VMA \(n + 1) claims \(records) pages in \(r.remaining) bytes")
            }
            let vma = LiveVMA(
                start: start, end: end, name: name, mnemonics: flags.split(separator: " ").map(String.init),
                residentKB: Int(rss), swapKB: Int(swap))
            guard backing == SnapshotVMA.backing(of: vma).rawValue else {
                throw SnapshotError(
                    .corrupt, "corrupt: \(what), VMA \(n + 1): backing \(backing) does not fit its name and flags")
            }
            var pages: [SnapshotPage] = []
            pages.reserveCapacity(Int(records))
            for _ in 0..<records {
                let index = try r.u64()
                let flags = SnapshotPage.Flags(rawValue: try r.u8())
                pages.append(SnapshotPage(index: index, flags: flags, content: try r.u32()))
            }
            vmas.append(SnapshotVMA(vma: vma, pages: pages))
        }
        guard r.remaining == 0 else { throw SnapshotError(.corrupt, "corrupt: \(what) has \(r.remaining) bytes after its VMAs") }
        return ProcessSnapshot(pid: pid, command: command, vmas: vmas)
    }
}

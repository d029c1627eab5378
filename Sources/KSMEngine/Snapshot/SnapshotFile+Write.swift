extension SnapshotFile {
    /// Writes the snapshot to `path` in the format of docs/snapshot-format.md, mode 0600: to a
    /// temporary file in the same directory, renamed over `path` once complete (a failed write
    /// leaves nothing behind, and an existing file is replaced whole or not at all).
    ///
    /// Errors: `.cannotWrite` or `.permissionDenied` (naming the file and errno), `.invalidOptions`
    /// (a snapshot whose parts do not fit together: ``check()``).
    /// - Complexity: O(distinct pages × 4 KiB + page records).
    public func write(to path: String) throws(SnapshotError) {
        try check()
        let out = try SnapshotOutputFile(path)
        // The header last: a zeroed placeholder first.
        try out.write([UInt8](repeating: 0, count: SnapshotFormat.headerSize))
        var sections: UInt64 = 0
        func section(_ kind: SnapshotFormat.Kind, _ raw: [UInt8], compress: Bool = false) throws(SnapshotError) {
            let compressed = compress ? SnapshotFormat.compress(raw) : nil
            let payload = compressed ?? raw
            var h = ByteWriter()
            h.u32(kind.rawValue)
            h.u32((compressed == nil ? SnapshotFormat.Compression.none : .zstd).rawValue)
            h.u64(UInt64(payload.count))
            h.u64(UInt64(raw.count))
            let sum = h.bytes.withUnsafeBytes { hb in
                payload.withUnsafeBytes { SnapshotFormat.sectionChecksum(header: hb, payload: $0) }
            }
            h.u64(sum)
            try out.write(h.bytes)
            try out.write(payload)
            sections += 1
        }

        // The distinct pages, in order.
        let entrySize = encoding == .bytes ? PageStore.pageSize : 16
        let perSection = encoding == .bytes ? SnapshotFormat.bytesPerSection : SnapshotFormat.seedsPerSection
        var firstID = 0
        while firstID < pages.count {
            let n = min(perSection, pages.count - firstID)
            var w = ByteWriter()
            w.bytes.reserveCapacity(SnapshotFormat.pagesHeaderSize + n * entrySize)
            w.u64(UInt64(firstID))
            w.u32(UInt32(n))
            w.u32(UInt32(entrySize))
            if encoding == .bytes {
                w.bytes.append(contentsOf: pages.chunks[firstID / DistinctPages.chunkPages])
            } else {
                for seed in pages.seeds[firstID..<(firstID + n)] {
                    w.u64(seed.low)
                    w.u64(seed.high)
                }
            }
            // Page bytes compress well (about 5:1 on a Python process); seeds are random.
            try section(.pages, w.bytes, compress: encoding == .bytes)
            firstID += n
        }

        // A section per process.
        for p in processes {
            var w = ByteWriter()
            w.i32(p.pid)
            w.string(p.command)
            w.u32(UInt32(p.vmas.count))
            for v in p.vmas {
                w.u64(v.vma.start)
                w.u64(v.vma.end)
                w.u64(UInt64(v.vma.residentKB))
                w.u64(UInt64(v.vma.swapKB))
                w.u8(v.backing.rawValue)
                w.string(v.vma.name)
                w.string(v.vma.mnemonics.joined(separator: " "))
                w.u64(UInt64(v.pages.count))
                for r in v.pages {
                    w.u64(r.index)
                    w.u8(r.flags.rawValue)
                    w.u32(r.content)
                }
            }
            try section(.process, w.bytes)
        }

        var end = ByteWriter()
        end.u64(UInt64(processes.count))
        end.u64(UInt64(pages.count))
        end.u64(sections)
        try section(.end, end.bytes)

        try out.write(header(), at: 0)
        try out.commit()
    }

    /// The 64-byte file header.
    func header() -> [UInt8] {
        var w = ByteWriter()
        w.bytes.append(contentsOf: SnapshotFormat.magic)
        w.u32(SnapshotFormat.version)
        w.u32(UInt32(SnapshotFormat.headerSize))
        w.u32(UInt32(PageStore.pageSize))
        w.u32(encoding.rawValue)
        var pfn: UInt64 = 0
        switch zeroPage {
        case .noZeroPage: w.u32(0)
        case .pfn(let z):
            w.u32(1)
            pfn = z
        case .pfnsHidden: w.u32(2)
        case .notRecorded: preconditionFailure("check() refuses a snapshot whose zero page was not recorded")
        }
        w.u32(range == nil ? 0 : 1)
        w.u64(pfn)
        w.u64(range?.lowerBound ?? 0)
        w.u64(range?.upperBound ?? 0)
        let sum = w.bytes.withUnsafeBytes { SnapshotFormat.checksum($0) }
        w.u64(sum)
        return w.bytes
    }

    /// Checks that the parts fit together as the format requires (what ``load(from:)`` checks of
    /// a file): VMAs page-aligned, ascending and not overlapping; page records inside their VMA,
    /// ascending, and consistent (docs/snapshot-format.md); contents naming existing pages;
    /// strings within the format's limits. `.invalidOptions` names the first that does not.
    /// - Complexity: O(page records).
    public func check() throws(SnapshotError) {
        do {
            try Self.check(zeroPage: zeroPage, range: range)
            var totalKB = 0
            for (i, p) in processes.enumerated() {
                try Self.check(p, pages: pages.count, totalKB: &totalKB, what: "process \(i + 1)")
            }
        } catch {
            throw SnapshotError(.invalidOptions, error.message)
        }
    }
}

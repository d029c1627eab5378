import Glibc

extension SnapshotFile {
    /// The first line of a plain-text page-hash trace (docs/trace-format.md).
    public static let traceMagic = "ksmd-sim-trace"
    /// The trace format version this library reads.
    public static let traceVersion = 1
    /// Where each trace process's one VMA starts (page-aligned; the estimate's and `load`'s
    /// window layout does not depend on it).
    static let traceVMAStart: UInt64 = 0x1_0000_0000
    /// The most pages one trace process may hold (2^32: its VMA stays far below 2^47 bytes).
    static let traceMaxPages = 1 << 32

    /// Reads a plain-text page-hash trace (docs/trace-format.md) as a hashes-only snapshot: each
    /// trace process becomes one process (pids 1, 2, ... in trace order, its name as the command)
    /// with one private anonymous VMA holding its pages, every page present, exclusive, and either
    /// a page of zeros (`zero`) or the content with that hash (equal hashes, equal pages). So
    /// ``KSMEstimator/estimate(snapshot:)``, ``write(to:)`` and a scenario's `load` take a trace as
    /// they take a capture. Every malformed line is one ``SnapshotError`` naming the file and the
    /// line: `.notASnapshot` (no header), `.unsupportedVersion`, `.corrupt`; a file that cannot
    /// be read: `.cannotRead` or `.permissionDenied`.
    /// - Complexity: O(file size).
    public static func load(trace path: String) throws(SnapshotError) -> SnapshotFile {
        let (fd, size) = try openRegularFile(path)
        defer { close(fd) }
        // The buffer is the file's size, which the file has: nothing larger is allocated from it.
        let got = FileIO.preadBytes(fd, count: size, at: 0)
        if got.errno != 0 { throw SnapshotError.file("read", path, errno: got.errno, writing: false) }
        // A file that shrank meanwhile: what was read is parsed.
        return try SnapshotFile(trace: got.bytes, name: path)
    }

    /// Parses a plain-text page-hash trace (docs/trace-format.md) held in `text` as a hashes-only
    /// snapshot, as ``load(trace:)`` does; `name` is the file named in error lines.
    /// - Complexity: O(text size).
    public init<Bytes: Collection<UInt8>>(trace text: Bytes, name: String) throws(SnapshotError) {
        var parser = TraceParser(name: name)
        var lineNumber = 0
        var line: [UInt8] = []
        var iterator = text.makeIterator()
        var atEnd = false
        while !atEnd {
            line.removeAll(keepingCapacity: true)
            while true {
                guard let b = iterator.next() else {
                    atEnd = true
                    break
                }
                if b == UInt8(ascii: "\n") { break }
                line.append(b)
            }
            if atEnd && line.isEmpty { break }
            lineNumber += 1
            try parser.take(line, number: lineNumber)
        }
        self = try parser.finish(lines: lineNumber)
    }
}

/// Builds a snapshot from a trace's lines (``SnapshotFile/init(trace:name:)``).
struct TraceParser {
    let name: String
    var sawHeader = false
    var pages = DistinctPages(encoding: .hashes)
    var index: [PageHash: UInt32] = [:]
    var processes: [ProcessSnapshot] = []
    /// The process being read: its name and the line that started it (nil: none yet).
    var current: (command: String, line: Int)? = nil
    /// Its page records.
    var records: [SnapshotPage] = []

    init(name: String) { self.name = name }

    func error(_ line: Int, _ message: String, kind: SnapshotError.Kind = .corrupt) -> SnapshotError {
        SnapshotError(kind, "\(name):\(line): \(message)")
    }

    /// Bytes that may surround a token: space, tab, carriage return.
    static func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D }

    mutating func take(_ raw: [UInt8], number: Int) throws(SnapshotError) {
        // A '#' starts a comment; blanks around the rest are ignored.
        var end = raw.firstIndex(of: UInt8(ascii: "#")) ?? raw.count
        var start = 0
        while start < end && Self.isBlank(raw[start]) { start += 1 }
        while end > start && Self.isBlank(raw[end - 1]) { end -= 1 }
        let text = raw[start..<end]
        guard sawHeader else {
            try header(text, raw: raw, number: number)
            return
        }
        if text.isEmpty { return }
        let keyword = Array("process".utf8)
        if text.starts(with: keyword) && (text.count == keyword.count || Self.isBlank(text[text.startIndex + keyword.count])) {
            var n = text.startIndex + keyword.count
            while n < text.endIndex && Self.isBlank(text[n]) { n += 1 }
            let nameBytes = text[n...]
            guard !nameBytes.isEmpty else { throw error(number, "process without a name") }
            guard nameBytes.count <= SnapshotFormat.maxCommand else {
                throw error(number, "a process name of more than \(SnapshotFormat.maxCommand) bytes")
            }
            guard let command = String(validating: nameBytes, as: UTF8.self),
                !command.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
            else { throw error(number, "a process name that is not UTF-8 text") }
            try endProcess()
            current = (command, number)
            return
        }
        // Pages before any `process` line belong to a process named "trace".
        let command = current?.command ?? "trace"
        if current == nil { current = (command, number) }
        let pageIndex = UInt64(records.count)
        guard records.count < SnapshotFile.traceMaxPages else {
            throw error(number, "process \"\(command)\" has more than 2^32 pages")
        }
        if text.elementsEqual("zero".utf8) {
            records.append(SnapshotPage(index: pageIndex, flags: [.present, .exclusive, .zeroFilled]))
            return
        }
        let hash: PageHash
        switch Self.hex(text) {
        case .hash(let h): hash = h
        case .tooLong: throw error(number, "a hash of more than 128 bits (32 hex digits)")
        case .notHex: throw error(number, "not a page hash (1 to 32 hex digits), \"zero\" or \"process NAME\"")
        }
        let content: UInt32
        if let c = index[hash] {
            content = c
        } else {
            guard pages.count < Int(UInt32.max) else { throw error(number, "more than 2^32 - 1 distinct pages") }
            content = UInt32(pages.count)
            index[hash] = content
            pages.append(seed: hash)
        }
        records.append(SnapshotPage(index: pageIndex, flags: [.present, .exclusive, .stored], content: content))
    }

    /// The header line: `ksmd-sim-trace VERSION`, nothing else on it.
    mutating func header(_ text: ArraySlice<UInt8>, raw: [UInt8], number: Int) throws(SnapshotError) {
        let magic = Array(SnapshotFile.traceMagic.utf8)
        guard raw.starts(with: magic), raw.count > magic.count, Self.isBlank(raw[magic.count]) else {
            throw error(
                number, "not a ksmd-sim trace (it does not start with \"\(SnapshotFile.traceMagic) 1\")", kind: .notASnapshot)
        }
        var v = text[(text.startIndex + magic.count)...]
        while let f = v.first, Self.isBlank(f) { v = v.dropFirst() }
        guard !v.isEmpty, v.count <= 9, v.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw error(number, "a malformed header: \"\(SnapshotFile.traceMagic)\" and a version number")
        }
        let version = v.reduce(0) { $0 * 10 + Int($1 - 0x30) }
        guard version == SnapshotFile.traceVersion else {
            throw error(
                number, "trace format version \(version); this ksmd-sim reads version \(SnapshotFile.traceVersion)",
                kind: .unsupportedVersion)
        }
        sawHeader = true
    }

    /// Closes the process being read.
    mutating func endProcess() throws(SnapshotError) {
        guard let c = current else { return }
        guard !records.isEmpty else { throw error(c.line, "process \"\(c.command)\" has no pages") }
        guard processes.count < Int(Int32.max) else { throw error(c.line, "more than 2^31 - 1 processes") }
        let start = SnapshotFile.traceVMAStart
        let vma = LiveVMA(
            start: start, end: start + UInt64(records.count) * 4096, name: "",
            mnemonics: ["rd", "wr", "mr", "mw", "me", "ac"], residentKB: records.count * 4)
        processes.append(
            ProcessSnapshot(
                pid: Int32(processes.count + 1), command: c.command, vmas: [SnapshotVMA(vma: vma, pages: records)]))
        current = nil
        records = []
    }

    mutating func finish(lines: Int) throws(SnapshotError) -> SnapshotFile {
        guard sawHeader else { throw error(1, "not a ksmd-sim trace (the file is empty)", kind: .notASnapshot) }
        try endProcess()
        guard !processes.isEmpty else { throw error(lines, "a trace without pages") }
        return SnapshotFile(zeroPage: .noZeroPage, range: nil, processes: processes, pages: pages)
    }

    static func hexValue(_ b: UInt8) -> UInt64? {
        switch b {
        case 0x30...0x39: return UInt64(b - 0x30)
        case 0x41...0x46: return UInt64(b - 0x41 + 10)
        case 0x61...0x66: return UInt64(b - 0x61 + 10)
        default: return nil
        }
    }

    /// What a page line's token is.
    enum HexToken {
        case hash(PageHash)
        case tooLong
        case notHex
    }

    /// 1 to 32 hex digits, `0x` optional: the low 64 bits in `low`, the rest in `high`.
    static func hex(_ text: ArraySlice<UInt8>) -> HexToken {
        var digits = text
        if digits.count > 2, digits.first == UInt8(ascii: "0"), digits[digits.startIndex + 1] | 0x20 == UInt8(ascii: "x") {
            digits = digits.dropFirst(2)
        }
        guard !digits.isEmpty, digits.allSatisfy({ hexValue($0) != nil }) else { return .notHex }
        guard digits.count <= 32 else { return .tooLong }
        var h = PageHash(low: 0, high: 0)
        for d in digits {
            h.high = h.high << 4 | h.low >> 60
            h.low = h.low << 4 | (hexValue(d) ?? 0)
        }
        return .hash(h)
    }
}

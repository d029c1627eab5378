import CXXHash
import CZstd

/// The constants of the snapshot file format (docs/snapshot-format.md): little-endian throughout,
/// a 64-byte header, then sections of a 32-byte header and a payload each.
enum SnapshotFormat {
    /// The first 8 bytes of every snapshot: `KSMSNAP` and a NUL.
    static let magic: [UInt8] = Array("KSMSNAP".utf8) + [0]
    /// The format version this library writes and reads.
    static let version: UInt32 = 1
    static let headerSize = 64
    static let sectionHeaderSize = 32

    /// Section kinds.
    enum Kind: UInt32 {
        case pages = 1
        case process = 2
        case end = 3
    }

    /// Section payload encodings.
    enum Compression: UInt32 {
        case none = 0
        case zstd = 1
    }

    /// The most pages of bytes in one pages section, and of seeds.
    static let bytesPerSection = DistinctPages.chunkPages
    static let seedsPerSection = 65536
    /// The bytes of a pages section's own header fields.
    static let pagesHeaderSize = 16
    /// The longest command, VMA name and `VmFlags:` text a process section may hold.
    static let maxCommand = 4096
    static let maxName = 8192
    static let maxMnemonics = 4096
    /// The bytes of one page record: index (8), flags (1), content (4).
    static let recordSize = 13
    /// The fewest bytes one VMA takes in a process section.
    static let minVMASize = 8 * 4 + 1 + 4 + 4 + 8

    /// XXH3-64 of the first 24 bytes of a section header followed by its stored payload.
    static func sectionChecksum(header: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer) -> UInt64 {
        guard let stream = cxxh_stream_new() else { preconditionFailure("cannot allocate an XXH3 state") }
        defer { cxxh_stream_free(stream) }
        cxxh_stream_update(stream, header.baseAddress, 24)
        cxxh_stream_update(stream, payload.baseAddress, payload.count)
        return cxxh_stream_digest(stream)
    }

    /// The zstd level pages sections are compressed with: measured on real captures, level 3
    /// makes them about a fifth of their size at a few hundred MB/s (docs/snapshot-format.md).
    static let zstdLevel: Int32 = 3

    /// `payload` compressed with zstd, or `nil` when that does not make it smaller.
    static func compress(_ payload: [UInt8]) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: ZSTD_compressBound(payload.count))
        let n = out.withUnsafeMutableBytes { o in
            payload.withUnsafeBytes { ZSTD_compress(o.baseAddress, o.count, $0.baseAddress, $0.count, zstdLevel) }
        }
        guard ZSTD_isError(n) == 0, n < payload.count else { return nil }
        out.removeLast(out.count - n)
        return out
    }

    /// `stored` decompressed into exactly `raw` bytes (the caller checked `raw` against its
    /// limit), or `nil` when it is not a zstd frame of that size.
    static func decompress(_ stored: [UInt8], raw: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: raw)
        let n = out.withUnsafeMutableBytes { o in
            stored.withUnsafeBytes { ZSTD_decompress(o.baseAddress, o.count, $0.baseAddress, $0.count) }
        }
        guard ZSTD_isError(n) == 0, n == raw else { return nil }
        return out
    }

    /// XXH3-64 of `bytes`.
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt64 { cxxh_xxh3_64(bytes.baseAddress, bytes.count) }
}

/// Appends little-endian fields to a byte array.
struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func i32(_ v: Int32) { u32(UInt32(bitPattern: v)) }
    /// A u32 length and the UTF-8 bytes.
    mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        u32(UInt32(utf8.count))
        bytes.append(contentsOf: utf8)
    }
}

/// Reads little-endian fields from a section's payload; reading past its end throws `.corrupt`
/// naming `what`.
struct ByteReader {
    let bytes: [UInt8]
    var offset = 0
    let what: String

    init(_ bytes: [UInt8], what: String) {
        self.bytes = bytes
        self.what = what
    }

    var remaining: Int { bytes.count - offset }

    private mutating func take(_ n: Int) throws(SnapshotError) -> ArraySlice<UInt8> {
        guard n >= 0 && n <= remaining else {
            throw SnapshotError(.corrupt, "\(what) ends early (at byte \(offset) of \(bytes.count))")
        }
        defer { offset += n }
        return bytes[offset..<(offset + n)]
    }

    private mutating func integer<T: FixedWidthInteger>(_: T.Type) throws(SnapshotError) -> T {
        let slice = try take(MemoryLayout<T>.size)
        var v: T = 0
        for (i, b) in slice.enumerated() { v |= T(b) << (8 * i) }
        return v
    }

    mutating func u8() throws(SnapshotError) -> UInt8 { try integer(UInt8.self) }
    mutating func u32() throws(SnapshotError) -> UInt32 { try integer(UInt32.self) }
    mutating func u64() throws(SnapshotError) -> UInt64 { try integer(UInt64.self) }
    mutating func i32() throws(SnapshotError) -> Int32 { Int32(bitPattern: try u32()) }

    /// A u32 length (at most `limit`) and that many bytes of UTF-8.
    mutating func string(limit: Int, _ field: String) throws(SnapshotError) -> String {
        let n = Int(try u32())
        guard n <= limit else { throw SnapshotError(.corrupt, "\(what): \(field) of \(n) bytes (at most \(limit))") }
        guard let s = String(validating: try take(n), as: UTF8.self) else {
            throw SnapshotError(.corrupt, "\(what): \(field) is not UTF-8")
        }
        return s
    }

    /// Raw bytes.
    mutating func raw(_ n: Int) throws(SnapshotError) -> ArraySlice<UInt8> { try take(n) }
}

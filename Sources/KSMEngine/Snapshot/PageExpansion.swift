import CXXHash
import Glibc

/// Pseudo-random pages that stand in for real ones: a 128-bit seed expands into 4 KiB, the same
/// seed into the same page, different seeds into different pages (the seed is the page's first 16
/// bytes), and never into a page of zeros. Hashes-only and anonymized snapshots store a seed per
/// distinct page and load as these expansions, so equal pages stay equal and distinct pages
/// distinct: KSM merges them exactly as it merges the real ones.
///
/// The expansion (docs/snapshot-format.md): 64-bit words in little-endian order; word 0 is the
/// seed's low half, word 1 its high half, words 2 to 511 the first 510 outputs of xoshiro256**
/// with the state (low, high, low ^ 0x9E3779B97F4A7C15, high ^ 0xD1B54A32D192ED03).
enum PageExpansion {
    /// Writes the page `seed` expands into at `page` (4,096 bytes).
    /// - Complexity: O(4 KiB).
    static func expand(_ seed: PageHash, into page: UnsafeMutableRawPointer) {
        var s0 = seed.low
        var s1 = seed.high
        var s2 = seed.low ^ 0x9E37_79B9_7F4A_7C15
        var s3 = seed.high ^ 0xD1B5_4A32_D192_ED03
        page.storeBytes(of: seed.low.littleEndian, toByteOffset: 0, as: UInt64.self)
        page.storeBytes(of: seed.high.littleEndian, toByteOffset: 8, as: UInt64.self)
        for i in 2..<(PageStore.pageSize / 8) {
            let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
            let t = s1 << 17
            s2 ^= s0
            s3 ^= s1
            s1 ^= s2
            s0 ^= s3
            s2 ^= t
            s3 = s3 << 45 | s3 >> 19
            page.storeBytes(of: result.littleEndian, toByteOffset: i * 8, as: UInt64.self)
        }
    }

    /// The expansion of `seed`, as bytes.
    static func page(_ seed: PageHash) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: PageStore.pageSize) { buffer, count in
            expand(seed, into: UnsafeMutableRawPointer(buffer.baseAddress!))
            count = PageStore.pageSize
        }
    }
}

/// The key of an anonymized snapshot: 32 bytes, from which XXH3's 192-byte secret is generated;
/// a page's anonymized seed is XXH3-128 of its bytes with that secret.
///
/// A random key per capture makes the anonymized pages of two captures unrelated; the same key
/// (`ksmd-sim capture --key HEX`) makes equal pages of two captures equal. The key is never
/// written to the snapshot.
public struct AnonymizationKey: Sendable {
    /// The 32 bytes of key material.
    public let bytes: [UInt8]
    private let secret: [UInt8]

    /// Bytes of key material.
    public static let byteCount = 32

    /// A key from 32 bytes; `nil` for another length.
    public init?(bytes: [UInt8]) {
        guard bytes.count == Self.byteCount else { return nil }
        var secret = [UInt8](repeating: 0, count: 192)
        let ok = secret.withUnsafeMutableBytes { s in
            bytes.withUnsafeBytes { k in cxxh_generate_secret(s.baseAddress, s.count, k.baseAddress, k.count) == 0 }
        }
        guard ok else { return nil }
        self.bytes = bytes
        self.secret = secret
    }

    /// A key from 64 hexadecimal digits; `nil` for anything else.
    public init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count == Self.byteCount * 2 else { return nil }
        var bytes: [UInt8] = []
        for i in stride(from: 0, to: digits.count, by: 2) {
            guard let b = UInt8(String(decoding: digits[i..<(i + 2)], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(b)
        }
        self.init(bytes: bytes)
    }

    /// A key of 32 random bytes from `getentropy(3)` (the kernel's `getrandom(2)`).
    public static func random() -> AnonymizationKey {
        var bytes = [UInt8](repeating: 0, count: byteCount)
        let r = bytes.withUnsafeMutableBytes { getentropy($0.baseAddress, $0.count) }
        precondition(r == 0, "getentropy failed: errno \(errno)")
        guard let key = AnonymizationKey(bytes: bytes) else { preconditionFailure("a 32-byte key is always valid") }
        return key
    }

    /// The keyed XXH3-128 of one page: its anonymized seed.
    func seed(of page: UnsafeRawPointer) -> PageHash {
        var h = PageHash(low: 0, high: 0)
        secret.withUnsafeBytes { cxxh_xxh3_128_secret(page, PageStore.pageSize, $0.baseAddress, $0.count, &h.low, &h.high) }
        return h
    }
}

import CXXHash

/// Content ids (``PageContentMode/ids``): which 64-bit id names which page, and back.
///
/// The ids of scenario fills are chosen so that their unsigned order is the `memcmp` order of the
/// pages the bytes mode writes (`FillGenerator`), and so that the page is recovered from its id:
/// - `0` is the zero page; a page of one repeated byte `b` is `b` repeated in all 8 bytes of the id
///   (the page's own first 8 bytes), except bytes 0xE1 and 0xE5, which are `0xE2 << 56` and
///   `0xE6 << 56`, just above the `unique` and `classes` ids that start with their byte.
/// - A `unique` page (write `w`, page `i`) is `0xE1`, then the low 3 bytes of `w` and the low 4 of
///   `i`, each in the little-endian order the page holds them in; a `classes` page (namespace `n`,
///   class `c`) is `0xE5`, then 3 bytes of `n` and 4 of `c`. Their pages differ within the first 16
///   bytes, where the fields the id leaves out are constant or zero, so `memcmp` compares exactly
///   what the id's order compares. A write number or namespace of 2^24 or more, or a class or page
///   index of 2^32 or more, has no id (``encodable(_:)``).
/// - Any other id `x` names the page that holds `x` big-endian in its first 8 bytes and zeros after.
///   Bytes that are none of the above are named by their XXH3-64, moved out of the ids above if it
///   falls there (a 64-bit hash: different pages get different ids in practice).
enum PageID {
    static let uniqueTag: UInt32 = 0x0E1_0E1
    static let classesTag: UInt32 = 0xC1A_55E5
    static let uniqueByte: UInt64 = 0xE1
    static let classesByte: UInt64 = 0xE5
    static let repeatedUnit: UInt64 = 0x0101_0101_0101_0101

    /// The id of a page of `b` repeated.
    static func byte(_ b: UInt8) -> UInt64 {
        switch UInt64(b) {
        case uniqueByte, classesByte: (UInt64(b) + 1) << 56
        default: UInt64(b) &* repeatedUnit
        }
    }

    /// Whether a `unique` write number or `classes` namespace `a` and page index or class `b` have an id.
    static func encodable(_ a: UInt64, _ b: UInt64) -> Bool { a < 1 << 24 && b < 1 << 32 }

    /// The id of a `FillGenerator.pattern` page of the `unique` or `classes` tag; `a` and `b` must be
    /// ``encodable(_:_:)``.
    static func pattern(top: UInt64, a: UInt64, b: UInt64) -> UInt64 {
        // The fields' bytes in page order (little-endian), as big-endian digits of the id.
        let a3 = UInt64(UInt32(truncatingIfNeeded: a).byteSwapped >> 8)  // a0 a1 a2
        let b4 = UInt64(UInt32(truncatingIfNeeded: b).byteSwapped)  // b0 b1 b2 b3
        return top << 56 | a3 << 32 | b4
    }

    /// What an id decodes to.
    enum Kind: Equatable {
        case byte(UInt8)
        case pattern(tag: UInt32, a: UInt64, b: UInt64)
        /// The id big-endian, then zeros.
        case other
    }

    static func kind(_ id: UInt64) -> Kind {
        let top = id >> 56
        if id == top &* repeatedUnit && top != uniqueByte && top != classesByte { return .byte(UInt8(top)) }
        if id == (uniqueByte + 1) << 56 { return .byte(UInt8(uniqueByte)) }
        if id == (classesByte + 1) << 56 { return .byte(UInt8(classesByte)) }
        if top == uniqueByte || top == classesByte {
            let a = UInt64((UInt32(truncatingIfNeeded: (id >> 32) & 0xFF_FFFF) << 8).byteSwapped)
            let b = UInt64(UInt32(truncatingIfNeeded: id).byteSwapped)
            return .pattern(tag: top == uniqueByte ? uniqueTag : classesTag, a: a, b: b)
        }
        return .other
    }

    /// Writes the page `id` stands for into `page` (4096 bytes).
    static func bytes(_ id: UInt64, into page: UnsafeMutableRawBufferPointer) {
        switch kind(id) {
        case .byte(let b):
            page.initializeMemory(as: UInt8.self, repeating: b)
        case .pattern(let tag, let a, let b):
            FillGenerator.pattern(page, tag: tag, a: a, b: b)
        case .other:
            page.initializeMemory(as: UInt8.self, repeating: 0)
            page.storeBytes(of: id.bigEndian, toByteOffset: 0, as: UInt64.self)
        }
    }

    /// The id of the page `bytes` (4096 bytes): the inverse of ``bytes(_:into:)`` for every page it
    /// writes, else a hash.
    static func of(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let base = bytes.baseAddress!
        let first = base.loadUnaligned(as: UInt64.self)
        let second = base.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        // One repeated byte (zero included)?
        let b = UInt8(truncatingIfNeeded: first)
        if first == UInt64(b) &* repeatedUnit && second == first && rest(base, equals: first) { return byte(b) }
        // A unique or classes page?
        let tag = UInt32(truncatingIfNeeded: first)
        if tag == uniqueTag || tag == classesTag, encodable(first >> 32, second) {
            let top = tag == uniqueTag ? uniqueByte : classesByte
            let id = pattern(top: top, a: first >> 32, b: second)
            if matches(id, bytes) { return id }
        }
        // The page of an id that is none of the above?
        let x = UInt64(bigEndian: first)
        if second == 0 && rest(base, equals: 0) && kind(x) == .other { return x }
        var h = cxxh_xxh3_64(base, PageStore.pageSize)
        if kind(h) != .other { h ^= 0x08 << 56 }
        if kind(h) != .other { h ^= 1 }
        return h
    }

    /// Whether the words of the page from byte 16 on are all `word`.
    private static func rest(_ base: UnsafeRawPointer, equals word: UInt64) -> Bool {
        var offset = 16
        while offset < PageStore.pageSize {
            if base.loadUnaligned(fromByteOffset: offset, as: UInt64.self) != word { return false }
            offset += 8
        }
        return true
    }

    /// Whether `bytes` are the page `id` stands for.
    private static func matches(_ id: UInt64, _ bytes: UnsafeRawBufferPointer) -> Bool {
        withUnsafeTemporaryAllocation(byteCount: PageStore.pageSize, alignment: 16) { scratch in
            Self.bytes(id, into: scratch)
            return memcmp(scratch.baseAddress!, bytes.baseAddress!, PageStore.pageSize) == 0
        }
    }

    /// XXH3-64 of the page `id` stands for (``ContentDigest``).
    static func digestHash(_ id: UInt64) -> UInt64 {
        withUnsafeTemporaryAllocation(byteCount: PageStore.pageSize, alignment: 16) { scratch in
            bytes(id, into: scratch)
            return cxxh_xxh3_64(scratch.baseAddress!, PageStore.pageSize)
        }
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

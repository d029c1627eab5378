import CXXHash

/// How a simulated machine holds its pages' contents: chosen when it is created, fixed for its life.
///
/// Both modes run the same ksmd, with the same rmap items, stable and unstable trees, checksums,
/// copy-on-write, zero pages, chains and counters. They differ in what a page is:
/// - ``bytes``: 4096 bytes per page, hashed, checksummed and compared as the kernel does.
/// - ``ids``: a 64-bit content id per page and no bytes: equal ids are equal pages, the stable tree
///   orders pages by unsigned id, a changed id is a changed page. A host of 128 Mi pages needs 1 GiB
///   of ids instead of 512 GiB of bytes.
///
/// Scenario fills (`byte`, `classes`, `unique`, and the workloads made of them) get ids whose order
/// is the `memcmp` order of the bytes the ``bytes`` mode writes, and reading such a page gives those
/// bytes, so the two modes give equal reports. Other bytes (``SimulatedKernel/write(_:at:pages:forced:fill:)``
/// with bytes of the caller's own, snapshot, core and trace loads) are named by a 64-bit hash of
/// their bytes: equal bytes, equal ids, and different bytes different ids in practice (XXH3-64); the
/// page such an id stands for is the id big-endian in its first 8 bytes and zeros after it.
public enum PageContentMode: String, Sendable, CaseIterable {
    /// 4 KiB of bytes per page (the default, and the benchmark of record: it reads memory).
    case bytes
    /// A 64-bit content id per page.
    case ids
}

/// The page-content operations ksmd's loop needs, one conforming type per ``PageContentMode``.
///
/// The loop (`SimulatedKernel+Scan.swift`) and the stable and unstable trees are generic over it
/// and specialised for each type: which mode runs is decided once per batch of ksmd
/// (`ksmDoScan(_:)`), never per page.
protocol PageContent {
    /// What the loop reads of a page once per visit: the address of its bytes, or its id.
    associatedtype Contents
    /// The contents of `page`.
    static func contents(_ store: PageStore, _ page: PageHandle) -> Contents
    /// The content hash of the indexes (unstable tree, stable tree's content index) for `page`
    /// (whose contents are `contents`), met at `address` of the mm with id `mmID` during a scan.
    static func scanHash(_ kernel: SimulatedKernel, _ page: PageHandle, _ contents: Contents, mmID: Int, address: Int)
        -> UInt64
    /// The content hash of `page` outside the scan's order (a forked KSM page).
    static func contentHash(_ store: PageStore, _ page: PageHandle) -> UInt64
    /// ksmd's checksum of a page's contents (`calc_checksum()`).
    static func checksum(_ contents: Contents) -> UInt32
    /// The first 16 bytes of the page, big-endian: comparing them as integers orders pages as memcmp
    /// does, so most comparisons of a walk down the stable tree end there (with ids, `(id, 0)`).
    static func prefix(_ store: PageStore, _ page: PageHandle) -> (UInt64, UInt64)
    /// `memcmp` of two pages whose prefixes are equal.
    static func compareAfterPrefix(_ store: PageStore, _ a: PageHandle, _ b: PageHandle) -> Int32
    /// Whether two pages hold the same contents.
    static func equal(_ store: PageStore, _ a: PageHandle, _ b: PageHandle) -> Bool
    /// Whether `page` reads as zeros.
    static func isZero(_ store: PageStore, _ page: PageHandle) -> Bool
}

/// ``PageContentMode/bytes``: 4096 bytes per page, XXH3-64 for the indexes, the kernel's XXH64
/// checksum, `memcmp`.
enum BytePages: PageContent {
    @inline(__always) static func contents(_ store: PageStore, _ page: PageHandle) -> UnsafeMutableRawPointer {
        store.bytes(page)
    }
    @inline(__always) static func scanHash(
        _ kernel: SimulatedKernel, _ page: PageHandle, _ contents: UnsafeMutableRawPointer, mmID: Int, address: Int
    ) -> UInt64 {
        kernel.scanHash(page, contents, mmID: mmID, address: address)
    }
    @inline(__always) static func contentHash(_ store: PageStore, _ page: PageHandle) -> UInt64 {
        SimulatedKernel.contentHash(store.bytes(page))
    }
    @inline(__always) static func checksum(_ contents: UnsafeMutableRawPointer) -> UInt32 {
        SimulatedKernel.checksum(contents)
    }
    @inline(__always) static func prefix(_ store: PageStore, _ page: PageHandle) -> (UInt64, UInt64) {
        let p = UnsafeRawPointer(store.bytes(page))
        return (
            UInt64(bigEndian: p.loadUnaligned(as: UInt64.self)),
            UInt64(bigEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        )
    }
    @inline(__always) static func compareAfterPrefix(_ store: PageStore, _ a: PageHandle, _ b: PageHandle) -> Int32 {
        memcmp(store.bytes(a) + 16, store.bytes(b) + 16, PageStore.pageSize - 16)
    }
    @inline(__always) static func equal(_ store: PageStore, _ a: PageHandle, _ b: PageHandle) -> Bool {
        a == b || memcmp(store.bytes(a), store.bytes(b), PageStore.pageSize) == 0
    }
    @inline(__always) static func isZero(_ store: PageStore, _ page: PageHandle) -> Bool {
        UnsafeRawBufferPointer(start: store.bytes(page), count: PageStore.pageSize).allSatisfy { $0 == 0 }
    }
}

/// ``PageContentMode/ids``: one 64-bit id per page. Its index hash and checksum are two different
/// bijective mixes of the id (so unequal ids never share an index hash, and share a checksum as
/// rarely as two pages' XXH64s do); its order is the id's.
enum IDPages: PageContent {
    @inline(__always) static func contents(_ store: PageStore, _ page: PageHandle) -> UInt64 { store.ids[Int(page)] }
    @inline(__always) static func scanHash(
        _ kernel: SimulatedKernel, _ page: PageHandle, _ contents: UInt64, mmID: Int, address: Int
    ) -> UInt64 {
        kernel.prefetchIndexSlots(ofIDAt: address + SimulatedKernel.idPrefetchDistance)
        return hash(contents)
    }
    @inline(__always) static func contentHash(_ store: PageStore, _ page: PageHandle) -> UInt64 { hash(store.ids[Int(page)]) }
    @inline(__always) static func checksum(_ contents: UInt64) -> UInt32 { checksum(id: contents) }
    @inline(__always) static func prefix(_ store: PageStore, _ page: PageHandle) -> (UInt64, UInt64) {
        (store.ids[Int(page)], 0)
    }
    @inline(__always) static func compareAfterPrefix(_ store: PageStore, _ a: PageHandle, _ b: PageHandle) -> Int32 { 0 }
    @inline(__always) static func equal(_ store: PageStore, _ a: PageHandle, _ b: PageHandle) -> Bool {
        store.ids[Int(a)] == store.ids[Int(b)]
    }
    @inline(__always) static func isZero(_ store: PageStore, _ page: PageHandle) -> Bool { store.ids[Int(page)] == 0 }

    /// The index hash of an id (the SplitMix64 finalizer: a bijection, so distinct ids never collide).
    @inline(__always) static func hash(_ id: UInt64) -> UInt64 {
        var z = id &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The checksum of an id: the low 32 bits of another bijective mix (Murmur3's finalizer).
    @inline(__always) static func checksum(id: UInt64) -> UInt32 {
        var z = id ^ 0x5851_F42D_4C95_7F2D
        z = (z ^ (z >> 33)) &* 0xFF51_AFD7_ED55_8CCD
        z = (z ^ (z >> 33)) &* 0xC4CE_B9FE_1A85_EC53
        return UInt32(truncatingIfNeeded: z ^ (z >> 33))
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

import Glibc

/// The distinct pages of a snapshot, each stored once and named by its index: 4 KiB of bytes each,
/// or (hashes-only and anonymized snapshots) a 128-bit seed each that expands into a pseudo-random
/// page (`PageExpansion`).
public struct DistinctPages: Sendable {
    /// How the pages are held.
    public enum Encoding: UInt32, Sendable, Hashable {
        /// The pages' bytes.
        case bytes = 0
        /// XXH3-128 of each page (seed 0), no bytes: loads as the hashes' expansions.
        case hashes = 1
        /// Keyed XXH3-128 of each page (``AnonymizationKey``): loads as the seeds' expansions.
        case anonymized = 2
    }

    /// Pages per chunk of bytes.
    static let chunkPages = 1024

    /// How the pages are held.
    public private(set) var encoding: Encoding
    /// Bytes: ``chunkPages`` pages a chunk, the last one partly filled.
    private(set) var chunks: [[UInt8]] = []
    /// Seeds, one a page (hashes and anonymized).
    private(set) var seeds: [PageHash] = []

    /// No pages, held as `encoding` says.
    public init(encoding: Encoding) {
        self.encoding = encoding
    }

    /// How many distinct pages.
    public var count: Int {
        guard encoding == .bytes else { return seeds.count }
        guard let last = chunks.last else { return 0 }
        return (chunks.count - 1) * Self.chunkPages + last.count / PageStore.pageSize
    }

    /// Appends a page's bytes (a bytes store only); its index.
    @discardableResult
    mutating func append(bytes page: UnsafeRawPointer) -> Int {
        precondition(encoding == .bytes, "bytes go to a bytes store")
        if chunks.isEmpty || chunks[chunks.count - 1].count == Self.chunkPages * PageStore.pageSize {
            chunks.append([])
            chunks[chunks.count - 1].reserveCapacity(Self.chunkPages * PageStore.pageSize)
        }
        chunks[chunks.count - 1].append(contentsOf: UnsafeRawBufferPointer(start: page, count: PageStore.pageSize))
        return count - 1
    }

    /// Whether page `id` of a bytes store holds the bytes at `page`.
    func equals(_ id: Int, _ page: UnsafeRawPointer) -> Bool {
        let (c, i) = id.quotientAndRemainder(dividingBy: Self.chunkPages)
        return chunks[c].withUnsafeBytes { memcmp($0.baseAddress! + i * PageStore.pageSize, page, PageStore.pageSize) == 0 }
    }

    /// Appends a seed (a hashes or anonymized store only).
    mutating func append(seed: PageHash) {
        precondition(encoding != .bytes, "seeds go to a hashes or anonymized store")
        seeds.append(seed)
    }

    /// Writes page `id`'s contents (expanded, for seeds) at `destination` (4,096 bytes).
    /// - Complexity: O(4 KiB).
    func copy(_ id: Int, to destination: UnsafeMutableRawPointer) {
        switch encoding {
        case .bytes:
            // Every chunk but the last holds chunkPages pages.
            let (c, i) = id.quotientAndRemainder(dividingBy: Self.chunkPages)
            chunks[c].withUnsafeBytes { memcpy(destination, $0.baseAddress! + i * PageStore.pageSize, PageStore.pageSize) }
        case .hashes, .anonymized:
            PageExpansion.expand(seeds[id], into: destination)
        }
    }

    /// Page `id`'s contents: its bytes, or its seed's expansion.
    /// - Complexity: O(4 KiB).
    public func page(_ id: Int) -> [UInt8]? {
        guard id >= 0 && id < count else { return nil }
        return [UInt8](unsafeUninitializedCapacity: PageStore.pageSize) { buffer, n in
            copy(id, to: UnsafeMutableRawPointer(buffer.baseAddress!))
            n = PageStore.pageSize
        }
    }

    /// The same pages as seeds: XXH3-128 of each (`.hashes`), or its keyed XXH3-128 (`.anonymized`
    /// with `key`). A bytes store only; equal pages stay equal, distinct pages distinct (but for a
    /// 128-bit collision, about 2^-128 per pair).
    /// - Complexity: O(pages × 4 KiB).
    func reencoded(_ target: Encoding, key: AnonymizationKey?) -> DistinctPages {
        precondition(encoding == .bytes && target != .bytes, "seeds are made from bytes")
        var out = DistinctPages(encoding: target)
        out.seeds.reserveCapacity(count)
        for chunk in chunks {
            chunk.withUnsafeBytes { b in
                for p in stride(from: 0, to: b.count, by: PageStore.pageSize) {
                    let page = b.baseAddress! + p
                    out.seeds.append(target == .anonymized ? key!.seed(of: page) : PageHash.of(page))
                }
            }
        }
        return out
    }
}

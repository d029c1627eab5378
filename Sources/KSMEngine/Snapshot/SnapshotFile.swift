/// Captured processes: every VMA, which pages were present, and each present anonymous page's
/// contents, every distinct page stored once. What `ksmd-sim capture` writes and
/// `ksmd-sim estimate --snapshot` reads; the file format is docs/snapshot-format.md.
///
/// ```swift
/// let snapshot = try SnapshotFile.capture(pids: [1234])
/// try snapshot.write(to: "app.ksmsnap")                  // mode 0600
/// let loaded = try SnapshotFile.load(from: "app.ksmsnap")
/// let estimate = try KSMEstimator().estimate(snapshot: loaded)   // as estimate(pids: [1234])
/// let shareable = try snapshot.anonymized(key: .random())
/// ```
public struct SnapshotFile: Sendable {
    /// How the capture recognised pages that map the shared zero page (their PFN, when the
    /// capturer could see PFNs).
    public var zeroPage: ZeroPageDetection
    /// The address range the capture was restricted to (VMAs clipped to it), or `nil`: all.
    public var range: Range<UInt64>?
    /// The captured processes, in the order asked for.
    public var processes: [ProcessSnapshot]
    /// The distinct pages that ``SnapshotPage/content`` indexes.
    public var pages: DistinctPages

    /// A snapshot from its parts; ``write(to:)`` checks that they fit together.
    public init(zeroPage: ZeroPageDetection, range: Range<UInt64>?, processes: [ProcessSnapshot], pages: DistinctPages) {
        self.zeroPage = zeroPage
        self.range = range
        self.processes = processes
        self.pages = pages
    }

    /// How the distinct pages are held: bytes, hashes or anonymized seeds.
    public var encoding: DistinctPages.Encoding { pages.encoding }

    /// The same snapshot with a 128-bit hash (XXH3-128) per distinct page instead of its bytes:
    /// it loads as a pseudo-random page per hash, so equal pages stay equal, zero pages stay zero
    /// pages, and the estimate's counters are the same. Only a snapshot holding bytes can be
    /// turned into one (`.invalidOptions` otherwise).
    /// - Complexity: O(distinct pages × 4 KiB).
    public func hashesOnly() throws(SnapshotError) -> SnapshotFile {
        try reencoded(.hashes, key: nil)
    }

    /// The same snapshot with every distinct page replaced by a pseudo-random page keyed by `key`
    /// (stored as its 128-bit seed, no bytes); zero pages stay zero pages. Equality and zero-ness
    /// are preserved, contents are not, so the estimate's counters are the same. Only a snapshot
    /// holding bytes can be anonymized (`.invalidOptions` otherwise).
    /// - Complexity: O(distinct pages × 4 KiB).
    public func anonymized(key: AnonymizationKey) throws(SnapshotError) -> SnapshotFile {
        try reencoded(.anonymized, key: key)
    }

    private func reencoded(_ target: DistinctPages.Encoding, key: AnonymizationKey?) throws(SnapshotError) -> SnapshotFile {
        guard encoding == .bytes else {
            throw SnapshotError(.invalidOptions, "only a snapshot holding page bytes can be turned into \(target) pages")
        }
        var s = self
        s.pages = pages.reencoded(target, key: key)
        return s
    }
}

/// One page of a captured VMA that pagemap showed present or swapped: its pagemap bits and, for a
/// present anonymous page, its contents (an index into ``SnapshotFile/pages``, or a zero flag).
public struct SnapshotPage: Hashable, Sendable {
    /// The page's pagemap bits and what the snapshot holds of it.
    public struct Flags: OptionSet, Hashable, Sendable {
        /// The raw bits, as stored in the file.
        public var rawValue: UInt8
        /// A flag set from its stored bits.
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        /// Pagemap bit 63: the page is present.
        public static let present = Flags(rawValue: 1 << 0)
        /// Pagemap bit 62: the page is swapped out.
        public static let swapped = Flags(rawValue: 1 << 1)
        /// Pagemap bit 61: a page-cache or shared-memory page (not private anonymous): ksmd never
        /// scans it, and its contents are not stored.
        public static let fileOrShared = Flags(rawValue: 1 << 2)
        /// Pagemap bit 56: mapped by this process alone.
        public static let exclusive = Flags(rawValue: 1 << 3)
        /// The page maps the shared zero page (its PFN was the zero page's): ksmd skips it.
        public static let zeroPageMapping = Flags(rawValue: 1 << 4)
        /// The contents are the distinct page ``SnapshotPage/content``.
        public static let stored = Flags(rawValue: 1 << 5)
        /// The contents are all zeros (a written zero page); nothing is stored.
        public static let zeroFilled = Flags(rawValue: 1 << 6)
        /// A present anonymous page that `/proc/PID/mem` could not read (unmapped meanwhile, or
        /// memory the kernel does not let `mem` read, such as `VM_IO`).
        public static let unreadable = Flags(rawValue: 1 << 7)
    }

    /// The page's number within its VMA (0 is the VMA's first page).
    public var index: UInt64
    /// Its pagemap bits and what is stored.
    public var flags: Flags
    /// The distinct page holding its contents when ``Flags/stored`` is set, else 0.
    public var content: UInt32

    /// A page record.
    public init(index: UInt64, flags: Flags, content: UInt32 = 0) {
        self.index = index
        self.flags = flags
        self.content = content
    }

    /// A present private anonymous page that does not map the zero page: one ksmd would scan in
    /// a mergeable VMA.
    public var isCandidate: Bool {
        flags.contains(.present) && !flags.contains(.fileOrShared) && !flags.contains(.zeroPageMapping)
    }

    /// The pagemap entry the estimator reads for this page: bits 63, 62, 61 and 56, and as PFN
    /// `zeroPFN` for a zero-page mapping (0 otherwise).
    func pagemapEntry(zeroPFN: UInt64) -> PagemapEntry {
        var raw: UInt64 = 0
        if flags.contains(.present) { raw |= 1 << 63 }
        if flags.contains(.swapped) { raw |= 1 << 62 }
        if flags.contains(.fileOrShared) { raw |= 1 << 61 }
        if flags.contains(.exclusive) { raw |= 1 << 56 }
        if flags.contains(.zeroPageMapping) && flags.contains(.present) { raw |= zeroPFN & ((1 << 55) - 1) }
        return PagemapEntry(rawValue: raw)
    }
}

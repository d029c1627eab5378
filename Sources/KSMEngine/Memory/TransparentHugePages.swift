/// `/sys/kernel/mm/transparent_hugepage/enabled`: when anonymous memory is backed by PMD-sized
/// (2 MiB) transparent huge pages.
public enum THPMode: String, Sendable, CaseIterable {
    /// Every eligible anonymous VMA not marked `VM_NOHUGEPAGE`.
    case always
    /// Only VMAs marked `VM_HUGEPAGE` (`MADV_HUGEPAGE`); the default of most distributions and of
    /// this machine.
    case madvise
    /// Never.
    case never
}

/// A scenario's transparent-huge-page settings (its top-level `"thp"` object). A scenario that has
/// them reports each VMA's `Rss` and `AnonHugePages` and the THP events of `/proc/vmstat`.
public struct THPSettings: Hashable, Sendable {
    /// `transparent_hugepage/enabled`.
    public var enabled: THPMode
    /// `transparent_hugepage/shrink_underused`: `nil` leaves the kernel's value (1 on this
    /// machine).
    public var shrinkUnderused: Bool?
    /// Settings as given.
    public init(enabled: THPMode = .madvise, shrinkUnderused: Bool? = nil) {
        self.enabled = enabled
        self.shrinkUnderused = shrinkUnderused
    }
}

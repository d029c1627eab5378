/// The kind of mapping, as far as deciding *when* `VM_MERGEABLE` is applied is concerned.
public enum MappingClass: String, Hashable, Sendable, CaseIterable {
    /// Private or shared anonymous memory (`mmap` without a file).
    case anonymous
    /// The heap, grown by `brk`.
    case brk
    /// shmem (tmpfs, memfd) files.
    case shmem
    /// Files whose driver uses `.mmap_prepare` (and DAX files).
    case fileMmapPrepare = "file-mmap-prepare"
    /// Private mappings of files whose driver has a legacy `.mmap` hook.
    case privateFileLegacy = "private-file-legacy"
    /// Shared mappings of files whose driver has a legacy `.mmap` hook.
    case sharedFileLegacy = "shared-file-legacy"
    /// Device driver mappings (legacy `.mmap`).
    case device
}

/// When a merge-any process's new mappings get `VM_MERGEABLE`, relative to the attempt to merge them
/// with their neighbours.
public enum FlagTiming: String, Hashable, Sendable, CaseIterable {
    /// After the merge attempt, for every mapping: Linux 6.4 to 6.16.
    case never
    /// Before it where no driver can change the mapping later (anonymous, brk, shmem,
    /// `.mmap_prepare`): Linux 6.17 and later (`can_set_ksm_flags_early()`).
    case whenSafe = "when-safe"
    /// Before it, for every mapping.
    case always

    /// The classes whose flag is decided early under this timing.
    public var earlyClasses: Set<MappingClass> {
        switch self {
        case .never: []
        case .whenSafe: [.anonymous, .brk, .shmem, .fileMmapPrepare]
        case .always: Set(MappingClass.allCases)
        }
    }
}

/// A KSM eligibility rule set: which VMAs may become `VM_MERGEABLE`, and when a merge-any process's
/// new mappings get the flag.
///
/// The kernel's counterparts are `vma_ksm_compatible()`/`ksm_compatible()` and
/// `can_set_ksm_flags_early()`. Research variants are a few lines:
/// ```swift
/// var pfnmapAllowed = EligibilityRules.linux6_17
/// pfnmapAllowed.name = "allow-pfnmap-io"
/// pfnmapAllowed.excludedFlags.subtract([.pfnMap, .io])
///
/// var earlyPrivateFiles = EligibilityRules.linux6_17
/// earlyPrivateFiles.earlyClasses.insert(.privateFileLegacy)
/// ```
public struct EligibilityRules: Hashable, Sendable {
    /// The name reports print.
    public var name: String
    /// A VMA with any of these flags is not KSM-compatible.
    public var excludedFlags: VMFlags
    /// Whether DAX files are excluded (`file_is_dax()`).
    public var excludesDAX: Bool
    /// Mapping classes whose `VM_MERGEABLE` is decided before the merge attempt; the others get it
    /// after the VMA is created (and so, in a merge-any process, never merge with a neighbour).
    public var earlyClasses: Set<MappingClass>

    /// Creates a rule set; start from ``linux6_17`` or ``linux6_4`` and change a copy to keep the
    /// kernel's other choices.
    ///
    /// - Parameters:
    ///   - name: The name reports print.
    ///   - excludedFlags: VMA flags that make a VMA KSM-incompatible.
    ///   - excludesDAX: Whether DAX files are excluded.
    ///   - earlyClasses: Mapping classes whose `VM_MERGEABLE` is decided before the VMA-merge attempt.
    public init(name: String, excludedFlags: VMFlags, excludesDAX: Bool, earlyClasses: Set<MappingClass>) {
        self.name = name
        self.excludedFlags = excludedFlags
        self.excludesDAX = excludesDAX
        self.earlyClasses = earlyClasses
    }

    /// The kernel's exclusions: `VM_SHARED | VM_MAYSHARE | VM_SPECIAL | VM_HUGETLB | VM_DROPPABLE`.
    public static let kernelExclusions: VMFlags = [
        .shared, .mayShare, .io, .dontExpand, .pfnMap, .mixedMap, .hugeTLB, .droppable,
    ]

    /// Linux 6.17 and later: the 2025 fix, flag decided early when safe.
    public static let linux6_17 = EligibilityRules(
        name: "linux-6.17", excludedFlags: kernelExclusions, excludesDAX: true,
        earlyClasses: FlagTiming.whenSafe.earlyClasses)

    /// Linux 6.4 to 6.16: the flag is added after the merge attempt, so a merge-any process's new
    /// mappings never merge with their (already mergeable) neighbours.
    public static let linux6_4 = EligibilityRules(
        name: "linux-6.4", excludedFlags: kernelExclusions, excludesDAX: true, earlyClasses: [])

    /// The built-in rule sets by name.
    public static let builtIn: [String: EligibilityRules] = ["linux-6.17": linux6_17, "linux-6.4": linux6_4]

    /// `ksm_compatible()`: whether a VMA with these flags and this backing may be `VM_MERGEABLE`.
    public func isCompatible(flags: VMFlags, backing: Backing) -> Bool {
        if !flags.isDisjoint(with: excludedFlags) { return false }
        if excludesDAX, case .dax = backing { return false }
        return true
    }

    /// Whether a new mapping of this class gets its flag before the merge attempt.
    public func setsFlagEarly(_ cls: MappingClass) -> Bool { earlyClasses.contains(cls) }
}

/// How a file's driver sets up a mapping of it.
public enum FileDriver: String, Hashable, Sendable, CaseIterable {
    /// `f_op->mmap_prepare`: the driver decides the mapping's state before the VMA exists, so the
    /// kernel can decide `VM_MERGEABLE` before trying to merge the new VMA with its neighbours.
    case mmapPrepare = "mmap_prepare"
    /// A legacy `f_op->mmap` hook, which may change the VMA after it is created.
    case mmap = "mmap"
}

/// What backs a mapping: the `vm_file` (or its absence) of the VMAs it creates.
public enum Backing: Hashable, Sendable {
    /// Anonymous memory. Shared anonymous memory is a new shmem object per mapping.
    case anonymous
    /// A shmem (tmpfs, memfd) file.
    case shmem
    /// A regular file whose filesystem maps it through `driver`.
    case file(FileDriver)
    /// A file on a DAX filesystem (never KSM-compatible: `file_is_dax()`).
    case dax
    /// A device driver's mapping; its legacy `.mmap` hook adds `flags` (`VM_IO`, `VM_PFNMAP`,
    /// `VM_MIXEDMAP`, `VM_DONTEXPAND`, ...).
    case device(VMFlags)

    /// The class the eligibility rules use to decide when `VM_MERGEABLE` is applied.
    public func mappingClass(shared: Bool) -> MappingClass {
        switch self {
        case .anonymous: return .anonymous
        case .shmem: return .shmem
        case .file(.mmapPrepare), .dax: return .fileMmapPrepare
        case .file(.mmap): return shared ? .sharedFileLegacy : .privateFileLegacy
        case .device: return .device
        }
    }
}

/// What a new mapping is asked to be: the arguments of mmap beyond address, length and protection.
public struct MapRequest: Hashable, Sendable {
    /// The backing object's kind.
    public var backing: Backing
    /// `MAP_SHARED` rather than `MAP_PRIVATE`.
    public var shared: Bool
    /// The file's name for file, shmem, DAX and device backings (mappings of one name share one
    /// object); ignored for anonymous memory.
    public var file: String?
    /// The file offset in pages; ignored for anonymous memory, as the kernel ignores it. For the
    /// other backings `offset + pages` must lie in 0...``SimulatedKernel/maxFileOffsetPages``
    /// (else `mmap` gives EOVERFLOW).
    public var offset: Int
    /// `MAP_NORESERVE`.
    public var noReserve: Bool

    /// Creates a mapping request, as the flags and file of an `mmap()` call.
    ///
    /// - Parameters:
    ///   - backing: What backs the pages.
    ///   - shared: `MAP_SHARED` rather than `MAP_PRIVATE`.
    ///   - file: The file's name; mappings that name the same file share one object.
    ///   - offset: The file offset, in pages.
    ///   - noReserve: `MAP_NORESERVE`.
    public init(backing: Backing, shared: Bool, file: String? = nil, offset: Int = 0, noReserve: Bool = false) {
        self.backing = backing
        self.shared = shared
        self.file = file
        self.offset = offset
        self.noReserve = noReserve
    }

    /// `MAP_PRIVATE | MAP_ANONYMOUS`.
    public static let privateAnonymous = MapRequest(backing: .anonymous, shared: false)
    /// `MAP_SHARED | MAP_ANONYMOUS`.
    public static let sharedAnonymous = MapRequest(backing: .anonymous, shared: true)
}

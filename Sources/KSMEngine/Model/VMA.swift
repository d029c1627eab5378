/// One virtual memory area: a page range of a process with one set of flags and one backing.
///
/// The kernel's counterpart is `struct vm_area_struct`. Addresses are page numbers within the
/// process's window.
public struct VMA: Hashable, Sendable {
    /// First page.
    public internal(set) var start: Int
    /// One past the last page.
    public internal(set) var end: Int
    /// `vm_flags`.
    public internal(set) var flags: VMFlags
    /// The mapped object (`vm_file`), or `nil` for private anonymous memory.
    public internal(set) var object: ObjectID?
    /// `vm_pgoff`: the file offset of `start` in pages; for anonymous memory, `start` itself.
    public internal(set) var pgoff: Int
    /// What backs the VMA.
    public internal(set) var backing: Backing
    /// The `anon_vma` this VMA's anonymous pages belong to (0: none yet).
    var anonVMA: Int = 0

    init(start: Int, end: Int, flags: VMFlags, object: ObjectID?, pgoff: Int, backing: Backing, isAnonymous: Bool? = nil) {
        self.start = start
        self.end = end
        self.flags = flags
        self.object = object
        self.pgoff = pgoff
        self.backing = backing
        self.isAnonymous = isAnonymous ?? (object == nil)
    }
    /// `anon_vma_chain` length: 1 for a VMA whose anon_vma is its own, more for a fork child's
    /// VMA that also links its parents' anon_vmas (`vma_had_uncowed_parents()`).
    var anonChain: Int = 0

    /// Pages in the VMA.
    public var pages: Int { end - start }
    /// The page range.
    public var range: Range<Int> { start..<end }
    /// `vma_is_anonymous()`: no `vm_ops` — private anonymous memory, and private mappings of
    /// `/dev/zero` (whose driver calls `vma_set_anonymous()`).
    public internal(set) var isAnonymous: Bool
    /// Whether the VMA has an anon_vma (some page in it was ever written privately).
    public var hasAnonVMA: Bool { anonVMA != 0 }

    /// `vma_had_uncowed_parents()`.
    var hadUncowedParents: Bool { anonVMA != 0 && anonChain > 1 }
}

/// Identifies a backing object (file, shmem object, device) within one ``SimulatedKernel``.
public typealias ObjectID = Int

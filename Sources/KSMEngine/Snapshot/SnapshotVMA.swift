/// One VMA of a captured process: its smaps fields, its backing, and its present or swapped pages.
public struct SnapshotVMA: Hashable, Sendable {
    /// What backs a VMA, as far as smaps tells.
    public enum Backing: UInt8, Hashable, Sendable {
        /// Private anonymous memory: no name, `[heap]`, `[stack]`, `[anon:NAME]`.
        case anonymous = 0
        /// Shared memory without a file name of its own (`VM_SHARED` and no path).
        case shared = 1
        /// A file mapping: ``SnapshotVMA/vma``'s name is the file's path (shared anonymous memory
        /// shows as `/dev/zero (deleted)`, memfds as `/memfd:NAME`).
        case file = 2
        /// A special mapping of the kernel's: `[vdso]`, `[vvar]`, `[vsyscall]`, `[uprobes]`, ...
        case special = 3
    }

    /// The VMA as smaps showed it: range, name, `VmFlags:` mnemonics (unknown ones kept), `Rss:`
    /// and `Swap:`.
    public var vma: LiveVMA
    /// The pages pagemap showed present or swapped, by ascending ``SnapshotPage/index``.
    public var pages: [SnapshotPage]

    /// A VMA and its page records.
    public init(vma: LiveVMA, pages: [SnapshotPage] = []) {
        self.vma = vma
        self.pages = pages
    }

    /// The backing, from the name and the flags.
    public var backing: Backing { Self.backing(of: vma) }

    /// The backing of a VMA from its smaps name and flags.
    static func backing(of v: LiveVMA) -> Backing {
        if v.isFileBacked { return .file }
        if v.name.hasPrefix("[") && v.name != "[heap]" && !v.name.hasPrefix("[stack") && !v.name.hasPrefix("[anon") {
            return .special
        }
        if v.mnemonics.contains("sh") { return .shared }
        return .anonymous
    }
}

/// Why an ELF core file was refused: one line naming the file and what is wrong with it.
///
/// Every offset and size read from the file is checked (with overflow checks) before it is used or
/// anything is allocated for it, so a truncated, corrupt or foreign file is this error, never a trap.
public struct CoreFileError: Error, CustomStringConvertible, Sendable {
    /// What is wrong.
    public enum Kind: Sendable, Hashable {
        /// The file cannot be opened or read (the errno is in ``CoreFileError/errno``).
        case unreadable
        /// Not an ELF file, or an ELF file of another kind: 32-bit, big-endian, not x86-64, not
        /// `ET_CORE`.
        case foreign
        /// An ELF core file whose headers, segments or notes are inconsistent or lie beyond its end.
        case malformed
    }

    /// What is wrong.
    public var kind: Kind
    /// The file concerned.
    public var path: String
    /// What is wrong with it, without the path.
    public var reason: String
    /// The errno of the failed `open` or `pread`, for ``Kind/unreadable``.
    public var errno: Int32?

    /// An error of `kind` for the file at `path`.
    public init(_ kind: Kind, path: String, _ reason: String, errno: Int32? = nil) {
        self.kind = kind
        self.path = path
        self.reason = reason
        self.errno = errno
    }

    /// `"PATH: not an ELF core file: ..."`, one line.
    public var description: String {
        switch kind {
        case .unreadable: return "cannot read \(path): \(reason)"
        case .foreign: return "\(path): not an x86-64 ELF core file: \(reason)"
        case .malformed: return "\(path): malformed ELF core file: \(reason)"
        }
    }
}

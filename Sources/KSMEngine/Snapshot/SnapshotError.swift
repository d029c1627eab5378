import Glibc

/// Why a snapshot could not be captured, written or loaded: printed as one line.
public struct SnapshotError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, for the caller's exit status.
    public enum Kind: Sendable, Hashable {
        /// A process to capture does not exist (ENOENT, ESRCH).
        case noProcess
        /// The kernel refused a read or the creation of a file (EACCES, EPERM).
        case permissionDenied
        /// Another failed read of a process's `/proc` files.
        case readFailed
        /// The snapshot file cannot be opened or read (a missing file: ENOENT).
        case cannotRead
        /// The output file cannot be created or written.
        case cannotWrite
        /// The file is not a snapshot: its first bytes are not the snapshot magic.
        case notASnapshot
        /// A snapshot of a format version this library does not read.
        case unsupportedVersion
        /// The file ends before the snapshot does.
        case truncated
        /// A checksum does not match, or a field holds a value the format does not allow.
        case corrupt
        /// Options that cannot work (no process, a pid given twice, a malformed key).
        case invalidOptions
    }

    /// What went wrong.
    public var kind: Kind
    /// The whole message, one line.
    public var message: String

    /// An error of `kind` with its one-line `message`.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// The one line `ksmd-sim` prints: ``message``.
    public var description: String { message }

    /// An ``EstimateError`` of a capture's `/proc` reads, as a snapshot error of the same kind.
    init(_ e: EstimateError) {
        switch e.kind {
        case .noProcess: self.init(.noProcess, e.message)
        case .permissionDenied: self.init(.permissionDenied, e.message)
        default: self.init(.readFailed, e.message)
        }
    }

    /// A failed system call on the snapshot file `path`.
    static func file(_ op: String, _ path: String, errno e: Int32, writing: Bool) -> SnapshotError {
        let what = "cannot \(op) \(path): \(FileIO.describe(errno: e))"
        if e == EACCES || e == EPERM { return SnapshotError(.permissionDenied, what) }
        return SnapshotError(writing ? .cannotWrite : .cannotRead, what)
    }
}

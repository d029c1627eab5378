import Glibc

/// Why an estimate could not be made: printed as one line naming the file and the errno.
public struct EstimateError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, for the caller's exit status.
    public enum Kind: Sendable, Hashable {
        /// The process does not exist (ENOENT, ESRCH): exit status 66.
        case noProcess
        /// The kernel refused a read (EACCES, EPERM): exit status 77.
        case permissionDenied
        /// The pages to simulate exceed the simulator's memory budget or its window.
        case tooLarge
        /// Another failed read.
        case readFailed
        /// ``KSMEstimator/Options`` that cannot work (a scan limit below 1).
        case invalidOptions
        /// An input file (a core file) cannot be opened or read: exit status 66.
        case noFile
        /// An input file is not what it should be: not an x86-64 ELF core file, or a truncated or
        /// corrupt one (see ``CoreFileError``): exit status 65.
        case malformedFile
    }

    /// What went wrong.
    public var kind: Kind
    /// The whole message, one line.
    public var message: String
    /// The `/proc` file concerned, if any.
    public var path: String?
    /// The errno of the failed system call, if any.
    public var errno: Int32?

    /// An error of `kind` with its one-line `message`.
    public init(_ kind: Kind, _ message: String, path: String? = nil, errno: Int32? = nil) {
        self.kind = kind
        self.message = message
        self.path = path
        self.errno = errno
    }

    /// The one line `ksmd-sim estimate` prints: ``message``.
    public var description: String { message }

    /// The estimate's error for a refused core file: its one line, `.noFile` when it cannot be read.
    init(core e: CoreFileError) {
        self.init(e.kind == .unreadable ? .noFile : .malformedFile, e.description, path: e.path, errno: e.errno)
    }

    /// A failed `open` or `read` of `path` (a file of process `pid`), classified by its errno.
    static func system(_ op: String, _ path: String, errno e: Int32, pid: Int32) -> EstimateError {
        let what = FileIO.describe(errno: e)
        switch e {
        case ESRCH where access("/proc/\(pid)", F_OK) == 0:
            // The pid exists but has no mm: /proc refuses pagemap and mem of kernel threads and zombies.
            return EstimateError(
                .noProcess, "process \(pid) has no address space (a kernel thread or a zombie): cannot \(op) \(path): \(what)",
                path: path, errno: e)
        case ENOENT, ESRCH:
            return EstimateError(.noProcess, "no process \(pid): cannot \(op) \(path): \(what)", path: path, errno: e)
        case EACCES, EPERM:
            return EstimateError(.permissionDenied, "cannot \(op) \(path): \(what)", path: path, errno: e)
        default:
            return EstimateError(.readFailed, "cannot \(op) \(path): \(what)", path: path, errno: e)
        }
    }

    /// `"EACCES"` for 13: the model's name, else a few more, else the number.
    static func errnoName(_ e: Int32) -> String {
        if let known = Errno(rawValue: e) { return known.name }
        switch e {
        case ESRCH: return "ESRCH"
        case EINTR: return "EINTR"
        case ENXIO: return "ENXIO"
        default: return "errno \(e)"
        }
    }
}

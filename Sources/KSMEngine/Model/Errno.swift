/// The kernel's error numbers that the modelled system calls return.
public enum Errno: Int32, Error, Sendable, CaseIterable, CustomStringConvertible {
    case EPERM = 1
    case ENOENT = 2
    /// No such process: the library's answer for a ``ProcessID`` that was never spawned or has
    /// exited.
    case ESRCH = 3
    case EIO = 5
    case EBADF = 9
    case EAGAIN = 11
    case ENOMEM = 12
    case EACCES = 13
    case EFAULT = 14
    case EBUSY = 16
    case EEXIST = 17
    case ENODEV = 19
    case EINVAL = 22
    case ENOSPC = 28
    /// A file offset beyond what the file can hold (`mmap()` of `offset + pages` past
    /// `MAX_LFS_FILESIZE`).
    case EOVERFLOW = 75
    case EOPNOTSUPP = 95

    /// The symbolic name, e.g. `"ENOMEM"`.
    public var name: String { description }
    public var description: String {
        switch self {
        case .EPERM: "EPERM"
        case .ENOENT: "ENOENT"
        case .ESRCH: "ESRCH"
        case .EIO: "EIO"
        case .EBADF: "EBADF"
        case .EAGAIN: "EAGAIN"
        case .ENOMEM: "ENOMEM"
        case .EACCES: "EACCES"
        case .EFAULT: "EFAULT"
        case .EBUSY: "EBUSY"
        case .EEXIST: "EEXIST"
        case .ENODEV: "ENODEV"
        case .EINVAL: "EINVAL"
        case .ENOSPC: "ENOSPC"
        case .EOVERFLOW: "EOVERFLOW"
        case .EOPNOTSUPP: "EOPNOTSUPP"
        }
    }

    /// Looks an errno up by its symbolic name.
    public init?(name: String) {
        guard let e = Self.allCases.first(where: { $0.description == name }) else { return nil }
        self = e
    }
}

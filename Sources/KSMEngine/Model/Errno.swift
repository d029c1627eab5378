/// The kernel's error numbers that the modelled system calls return.
public enum Errno: Int32, Error, Sendable, CaseIterable, CustomStringConvertible {
    /// Operation not permitted; from the host kernel, passed on.
    case EPERM = 1
    /// No such file or directory: for example an unknown KSM knob name.
    case ENOENT = 2
    /// No such process: the library's answer for a ``ProcessID`` that was never spawned or has
    /// exited.
    case ESRCH = 3
    /// Input/output error: a forced write (as through `/proc/PID/mem`) to a page it cannot write.
    case EIO = 5
    /// Bad file descriptor; from the host kernel, passed on.
    case EBADF = 9
    /// Resource temporarily unavailable: `madvise` that would split a VMA past `vm.max_map_count`.
    case EAGAIN = 11
    /// Out of memory: a range not fully mapped (`madvise`, `mprotect`), no room in the window, more
    /// than `vm.max_map_count` VMAs, or a write beyond the memory budget.
    case ENOMEM = 12
    /// Permission denied: `mprotect` asking for a permission the mapping's `VM_MAY*` flags lack.
    case EACCES = 13
    /// Bad address: an ordinary (not forced) write to a page no VMA maps or without `PROT_WRITE`
    /// (standing for the kernel's SIGSEGV).
    case EFAULT = 14
    /// Device or resource busy: a knob that can change only while no page is shared
    /// (`max_page_sharing`, `merge_across_nodes`).
    case EBUSY = 16
    /// File exists: `mmap` at a fixed address whose range is taken (as `MAP_FIXED_NOREPLACE`).
    case EEXIST = 17
    /// No such device; from the host kernel, passed on.
    case ENODEV = 19
    /// Invalid argument: misaligned or impossible ranges, bad knob values, a file name reused with
    /// another backing.
    case EINVAL = 22
    /// No space left on device; from the host kernel, passed on.
    case ENOSPC = 28
    /// A file offset beyond what the file can hold (`mmap()` of `offset + pages` past
    /// `MAX_LFS_FILESIZE`).
    case EOVERFLOW = 75
    /// Operation not supported; from the host kernel, passed on.
    case EOPNOTSUPP = 95

    /// The symbolic name, e.g. `"ENOMEM"`.
    public var name: String { description }
    /// The symbolic name, as ``name``.
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

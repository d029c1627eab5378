#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reading files whole: `pread` again after a short read or EINTR, as every reader of snapshots,
/// traces, core files and `/proc/PID/mem` needs.
enum FileIO {
    /// Reads up to `count` bytes at `offset` into `buffer`, until they are all read, the file ends,
    /// or a read fails: the bytes read, and the errno of the failure (0 when none failed).
    /// An offset that does not fit `off_t` reads nothing.
    static func preadFully(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, count: Int, at offset: UInt64) -> (
        bytes: Int, errno: Int32
    ) {
        guard offset <= UInt64(Int64.max) else { return (0, 0) }
        let base = Int64(offset)
        var done = 0
        while done < count {
            let (position, overflow) = base.addingReportingOverflow(Int64(done))
            if overflow { break }
            let r = pread(fd, buffer + done, count - done, off_t(position))
            if r < 0 {
                if errno == EINTR { continue }
                return (done, errno)
            }
            if r == 0 { break }
            done += r
        }
        return (done, 0)
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reading files whole: opening a regular file read-only, `pread` again after a short read or
/// EINTR, and a failed call's errno as one line, as every reader of snapshots, traces, core files
/// and `/proc/PID/mem` needs.
enum FileIO {
    /// Why ``openRegularFile(_:)`` refused a path.
    struct OpenError: Error {
        /// The failed call, `"open"` or `"stat"`; `nil` when the file is not a regular file.
        var call: String?
        /// The failed call's errno (0 for a file that is not a regular file).
        var errno: Int32
    }

    /// Opens `path` read-only and returns the descriptor and the file's size (`fstat`'s `st_size`);
    /// refuses what is not a regular file (a directory, a FIFO, a device). The caller closes the
    /// descriptor; on an error nothing is left open.
    static func openRegularFile(_ path: String) throws(OpenError) -> (fd: Int32, size: Int) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw OpenError(call: "open", errno: errno) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let e = errno
            close(fd)
            throw OpenError(call: "stat", errno: e)
        }
        guard st.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw OpenError(call: nil, errno: 0)
        }
        return (fd, Int(st.st_size))
    }

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

    /// The bytes `[offset, offset + count)` of the file, read with ``preadFully(_:_:count:at:)``:
    /// fewer when the file ends first or a read fails, and the errno of the failure (0 when none
    /// failed). `count` bytes are allocated: the caller checks it against the file's size first.
    static func preadBytes(_ fd: Int32, count: Int, at offset: UInt64) -> (bytes: [UInt8], errno: Int32) {
        var bytes = [UInt8](repeating: 0, count: count)
        guard count > 0 else { return (bytes, 0) }
        let got = bytes.withUnsafeMutableBytes { preadFully(fd, $0.baseAddress!, count: count, at: offset) }
        if got.bytes < count { bytes.removeLast(count - got.bytes) }
        return (bytes, got.errno)
    }

    /// `"ENOENT (No such file or directory)"`: the errno's name and `strerror`'s text, as error
    /// lines about files show it.
    static func describe(errno e: Int32) -> String { "\(EstimateError.errnoName(e)) (\(String(cString: strerror(e))))" }
}

import Glibc

/// A snapshot being written: a temporary file in the target's directory, created `O_EXCL` with
/// mode 0600 (and `fchmod` to 0600 whatever the umask), renamed over the target only when
/// complete, so that a failed write leaves nothing behind.
final class SnapshotOutputFile {
    let path: String
    private let temporary: String
    private var fd: Int32
    /// Bytes written so far.
    private(set) var offset = 0

    init(_ path: String) throws(SnapshotError) {
        self.path = path
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard !name.isEmpty else { throw SnapshotError(.cannotWrite, "cannot write \(path): not a file name") }
        var template = Array("\(directory.isEmpty ? "/" : directory)/.\(name).XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw SnapshotError.file("create a file next to", path, errno: errno, writing: true) }
        temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        self.fd = fd
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        guard fchmod(fd, 0o600) == 0 else {
            let e = errno
            discard()
            throw SnapshotError.file("chmod", temporary, errno: e, writing: true)
        }
    }

    deinit { discard() }

    /// Appends `bytes`.
    func write(_ bytes: [UInt8]) throws(SnapshotError) {
        try writeAll(bytes, at: nil)
        offset += bytes.count
    }

    /// Writes `bytes` at `position` (the header, once everything else is written).
    func write(_ bytes: [UInt8], at position: Int) throws(SnapshotError) {
        try writeAll(bytes, at: position)
    }

    /// Writes all of `bytes`, at the file's offset (`write`) or at `position` (`pwrite`), again
    /// after a short write or EINTR.
    private func writeAll(_ bytes: [UInt8], at position: Int?) throws(SnapshotError) {
        var done = 0
        while done < bytes.count {
            let r = bytes.withUnsafeBytes { b in
                let (start, left) = (b.baseAddress! + done, b.count - done)
                return position.map { pwrite(fd, start, left, off_t($0 + done)) } ?? Glibc.write(fd, start, left)
            }
            if r < 0 {
                if errno == EINTR { continue }
                throw SnapshotError.file("write", path, errno: errno, writing: true)
            }
            done += r
        }
    }

    /// Flushes the file to disk and renames it over ``path``.
    func commit() throws(SnapshotError) {
        guard fsync(fd) == 0 else { throw SnapshotError.file("fsync", path, errno: errno, writing: true) }
        close(fd)
        fd = -1
        guard rename(temporary, path) == 0 else {
            let e = errno
            unlink(temporary)
            throw SnapshotError.file("rename a file to", path, errno: e, writing: true)
        }
    }

    /// Closes and removes the temporary file, unless committed.
    func discard() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
        unlink(temporary)
    }
}

/// The 1 MiB, page-aligned buffer every read of `/proc/PID/pagemap` and `/proc/PID/mem` goes
/// through, shared by the readers of one estimate.
final class ProcReadBuffer {
    static let bytes = 1 << 20
    let base = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 4096)
    deinit { base.deallocate() }
}

/// One captured process: its pid and command, and every VMA smaps showed, in address order.
public struct ProcessSnapshot: Hashable, Sendable {
    /// The pid it had when captured.
    public var pid: Int32
    /// `/proc/PID/comm`, or empty.
    public var command: String
    /// Its VMAs in ascending address order (clipped to the capture's range, if it had one).
    public var vmas: [SnapshotVMA]

    /// A captured process.
    public init(pid: Int32, command: String, vmas: [SnapshotVMA]) {
        self.pid = pid
        self.command = command
        self.vmas = vmas
    }

    /// Pages recorded as present, of every VMA.
    /// - Complexity: O(page records).
    public var presentPages: Int {
        vmas.reduce(0) { $0 + $1.pages.lazy.filter { $0.flags.contains(.present) }.count }
    }
}

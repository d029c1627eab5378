/// A sweep that cannot run or be read: a bad `--set`, `--shard` or grid, or slices that do not
/// join. Printed as one line.
public struct SweepError: Error, CustomStringConvertible, Sendable, Hashable {
    /// What is wrong.
    public var message: String
    /// An error saying `message`.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}

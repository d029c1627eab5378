/// A problem with a scenario: malformed input, or a step that failed unexpectedly.
///
/// Printed as one line naming the step (index and op) and the reason, with the kernel's errno name
/// where the kernel has one.
public struct ScenarioError: Error, CustomStringConvertible, Sendable {
    /// The step's index in `"steps"`, if the problem is in a step.
    public var step: Int?
    /// The step's op, if known.
    public var op: String?
    /// The reason.
    public var message: String
    /// The errno, when the kernel (or the model of it) returned one.
    public var errno: Errno?

    public init(step: Int? = nil, op: String? = nil, _ message: String, errno: Errno? = nil) {
        self.step = step
        self.op = op
        self.message = message
        self.errno = errno
    }

    public var description: String {
        var where_ = ""
        if let step { where_ = "step \(step)" + (op.map { " (\($0))" } ?? "") + ": " }
        return where_ + message
    }
}

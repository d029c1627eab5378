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

    /// Creates an error; `message` is the reason without the step, which ``description`` prefixes.
    public init(step: Int? = nil, op: String? = nil, _ message: String, errno: Errno? = nil) {
        self.step = step
        self.op = op
        self.message = message
        self.errno = errno
    }

    /// One line: control characters a scenario may carry in names (a JSON "\n") are escaped.
    public var description: String {
        var where_ = ""
        if let step { where_ = "step \(step)" + (op.map { " (\($0))" } ?? "") + ": " }
        var out = ""
        for u in (where_ + message).unicodeScalars {
            if u.value < 0x20 || u.value == 0x7F || u == "\u{2028}" || u == "\u{2029}" || u == "\u{85}" {
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            } else {
                out.unicodeScalars.append(u)
            }
        }
        return out
    }
}

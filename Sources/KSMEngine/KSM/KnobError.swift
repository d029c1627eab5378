/// A KSM knob write refused as the kernel refuses it: names the knob, the value and what the knob
/// accepts.
///
/// Printed as one line, e.g. `KSM knob max_page_sharing = 1 refused with EINVAL (allowed:
/// 2...2147483647)`, or for a misspelt name `unknown KSM knob "pages_to_scna" (known: run,
/// pages_to_scan, ...)`.
public struct KnobError: Error, CustomStringConvertible, Sendable, Hashable {
    /// The knob's sysfs name (for an unknown knob, the name as given).
    public var knob: String
    /// The value, as it would be written to the sysfs file.
    public var value: String
    /// What the knob accepts: a range such as `"0...2"`, the words it takes, a condition (EBUSY),
    /// or for an unknown knob the names that exist.
    public var allowed: String
    /// The errno the kernel's store function returns: ``Errno/EINVAL`` (a value out of range, or
    /// `pages_to_scan` while the advisor runs), ``Errno/EBUSY`` (`max_page_sharing` or
    /// `merge_across_nodes` while KSM pages exist), ``Errno/ENOENT`` (no such knob).
    public var errno: Errno

    /// An error for a write of `value` to `knob`.
    public init(knob: String, value: String, allowed: String, errno: Errno) {
        self.knob = knob
        self.value = value
        self.allowed = allowed
        self.errno = errno
    }

    /// One line naming the knob, the value, the errno and what is allowed.
    public var description: String {
        if errno == .ENOENT { return "unknown KSM knob \"\(knob)\" (known: \(allowed))" }
        return "KSM knob \(knob) = \(value) refused with \(errno.name) (allowed: \(allowed))"
    }
}

/// Page protection as passed to mmap and mprotect (`PROT_READ`, `PROT_WRITE`, `PROT_EXEC`).
public struct Protection: OptionSet, Hashable, Sendable, CustomStringConvertible {
    /// The `PROT_*` bits.
    public let rawValue: Int32
    /// Creates a protection from `PROT_*` bits.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// `PROT_READ`.
    public static let read = Protection(rawValue: 1)
    /// `PROT_WRITE`.
    public static let write = Protection(rawValue: 2)
    /// `PROT_EXEC`.
    public static let exec = Protection(rawValue: 4)
    /// `PROT_NONE`.
    public static let none: Protection = []
    /// `PROT_READ | PROT_WRITE`, the usual protection of data.
    public static let readWrite: Protection = [.read, .write]

    /// Parses the scenario spelling: any of the letters r, w, x once each, or `"none"`.
    public init?(_ text: String) {
        if text == "none" {
            self = []
            return
        }
        var p: Protection = []
        for c in text {
            let bit: Protection
            switch c {
            case "r": bit = .read
            case "w": bit = .write
            case "x": bit = .exec
            default: return nil
            }
            if p.contains(bit) { return nil }
            p.insert(bit)
        }
        if p.isEmpty { return nil }
        self = p
    }

    /// The `VM_READ | VM_WRITE | VM_EXEC` bits for this protection (`calc_vm_prot_bits()`).
    public var vmFlags: VMFlags {
        var f: VMFlags = []
        if contains(.read) { f.insert(.read) }
        if contains(.write) { f.insert(.write) }
        if contains(.exec) { f.insert(.exec) }
        return f
    }

    /// The scenario spelling: `"rw"`, `"rx"`, `"none"`, ...
    public var description: String {
        if isEmpty { return "none" }
        return (contains(.read) ? "r" : "") + (contains(.write) ? "w" : "") + (contains(.exec) ? "x" : "")
    }
}

/// One VMA of a live process as `/proc/PID/smaps` shows it: host addresses, name, `VmFlags:`
/// mnemonics and the resident and swapped sizes.
///
/// The estimate judges eligibility from these fields alone, the way `ksm_compatible()` judges the
/// kernel's `vm_area_struct`.
public struct LiveVMA: Hashable, Sendable {
    /// The first byte's address.
    public var start: UInt64
    /// The address just past the last byte.
    public var end: UInt64
    /// The pathname column: a file, `[heap]`, `[stack]`, `[anon:NAME]`, or empty.
    public var name: String
    /// The `VmFlags:` mnemonics as printed, unknown ones included.
    public var mnemonics: [String]
    /// `Rss:` in kB.
    public var residentKB: Int
    /// `Swap:` in kB.
    public var swapKB: Int

    /// A VMA from its smaps fields.
    public init(start: UInt64, end: UInt64, name: String, mnemonics: [String], residentKB: Int = 0, swapKB: Int = 0) {
        self.start = start
        self.end = end
        self.name = name
        self.mnemonics = mnemonics
        self.residentKB = residentKB
        self.swapKB = swapKB
    }

    /// Pages in the VMA (0 when `end` is not above `start`).
    public var pages: Int { end > start ? Int((end - start) / 4096) : 0 }

    /// The flags whose mnemonics this model knows (``VMFlags/init(mnemonic:)``); others are ignored.
    public var flags: VMFlags {
        mnemonics.reduce(into: VMFlags()) { f, m in if let bit = VMFlags(mnemonic: m) { f.insert(bit) } }
    }

    /// Whether the name is a file path (`/usr/lib/...`, `/memfd:x (deleted)`, `/dev/zero`).
    public var isFileBacked: Bool { name.hasPrefix("/") }

    /// The backing the rules are asked about: a file for a path, anonymous memory otherwise. DAX
    /// cannot be told from smaps, so no VMA counts as DAX.
    public var backing: Backing { isFileBacked ? .file(.mmapPrepare) : .anonymous }

    /// The vsyscall page (or another gate area above user space): shown by smaps, but not a VMA of
    /// the mm, so `PR_SET_MEMORY_MERGE` never reaches it.
    public var isGateArea: Bool { name == "[vsyscall]" || start >= 1 << 63 }

    /// Why `rules` keep this VMA from becoming `VM_MERGEABLE`: the kernel's name of the first
    /// excluded flag in the kernel's bit order (`"VM_SHARED"`, `"VM_PFNMAP"`, ...), `"DAX"`, or
    /// `nil` when the VMA is eligible (`ksm_compatible()`).
    public func exclusionReason(under rules: EligibilityRules) -> String? {
        let f = flags
        if rules.isCompatible(flags: f, backing: backing) { return nil }
        let excluded = f.intersection(rules.excludedFlags)
        if let first = VMFlags.kernelNames.first(where: { excluded.contains($0.0) }) { return first.1 }
        return "DAX"
    }

    /// The part of the VMA inside `range`, or `nil` if none is.
    func clipped(to range: Range<UInt64>?) -> LiveVMA? {
        guard let range else { return self }
        // Whole pages: the range's first and last pages count whole.
        let low = range.lowerBound & ~4095
        let high = range.upperBound % 4096 == 0 ? range.upperBound : (range.upperBound & ~4095) &+ 4096
        let s = max(start, low)
        let e = high == 0 ? end : min(end, high)
        guard s < e else { return nil }
        var v = self
        v.start = s
        v.end = e
        return v
    }

    /// Parses `/proc/PID/smaps`: a VMA per header line, with its `Rss:`, `Swap:` and `VmFlags:`.
    /// - Complexity: O(text length).
    public static func parseSmaps(_ text: String) -> [LiveVMA] {
        var result: [LiveVMA] = []
        func kilobytes(_ line: Substring) -> Int {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            return fields.count >= 2 ? Int(fields[1]) ?? 0 : 0
        }
        for line in text.split(separator: "\n") {
            if line.hasPrefix("VmFlags:") {
                guard !result.isEmpty else { continue }
                result[result.count - 1].mnemonics = line.dropFirst("VmFlags:".count).split(separator: " ").map(String.init)
            } else if line.hasPrefix("Rss:") {
                if !result.isEmpty { result[result.count - 1].residentKB = kilobytes(line) }
            } else if line.hasPrefix("Swap:") {
                if !result.isEmpty { result[result.count - 1].swapKB = kilobytes(line) }
            } else if let h = ProcFiles.header(line) {
                // Field lines ("Size:  4 kB") are not "hex-hex perms offset dev inode".
                result.append(LiveVMA(start: h.start, end: h.end, name: h.name, mnemonics: []))
            }
        }
        return result
    }
}

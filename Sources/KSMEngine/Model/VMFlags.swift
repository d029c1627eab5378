/// The flags of a virtual memory area, with the kernel's bit values (`include/linux/mm.h`, x86_64).
///
/// The same set the kernel keeps in `vm_area_struct.vm_flags`; `mnemonics` prints them the way
/// `/proc/PID/smaps` does on its `VmFlags:` line.
public struct VMFlags: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }

    public static let read = VMFlags(rawValue: 0x0000_0001)
    public static let write = VMFlags(rawValue: 0x0000_0002)
    public static let exec = VMFlags(rawValue: 0x0000_0004)
    public static let shared = VMFlags(rawValue: 0x0000_0008)
    public static let mayRead = VMFlags(rawValue: 0x0000_0010)
    public static let mayWrite = VMFlags(rawValue: 0x0000_0020)
    public static let mayExec = VMFlags(rawValue: 0x0000_0040)
    public static let mayShare = VMFlags(rawValue: 0x0000_0080)
    public static let growsDown = VMFlags(rawValue: 0x0000_0100)
    public static let pfnMap = VMFlags(rawValue: 0x0000_0400)
    public static let locked = VMFlags(rawValue: 0x0000_2000)
    public static let io = VMFlags(rawValue: 0x0000_4000)
    public static let dontCopy = VMFlags(rawValue: 0x0002_0000)
    public static let dontExpand = VMFlags(rawValue: 0x0004_0000)
    public static let account = VMFlags(rawValue: 0x0010_0000)
    public static let noReserve = VMFlags(rawValue: 0x0020_0000)
    public static let hugeTLB = VMFlags(rawValue: 0x0040_0000)
    public static let wipeOnFork = VMFlags(rawValue: 0x0200_0000)
    public static let dontDump = VMFlags(rawValue: 0x0400_0000)
    public static let softDirty = VMFlags(rawValue: 0x0800_0000)
    public static let mixedMap = VMFlags(rawValue: 0x1000_0000)
    public static let hugePage = VMFlags(rawValue: 0x2000_0000)
    public static let noHugePage = VMFlags(rawValue: 0x4000_0000)
    public static let mergeable = VMFlags(rawValue: 0x8000_0000)
    /// `VM_DROPPABLE` (a high flag on 64-bit kernels).
    public static let droppable = VMFlags(rawValue: 1 << 40)

    /// `VM_SPECIAL`: mappings whose pages the core mm does not manage; they never merge.
    public static let special: VMFlags = [.io, .dontExpand, .pfnMap, .mixedMap]
    /// `VM_ACCESS_FLAGS`.
    public static let access: VMFlags = [.read, .write, .exec]

    /// The smaps mnemonics in the kernel's order (`show_smap_vma_flags()` in fs/proc/task_mmu.c).
    static let table: [(VMFlags, String)] = [
        (.read, "rd"), (.write, "wr"), (.exec, "ex"), (.shared, "sh"), (.mayRead, "mr"),
        (.mayWrite, "mw"), (.mayExec, "me"), (.mayShare, "ms"), (.growsDown, "gd"), (.pfnMap, "pf"),
        (.locked, "lo"), (.io, "io"), (.dontCopy, "dc"), (.dontExpand, "de"), (.account, "ac"),
        (.noReserve, "nr"), (.hugeTLB, "ht"), (.wipeOnFork, "wf"), (.dontDump, "dd"),
        (.softDirty, "sd"), (.mixedMap, "mm"), (.hugePage, "hg"), (.noHugePage, "nh"),
        (.mergeable, "mg"), (.droppable, "dp"),
    ]

    /// The kernel's names (`VM_READ`, ...), in the order of ``table``.
    static let kernelNames: [(VMFlags, String)] = [
        (.read, "VM_READ"), (.write, "VM_WRITE"), (.exec, "VM_EXEC"), (.shared, "VM_SHARED"),
        (.mayRead, "VM_MAYREAD"), (.mayWrite, "VM_MAYWRITE"), (.mayExec, "VM_MAYEXEC"),
        (.mayShare, "VM_MAYSHARE"), (.growsDown, "VM_GROWSDOWN"), (.pfnMap, "VM_PFNMAP"),
        (.locked, "VM_LOCKED"), (.io, "VM_IO"), (.dontCopy, "VM_DONTCOPY"), (.dontExpand, "VM_DONTEXPAND"),
        (.account, "VM_ACCOUNT"), (.noReserve, "VM_NORESERVE"), (.hugeTLB, "VM_HUGETLB"),
        (.wipeOnFork, "VM_WIPEONFORK"), (.dontDump, "VM_DONTDUMP"), (.softDirty, "VM_SOFTDIRTY"),
        (.mixedMap, "VM_MIXEDMAP"), (.hugePage, "VM_HUGEPAGE"), (.noHugePage, "VM_NOHUGEPAGE"),
        (.mergeable, "VM_MERGEABLE"), (.droppable, "VM_DROPPABLE"),
    ]

    /// Parses a flag by its smaps mnemonic (`"pf"`) or kernel name (`"VM_PFNMAP"`, `"PFNMAP"`,
    /// `"pfnmap"`).
    public init?(name: String) {
        if let f = VMFlags(mnemonic: name) {
            self = f
            return
        }
        let upper = name.uppercased()
        let full = upper.hasPrefix("VM_") ? upper : "VM_" + upper
        guard let entry = Self.kernelNames.first(where: { $0.1 == full }) else { return nil }
        self = entry.0
    }

    /// The flags as smaps prints them, e.g. `["rd", "wr", "mr", "mw", "me", "ac", "mg"]`.
    public var mnemonics: [String] { Self.table.compactMap { contains($0.0) ? $0.1 : nil } }

    /// Parses one smaps mnemonic (`"rd"`, `"pf"`, ...); `nil` for one this model does not know.
    public init?(mnemonic: String) {
        guard let entry = Self.table.first(where: { $0.1 == mnemonic }) else { return nil }
        self = entry.0
    }

    public var description: String { mnemonics.joined(separator: " ") }
}

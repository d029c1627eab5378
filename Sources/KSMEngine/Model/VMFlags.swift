/// The flags of a virtual memory area, with the kernel's bit values (`include/linux/mm.h`, x86_64).
///
/// The same set the kernel keeps in `vm_area_struct.vm_flags`; `mnemonics` prints them the way
/// `/proc/PID/smaps` does on its `VmFlags:` line.
public struct VMFlags: OptionSet, Hashable, Sendable, CustomStringConvertible {
    /// The `VM_*` bits, as in `vm_area_struct.vm_flags`.
    public let rawValue: UInt64
    /// Creates flags from the kernel's `VM_*` bits.
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// `VM_READ` (smaps `rd`).
    public static let read = VMFlags(rawValue: 0x0000_0001)
    /// `VM_WRITE` (smaps `wr`).
    public static let write = VMFlags(rawValue: 0x0000_0002)
    /// `VM_EXEC` (smaps `ex`).
    public static let exec = VMFlags(rawValue: 0x0000_0004)
    /// `VM_SHARED` (smaps `sh`): a `MAP_SHARED` mapping that may be written; never KSM-compatible.
    public static let shared = VMFlags(rawValue: 0x0000_0008)
    /// `VM_MAYREAD` (smaps `mr`): `mprotect` may add `PROT_READ`.
    public static let mayRead = VMFlags(rawValue: 0x0000_0010)
    /// `VM_MAYWRITE` (smaps `mw`): `mprotect` may add `PROT_WRITE`.
    public static let mayWrite = VMFlags(rawValue: 0x0000_0020)
    /// `VM_MAYEXEC` (smaps `me`): `mprotect` may add `PROT_EXEC`.
    public static let mayExec = VMFlags(rawValue: 0x0000_0040)
    /// `VM_MAYSHARE` (smaps `ms`): a `MAP_SHARED` mapping; never KSM-compatible.
    public static let mayShare = VMFlags(rawValue: 0x0000_0080)
    /// `VM_GROWSDOWN` (smaps `gd`): a stack that grows downwards.
    public static let growsDown = VMFlags(rawValue: 0x0000_0100)
    /// `VM_PFNMAP` (smaps `pf`): raw page frames without `struct page` (device memory); part of
    /// `VM_SPECIAL`.
    public static let pfnMap = VMFlags(rawValue: 0x0000_0400)
    /// `VM_LOCKED` (smaps `lo`): `mlock`ed pages.
    public static let locked = VMFlags(rawValue: 0x0000_2000)
    /// `VM_IO` (smaps `io`): memory-mapped I/O; part of `VM_SPECIAL`.
    public static let io = VMFlags(rawValue: 0x0000_4000)
    /// `VM_DONTCOPY` (smaps `dc`): not inherited across fork (`MADV_DONTFORK`).
    public static let dontCopy = VMFlags(rawValue: 0x0002_0000)
    /// `VM_DONTEXPAND` (smaps `de`): cannot be grown by `mremap`; part of `VM_SPECIAL`.
    public static let dontExpand = VMFlags(rawValue: 0x0004_0000)
    /// `VM_ACCOUNT` (smaps `ac`): charged to the commit limit (private writable mappings).
    public static let account = VMFlags(rawValue: 0x0010_0000)
    /// `VM_NORESERVE` (smaps `nr`): `MAP_NORESERVE`, not charged to the commit limit.
    public static let noReserve = VMFlags(rawValue: 0x0020_0000)
    /// `VM_HUGETLB` (smaps `ht`): hugetlbfs memory; never KSM-compatible.
    public static let hugeTLB = VMFlags(rawValue: 0x0040_0000)
    /// `VM_WIPEONFORK` (smaps `wf`): the child gets zero pages (`MADV_WIPEONFORK`).
    public static let wipeOnFork = VMFlags(rawValue: 0x0200_0000)
    /// `VM_DONTDUMP` (smaps `dd`): left out of core dumps.
    public static let dontDump = VMFlags(rawValue: 0x0400_0000)
    /// `VM_SOFTDIRTY` (smaps `sd`): soft-dirty tracking's marker on new VMAs.
    public static let softDirty = VMFlags(rawValue: 0x0800_0000)
    /// `VM_MIXEDMAP` (smaps `mm`): a mix of page frames with and without `struct page`; part of
    /// `VM_SPECIAL`.
    public static let mixedMap = VMFlags(rawValue: 0x1000_0000)
    /// `VM_HUGEPAGE` (smaps `hg`): `MADV_HUGEPAGE`.
    public static let hugePage = VMFlags(rawValue: 0x2000_0000)
    /// `VM_NOHUGEPAGE` (smaps `nh`): `MADV_NOHUGEPAGE`.
    public static let noHugePage = VMFlags(rawValue: 0x4000_0000)
    /// `VM_MERGEABLE` (smaps `mg`): ksmd scans this VMA (`MADV_MERGEABLE` or `PR_SET_MEMORY_MERGE`).
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

    /// The smaps `VmFlags:` line's text: ``mnemonics`` joined by spaces.
    public var description: String { mnemonics.joined(separator: " ") }
}

import ArgumentParser
import KSMEngine

/// `--memory-budget-mib`, as every simulating command takes it: the most memory the simulation may
/// take, all in (``MemoryBudget/bytesPerPage(_:)`` a page), refused at once above this machine's
/// physical memory.
struct MemoryBudgetOption: ParsableArguments {
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "The most memory the simulation may take, in MiB (default: three quarters of the memory available when it starts).",
            discussion:
                "Each simulated page counts its contents (4 KiB, or 8 bytes with --content ids) and 256 bytes of bookkeeping; a budget above this machine's physical memory is refused."
        ))
    var memoryBudgetMib: Int?

    func validate() throws {
        guard let m = memoryBudgetMib else { return }
        try requireOption("--memory-budget-mib", m, in: 1...(1 << 40))
        do { try MemoryBudget.check(bytes: m << 20) } catch { throw ValidationError("--memory-budget-mib: \(error)") }
    }

    /// The budget in bytes, or the default divided among `share` simulations running at once.
    func bytes(share: Int = 1) -> Int { memoryBudgetMib.map { $0 << 20 } ?? MemoryBudget.defaultBytes / max(share, 1) }

    /// The simulated pages the budget holds in `content` mode.
    func pages(content: PageContentMode = .bytes, share: Int = 1) -> Int {
        MemoryBudget.pages(forBytes: bytes(share: share), content: content)
    }
}

// ksmtuned on the simulated clock: the memory the script reads (/proc/meminfo, `ps -o rsz`), and
// its monitor loop, woken by `runFor(seconds:firstEvent:event:)`.

extension SimulatedKernel {
    // MARK: The memory ksmtuned reads

    /// Pages the page caches hold (file and shmem objects' pages): `/proc/meminfo`'s `Cached`.
    /// - Complexity: O(objects).
    public var pageCachePages: Int { objects.reduce(0) { $0 + $1.pages.count } }

    /// A process's resident pages, as `ps -o rsz` counts them: every page present in its page
    /// table, a KSM page once in each process that maps it; a KSM zero page not at all
    /// (`replace_page()` takes it out of `MM_ANONPAGES`). The simulator keeps the pages of shared
    /// mappings in their object (the page cache) rather than in the page table, so they are not
    /// counted here (the kernel counts the mapped ones in `MM_SHMEMPAGES`/`MM_FILEPAGES`).
    /// - Throws: ``Errno/ESRCH`` when `pid` was never spawned or has exited.
    /// - Complexity: O(pages present in the process's VMAs).
    public func residentSetPages(_ pid: ProcessID) throws(Errno) -> Int { residentSetPages(of: try mm(pid)) }

    func residentSetPages(of mm: MM) -> Int {
        var n = 0
        for v in mm.vmas {
            mm.pageTable.forEachPresent(in: v.range) { _, h in if h != Self.ksmZeroPTE { n += 1 } }
        }
        return n
    }

    /// ksmtuned's `free_memory()` on a host of `memTotalKiB` KiB: `MemFree + Buffers + Cached`,
    /// where the simulated `MemFree` is `MemTotal` less every page the simulator holds
    /// (``residentPages``: process pages, page caches, each KSM page once; never below 0), `Buffers`
    /// is 0, and `Cached` the page caches (``pageCachePages``).
    /// - Complexity: O(objects).
    public func ksmtunedFreeKiB(memTotalKiB: Int) -> Int {
        let kib = PageStore.pageSize / 1024
        return max(0, memTotalKiB - residentPages * kib) + pageCachePages * kib
    }

    /// ksmtuned's `committed_memory()`: the summed `ps -o rsz` of the guests, in KiB. The script
    /// sums the QEMU processes (`pgrep -f '^qemu-system.*-enable-kvm'`); here every live process
    /// is a guest (``residentSetPages(_:)``).
    /// - Complexity: O(pages present in every process).
    public var ksmtunedCommittedKiB: Int {
        processes.values.reduce(0) { $0 + residentSetPages(of: $1) } * (PageStore.pageSize / 1024)
    }

    // MARK: The monitor loop

    /// ksmtuned as it runs now (`nil`: not running): its configuration, `npages`, and its counts of
    /// stops, boosts and decays.
    public var ksmtuned: KSMTuned? { tuned }

    /// ksmtuned's last adjustment, with the writes the kernel refused (`nil`: none yet since it
    /// started).
    public var ksmtunedLastDecision: KSMTuned.Decision? { tunedLast }

    /// When ksmtuned next adjusts, in simulated nanoseconds (`nil`: not running).
    public var ksmtunedNextAdjustmentNanos: Int? { tuned == nil ? nil : tunedNextNanos }

    /// Starts ksmtuned (`systemctl start ksmtuned`): it computes `sleep` and `thres` from
    /// `config.memTotalKiB` and, during ``runFor(seconds:firstEvent:event:)``, adjusts the knobs
    /// every `monitorInterval` simulated seconds, the first time one interval from now (the
    /// script's loop sleeps first, line 128). A running ksmtuned is restarted: `npages` is 0 again.
    /// `runKSMD(fullScans:)` (the `scan` step) runs ksmd without it.
    /// - Throws: ``ScenarioError`` when a setting is out of ``KSMTuned/Config/ranges``; nothing
    ///   changes then.
    public func startKSMTuned(_ config: KSMTuned.Config) throws(ScenarioError) {
        tuned = try KSMTuned(config)
        tunedLast = nil
        tunedNextNanos = Self.saturatingAdd(ksm.clockNanos, Self.saturatingMultiply(config.monitorInterval, 1_000_000_000))
    }

    /// Stops ksmtuned (`systemctl stop ksmtuned`): the knobs stay as it last wrote them.
    public func stopKSMTuned() {
        tuned = nil
        tunedNextNanos = .max
    }

    /// One pass of the script's loop at the current simulated time: `adjust()` on the simulated
    /// memory, its writes through ``setKSMKnob(_:_:)`` one by one (a refused write is recorded and
    /// the next one made, as the script's `echo` fails and goes on), then the next sleep.
    func ksmtunedWake() {
        guard var t = tuned else { return }
        var d = t.adjust(
            freeKiB: ksmtunedFreeKiB(memTotalKiB: t.config.memTotalKiB), committedKiB: ksmtunedCommittedKiB)
        for w in d.writes {
            do { try setKSMKnob(w.name, w.value) } catch { d.refused.append(error) }
        }
        tuned = t
        tunedLast = d
        tunedNextNanos = Self.saturatingAdd(
            ksm.clockNanos, Self.saturatingMultiply(t.config.monitorInterval, 1_000_000_000))
    }
}

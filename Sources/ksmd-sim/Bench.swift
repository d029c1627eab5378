import ArgumentParser
import KSMEngine

#if canImport(Glibc)
    import Glibc
#endif

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure scan throughput: one mergeable process, full scans with smart_scan off.",
        discussion: """
            Prints pages per second for the first scan (checksums only), the merge scan and a steady scan, \
            a bare XXH3-64 pass over the same pages, metadata per page and peak RSS. With --kernel, the host \
            kernel's ksmd runs the same workload (root; every knob is restored afterwards) and the two are \
            printed side by side with simulator/kernel ratios. With --threads T above 1, pages are hashed by T \
            threads and a single-threaded run of the same workload is measured too, for the speedup and to show \
            that the counters are identical. With --content ids, pages hold content ids instead of bytes             (no bare XXH3-64 pass, no --kernel). docs/performance.md tells how each number is taken.
            """)

    @Option(
        parsing: .unconditional,
        help:
            "Pages in the process (up to 268435456, 1 TiB; the memory budget says what fits: about 4.3 KiB a page, 128 bytes with --content ids)."
    )
    var pages: Int = 262_144

    @Option(parsing: .unconditional, help: "Fraction of pages that duplicate others (0 to 1).")
    var duplicateRatio: Double = 0.5

    @Option(parsing: .unconditional, help: "Threads hashing pages during scans (the counters do not depend on it).")
    var threads: Int = 1

    @Flag(help: "Also measure this machine's ksmd on the same workload (root), with simulator/kernel ratios.")
    var kernel = false

    @Option(
        parsing: .unconditional,
        help:
            "With --kernel: microseconds to sleep between two reads of full_scans (0: spin, which starves ksmd on a small machine)."
    )
    var pollSleepUs: Int = 100

    @Option(name: .customLong("repeat"), parsing: .unconditional, help: "Runs of every measurement; medians are reported.")
    var runs: Int = 1

    @Flag(help: "Print JSON.")
    var json = false

    @Option(help: "Also write the JSON to this file (the table still goes to stdout).")
    var jsonFile: String?

    @OptionGroup var memoryBudget: MemoryBudgetOption

    @OptionGroup var content: ContentOption

    func validate() throws {
        // The process's address window (1 TiB); what fits in memory is the budget's to say (run()).
        try requireOption("--pages", pages, in: 1...SimulatedKernel.windowPages)
        guard duplicateRatio >= 0 && duplicateRatio < 1 else {
            throw ValidationError("--duplicate-ratio must be at least 0 and below 1, got \(duplicateRatio)")
        }
        try requireOption("--threads", threads, in: 1...256)
        try requireOption("--repeat", runs, in: 1...1000)
        try requireOption("--poll-sleep-us", pollSleepUs, in: 0...1_000_000)
        if kernel && content.content == .ids {
            throw ValidationError("--kernel measures pages of bytes: it goes with --content bytes")
        }
    }

    func run() throws {
        // Before anything is allocated: the workload must fit the budget.
        let mode = content.content
        let need = MemoryBudget.bytes(forPages: pages, content: mode)
        if need > memoryBudget.bytes() {
            let contents = pages * (mode == .ids ? MemoryLayout<UInt64>.size : PageStore.pageSize)
            let asIDs = MemoryBudget.bytes(forPages: pages, content: .ids)
            let suggestion =
                mode == .bytes && asIDs <= memoryBudget.bytes()
                ? "; with --content ids they would need \(MemoryBudget.readable(asIDs))" : ""
            printError(
                "bench: \(pages) pages need about \(MemoryBudget.readable(need)) (\(MemoryBudget.readable(contents)) "
                    + "of page contents, \(MemoryBudget.readable(need - contents)) of bookkeeping), more than the "
                    + "memory budget of \(MemoryBudget.readable(memoryBudget.bytes())) (--memory-budget-mib; by default three "
                    + "quarters of the memory available)\(suggestion)")
            throw Exit.dataError  // as run ends on ENOMEM
        }
        if kernel {
            do {
                try HostKernelBenchmark.checkHost()
            } catch {
                printError("bench --kernel: \(error)")
                throw geteuid() == 0 ? Exit.dataError : Exit.noPermission
            }
            printError(
                "bench --kernel: this run writes run=2 to /sys/kernel/mm/ksm, which unmerges every KSM page of every "
                    + "process on this host (running VMs included); the knobs are restored at the end")
        }
        var simulator: [ScanBenchmark.Result] = []
        var singleThread: [ScanBenchmark.Result] = []
        var bare: [BareHashBenchmark.Result] = []
        var bareThreaded: [BareHashBenchmark.Result] = []
        var host: [HostKernelBenchmark.Result] = []
        let progress = ProgressBar()
        for i in 0..<runs {
            progress.update(i, runs, "runs")
            BenchStatistics.resetPeakResident()  // each run's peak RSS is its own
            do {
                // The simulated kernel gets the budget checked above (--memory-budget-mib), not its default.
                var benchmark = ScanBenchmark(pages: pages, duplicateRatio: duplicateRatio, threads: threads, content: mode)
                benchmark.memoryBudgetPages = MemoryBudget.pages(forBytes: memoryBudget.bytes(), content: mode)
                simulator.append(try benchmark.run())
                if threads > 1 {
                    benchmark.threads = 1
                    singleThread.append(try benchmark.run())
                }
            } catch {
                progress.finish()
                printError("bench: \(error)")
                throw Exit.dataError
            }
            // The bare pass hashes 4 KiB pages: none to hash with content ids.
            if content.content == .ids { continue }
            bare.append(try BareHashBenchmark(pages: pages, duplicateRatio: duplicateRatio).run())
            if threads > 1 {
                bareThreaded.append(try BareHashBenchmark(pages: pages, duplicateRatio: duplicateRatio, threads: threads).run())
            }
            if kernel {
                do {
                    var b = HostKernelBenchmark(pages: pages, duplicateRatio: duplicateRatio)
                    b.pollSleepMicroseconds = pollSleepUs
                    host.append(try b.run())
                } catch {
                    progress.finish()
                    printError("bench --kernel: \(error)")
                    throw Exit.dataError
                }
            }
        }
        progress.finish()
        let sim = try ScanBenchmark.Result.median(of: simulator)
        let single = singleThread.isEmpty ? nil : try ScanBenchmark.Result.median(of: singleThread)
        let hash = bare.isEmpty ? nil : try BareHashBenchmark.Result.median(of: bare)
        let hashThreaded = bareThreaded.isEmpty ? nil : try BareHashBenchmark.Result.median(of: bareThreaded)
        let k = host.isEmpty ? nil : try HostKernelBenchmark.Result.median(of: host)
        let document = jsonReport(sim, single, hash, hashThreaded, k).serialized(pretty: true)
        if json {
            print(document)
        } else {
            printText(sim, single, hash, hashThreaded, k)
        }
        if let jsonFile { try writeFile(jsonFile, document + "\n") }
        let kernelAsExpected = k.map { $0.countersMatch && $0.contentsMatch } ?? true
        let threadsAgree = single.map { $0.countersMatch && $0.counters == sim.counters } ?? true
        if !sim.countersMatch || !kernelAsExpected || !threadsAgree { throw ExitCode(1) }
    }

    /// Simulator / kernel for each scan, by the kernel's wall-clock time or (`cpu`) by ksmd's own
    /// CPU time.
    private func ratios(_ s: ScanBenchmark.Result, _ k: HostKernelBenchmark.Result, cpu: Bool = false) -> [(String, Double)] {
        func x(_ a: Double, _ b: Double) -> Double { b > 0 ? a / b : .nan }
        return [
            ("first_scan", x(s.firstScanPagesPerSecond, cpu ? k.firstScanCPUPagesPerSecond : k.firstScanPagesPerSecond)),
            ("merge_scan", x(s.mergeScanPagesPerSecond, cpu ? k.mergeScanCPUPagesPerSecond : k.mergeScanPagesPerSecond)),
            ("steady_scan", x(s.steadyScanPagesPerSecond, cpu ? k.steadyScanCPUPagesPerSecond : k.steadyScanPagesPerSecond)),
        ]
    }

    /// The simulator's fields as before, then the run count, the bare hash, and the kernel's.
    private func jsonReport(
        _ s: ScanBenchmark.Result, _ single: ScanBenchmark.Result?, _ h: BareHashBenchmark.Result?,
        _ ht: BareHashBenchmark.Result?,
        _ k: HostKernelBenchmark.Result?
    ) -> JSON {
        guard case .object(var members) = s.json else { return s.json }
        func r(_ v: Double, _ digits: Double) -> JSON { v.isFinite ? .double((v * digits).rounded() / digits) : .null }
        members.append(("runs", .int(runs)))
        if let single {
            members.append(("single_thread", single.json))
            members.append(
                ("threads_speedup", .object(speedups(s, single).map { ($0.0, r($0.1, 100)) })))
            members.append(("counters_identical_to_single_thread", .bool(single.counters == s.counters)))
        }
        if let ht, let h {
            members.append(("bare_xxh3_64_threads_pages_per_sec", r(ht.pagesPerSecond, 1)))
            members.append(("steady_scan_over_bare_xxh3_64_threads", r(s.steadyScanPagesPerSecond / ht.pagesPerSecond, 1000)))
            // True when the threaded bare pass ran slower than the one-thread pass: a noisy floor.
            members.append(("bare_xxh3_64_threads_below_one_thread", .bool(ht.pagesPerSecond < h.pagesPerSecond)))
        }
        if let h {
            members.append(("bare_xxh3_64_pages_per_sec", r(h.pagesPerSecond, 1)))
            members.append(("steady_scan_over_bare_xxh3_64", r(s.steadyScanPagesPerSecond / h.pagesPerSecond, 1000)))
        }
        if let k {
            members.append(("kernel", k.json))
            members.append(("simulator_over_kernel", .object(ratios(s, k).map { ($0.0, r($0.1, 100)) })))
            members.append(("simulator_over_kernel_cpu", .object(ratios(s, k, cpu: true).map { ($0.0, r($0.1, 100)) })))
        }
        return .object(members)
    }

    /// T threads / one thread for each scan.
    private func speedups(_ s: ScanBenchmark.Result, _ one: ScanBenchmark.Result) -> [(String, Double)] {
        [
            ("first_scan", s.firstScanPagesPerSecond / one.firstScanPagesPerSecond),
            ("merge_scan", s.mergeScanPagesPerSecond / one.mergeScanPagesPerSecond),
            ("steady_scan", s.steadyScanPagesPerSecond / one.steadyScanPagesPerSecond),
        ]
    }

    private func printText(
        _ s: ScanBenchmark.Result, _ single: ScanBenchmark.Result?, _ h: BareHashBenchmark.Result?,
        _ ht: BareHashBenchmark.Result?,
        _ k: HostKernelBenchmark.Result?
    ) {
        func m(_ v: Double) -> String { "\((v / 1e4).rounded() / 100)M pages/s" }
        func pad(_ t: String, _ n: Int) -> String { t.count >= n ? t + " " : t + String(repeating: " ", count: n - t.count) }
        print(
            "pages \(s.pages), duplicate ratio \(s.duplicateRatio), \(s.threads) thread\(s.threads == 1 ? "" : "s"), "
                + "content \(s.content.rawValue)"
                + (runs > 1 ? ", medians of \(runs) runs" : ""))
        let rows = [
            ("first scan", s.firstScanPagesPerSecond, k?.firstScanPagesPerSecond, k?.firstScanCPUPagesPerSecond),
            ("merge scan", s.mergeScanPagesPerSecond, k?.mergeScanPagesPerSecond, k?.mergeScanCPUPagesPerSecond),
            ("steady scan", s.steadyScanPagesPerSecond, k?.steadyScanPagesPerSecond, k?.steadyScanCPUPagesPerSecond),
        ]
        func x(_ a: Double, _ b: Double) -> String { b > 0 ? "\((a / b * 10).rounded() / 10)x" : "-" }
        if k != nil {
            print(
                pad("", 14) + pad("simulator", 17) + pad("kernel", 17) + pad("sim/kernel", 12) + pad("kernel on CPU", 17)
                    + "sim/kernel on CPU")
        }
        for (name, sv, kv, kc) in rows {
            var line = pad(name, 14)
            if let kv, let kc {
                line += pad(m(sv), 17) + pad(m(kv), 17) + pad(x(sv, kv), 12) + pad(m(kc), 17) + x(sv, kc)
            } else {
                line += m(sv)
            }
            print(line)
        }
        if let single {
            let x = speedups(s, single).map { "\(String($0.0.map { $0 == "_" ? " " : $0 })) \(($0.1 * 100).rounded() / 100)x" }
            print(
                pad("1 thread", 14) + "\(m(single.steadyScanPagesPerSecond)) steady; \(s.threads) threads: "
                    + x.joined(separator: ", "))
            print(
                pad("", 14) + "counters "
                    + (single.counters == s.counters
                        ? "identical to the single-threaded run's" : "DIFFER from the single-threaded run's"))
        }
        if let h {
            let share = (s.steadyScanPagesPerSecond / h.pagesPerSecond * 1000).rounded() / 10
            if let ht {
                let shareT = (s.steadyScanPagesPerSecond / ht.pagesPerSecond * 1000).rounded() / 10
                let one = single.map { ($0.steadyScanPagesPerSecond / h.pagesPerSecond * 1000).rounded() / 10 } ?? 0
                print(
                    pad("bare XXH3-64", 14)
                        + "\(m(h.pagesPerSecond)) on 1 thread (the 1-thread steady scan runs at \(one)% of it)")
                if ht.pagesPerSecond < h.pagesPerSecond {
                    // More threads hashing slower than one: the threaded floor was measured while the
                    // machine was busy, and a share of it means little.
                    print(
                        pad("", 14)
                            + "\(m(ht.pagesPerSecond)) on \(s.threads) threads: BELOW the 1-thread pass, so this floor is noisy "
                            + "(other load on the CPUs?); the \(s.threads)-thread steady scan's \(shareT)% of it says little")
                } else {
                    print(
                        pad("", 14)
                            + "\(m(ht.pagesPerSecond)) on \(s.threads) threads (the \(s.threads)-thread steady scan runs at \(shareT)% of it)"
                    )
                }
            } else {
                print(pad("bare XXH3-64", 14) + "\(m(h.pagesPerSecond)) (the steady scan runs at \(share)% of it)")
            }
        } else {
            print(pad("bare XXH3-64", 14) + "not measured: content ids have no bytes to hash")
        }
        print(pad("metadata", 14) + "\((s.metadataBytesPerPage * 10).rounded() / 10) bytes per page")
        print(pad("peak RSS", 14) + "\(s.peakResidentBytes / (1 << 20)) MiB")
        let simCounters =
            s.countersMatch ? "as the kernel reports them" : "DIFFER from the kernel's: \(s.counters) vs \(s.expectedCounters)"
        print(pad("counters", 14) + (k == nil ? simCounters : "simulator: " + simCounters))
        if let k {
            let kc =
                k.countersMatch
                ? "as expected (\(k.counters.fullScans) full scans)"
                : "DIFFER from the expected: \(k.counters) vs \(k.expectedCounters)"
            print(pad("", 14) + "kernel: " + kc + (k.contentsMatch ? "" : "; its pages DIFFER from the simulator's"))
            print(
                pad("kernel knobs", 14) + "pages_to_scan \(k.pagesToScan), sleep_millisecs \(k.sleepMillisecs), smart_scan 0; "
                    + "full_scans polled every \((k.pollSeconds * 1e7).rounded() / 10) us")
            let steady = k.passes.dropFirst(3)
            let waited = steady.map(\.runQueueSeconds).reduce(0, +) / max(steady.map(\.seconds).reduce(0, +), 1e-9)
            print(
                pad("ksmd", 14) + "waited for a CPU \((waited * 1000).rounded() / 10)% of the steady passes "
                    + "(\"on CPU\": pages per second of its own CPU time)")
            if !k.otherProcesses.isEmpty {
                print(
                    pad("WARNING", 14)
                        + "other processes were registered with KSM (\(k.otherProcesses.joined(separator: ", "))): "
                        + "ksmd scanned their pages too, so the kernel's numbers are not this workload's alone")
            }
        }
    }
}

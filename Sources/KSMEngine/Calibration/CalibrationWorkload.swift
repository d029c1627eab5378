/// One workload of `ksmd-sim calibrate`: one mergeable process of ``pages`` pages written with
/// ``ScanBenchmark``'s contents (a fraction ``duplicateRatio`` repeating the others, round robin),
/// scanned for ``passes`` full scans with the given knobs, on the host kernel and on the simulator.
public struct CalibrationWorkload: Sendable, Equatable {
    /// Pages of the workload, 4 KiB each.
    public var pages: Int
    /// The fraction of pages that repeat others' contents (0..<1).
    public var duplicateRatio: Double
    /// `pages_to_scan`.
    public var pagesToScan: Int
    /// `sleep_millisecs`.
    public var sleepMillisecs: Int
    /// `smart_scan`.
    public var smartScan: Bool
    /// Full scans to time.
    public var passes: Int

    /// A workload; see the properties.
    public init(pages: Int, duplicateRatio: Double, pagesToScan: Int, sleepMillisecs: Int, smartScan: Bool, passes: Int) {
        self.pages = pages
        self.duplicateRatio = duplicateRatio
        self.pagesToScan = pagesToScan
        self.sleepMillisecs = sleepMillisecs
        self.smartScan = smartScan
        self.passes = passes
    }

    /// A short name: `20000p dup0.5 pts2000 sleep20 smart`.
    public var name: String {
        "\(pages)p dup\(duplicateRatio) pts\(pagesToScan) sleep\(sleepMillisecs)" + (smartScan ? " smart" : "")
    }

    /// The workloads `calibrate` fits the model on: each pass isolates some paths (the first only
    /// takes checksums, the second merges pairs or groups, later ones are already merged or search
    /// the unstable tree again, with smart_scan they are skipped), across sizes, batch sizes and
    /// sleeps.
    public static let calibrationSet: [CalibrationWorkload] = [
        .init(pages: 20_000, duplicateRatio: 0, pagesToScan: 2_000, sleepMillisecs: 20, smartScan: false, passes: 5),
        .init(pages: 20_000, duplicateRatio: 0.5, pagesToScan: 2_000, sleepMillisecs: 20, smartScan: false, passes: 5),
        .init(pages: 60_000, duplicateRatio: 0.8, pagesToScan: 6_000, sleepMillisecs: 20, smartScan: false, passes: 5),
        .init(pages: 150_000, duplicateRatio: 0, pagesToScan: 15_000, sleepMillisecs: 10, smartScan: false, passes: 5),
        .init(pages: 50_000, duplicateRatio: 0, pagesToScan: 5_000, sleepMillisecs: 20, smartScan: true, passes: 9),
        .init(pages: 5_000, duplicateRatio: 0.5, pagesToScan: 100, sleepMillisecs: 20, smartScan: true, passes: 4),
        .init(pages: 5_000, duplicateRatio: 0.5, pagesToScan: 5_000, sleepMillisecs: 10, smartScan: false, passes: 8),
        .init(pages: 100_000, duplicateRatio: 0.9, pagesToScan: 10_000, sleepMillisecs: 50, smartScan: true, passes: 6),
        // Small batches, where the fixed cost of a batch is a large share of a pass.
        .init(pages: 3_000, duplicateRatio: 0, pagesToScan: 100, sleepMillisecs: 10, smartScan: false, passes: 4),
        .init(pages: 8_000, duplicateRatio: 0.75, pagesToScan: 200, sleepMillisecs: 20, smartScan: true, passes: 4),
    ]

    /// The workloads `calibrate --check` compares on: others than the calibration's, spanning the
    /// targets (5,000 to 200,000 pages, pages_to_scan 100 to 20,000, sleep_millisecs 10 to 100,
    /// smart_scan on and off, unique and duplicate mixes).
    public static let checkSet: [CalibrationWorkload] = [
        .init(pages: 5_000, duplicateRatio: 0, pagesToScan: 100, sleepMillisecs: 10, smartScan: true, passes: 5),
        .init(pages: 10_000, duplicateRatio: 0.5, pagesToScan: 100, sleepMillisecs: 20, smartScan: false, passes: 4),
        .init(pages: 100_000, duplicateRatio: 0.5, pagesToScan: 5_000, sleepMillisecs: 20, smartScan: true, passes: 5),
        .init(pages: 200_000, duplicateRatio: 0, pagesToScan: 20_000, sleepMillisecs: 10, smartScan: false, passes: 4),
        .init(pages: 200_000, duplicateRatio: 0.9, pagesToScan: 20_000, sleepMillisecs: 100, smartScan: true, passes: 5),
        .init(pages: 50_000, duplicateRatio: 0.75, pagesToScan: 1_000, sleepMillisecs: 50, smartScan: false, passes: 4),
        .init(pages: 20_000, duplicateRatio: 0.3, pagesToScan: 20_000, sleepMillisecs: 100, smartScan: true, passes: 5),
    ]

    /// The workload's knobs: the kernel's defaults with these three.
    var knobs: KSMKnobs {
        var k = KSMKnobs()
        k.pagesToScan = pagesToScan
        k.sleepMillisecs = sleepMillisecs
        k.smartScan = smartScan
        return k
    }

    /// Refuses what cannot be run: no pages, a ratio outside 0..<1, pages_to_scan or passes below 1,
    /// sleep_millisecs below 0.
    func check() throws(ScenarioError) {
        guard ScanBenchmark.isValid(pages: pages, duplicateRatio: duplicateRatio), pagesToScan >= 1, passes >= 1,
            sleepMillisecs >= 0
        else { throw ScenarioError("calibration workload \(name) cannot be run") }
    }

    /// Runs the workload on a new simulated kernel with `model` and returns each pass: its
    /// simulated wall and CPU seconds and the path counts of its visits (see ``SimulatedPass``).
    ///
    /// A pass ends at the end of the batch whose `scan_get_next_rmap_item()` completed the full
    /// scan (where the kernel's `full_scans` grows); the first starts at run=1.
    /// - Throws: the simulator's errno (ENOMEM beyond its memory budget), as a ``ScenarioError``.
    /// - Complexity: O(`pages` × `passes`).
    public func simulate(model: KSMDCostModel) throws(ScenarioError) -> [SimulatedPass] {
        try check()
        let k = SimulatedKernel()
        k.costModel = model
        let bench = ScanBenchmark(pages: pages, duplicateRatio: duplicateRatio)
        do {
            try k.setKSMKnobs(knobs)
            let p = k.spawn()
            try k.mmap(p, at: 0, pages: pages, prot: .readWrite, .privateAnonymous)
            try k.madvise(p, at: 0, pages: pages, advice: .mergeable)
            try k.write(p, at: 0, pages: pages) { i, page in bench.fill(page, page: i) }
        } catch let e as KnobError {
            throw ScenarioError("calibration workload \(name): \(e)")
        } catch {
            throw ScenarioError("calibration workload \(name): \(error)")
        }
        var marks: [(Int, Int, KSMDPathCounts)] = [(k.clockNanos, 0, k.ksmdPathCounts)]
        var ended = false
        k.onFullScan = { ended = true }
        k.onBatchEnd = {
            if ended {
                ended = false
                marks.append((k.clockNanos, k.ksm.cpuNanos, k.ksmdPathCounts))
            }
        }
        defer {
            k.onFullScan = nil
            k.onBatchEnd = nil
        }
        do {
            try k.runKSMD(fullScans: passes)
        } catch {
            throw ScenarioError("calibration workload \(name): \(error)")
        }
        return zip(marks, marks.dropFirst()).map { a, b in
            SimulatedPass(
                seconds: Double(b.0 - a.0) / 1e9, cpuSeconds: Double(b.1 - a.1) / 1e9, counts: b.2.since(a.2))
        }
    }
}

/// One full scan on the simulator: its simulated wall and CPU time, and what its visits did.
public struct SimulatedPass: Sendable, Equatable {
    /// Simulated wall seconds of the pass.
    public var seconds: Double
    /// Simulated ksmd CPU seconds of the pass.
    public var cpuSeconds: Double
    /// The pass's batches, full scans and visits by path.
    public var counts: KSMDPathCounts
}

// KSMEngine's benchmarks for ordo-one/benchmark: page hashing, ksmd's scans, copy-on-write breaks
// of merged pages and fork of a merged process. docs/performance.md describes each.
//
// Metrics: wall clock, throughput and malloc counts when run by hand; with CI or
// KSM_BENCHMARK_DETERMINISTIC set in the environment, malloc counts only, so that a CI job can
// gate on numbers that do not depend on the machine's load (`swift package benchmark baseline
// check` then never sees a wall-clock time).

import Benchmark
import CXXHash
import KSMEngine

#if canImport(Glibc)
    import Glibc
#endif

/// Malloc counts only (CI), or wall clock and throughput too.
let deterministicOnly = getenv("CI") != nil || getenv("KSM_BENCHMARK_DETERMINISTIC") != nil
let measured: [BenchmarkMetric] = deterministicOnly ? [.mallocCountTotal] : [.wallClock, .throughput, .mallocCountTotal]
/// A malloc count is exact: any change is a change.
var exact: BenchmarkThresholds { BenchmarkThresholds(relative: [.p50: 0, .p90: 0], absolute: [.p50: 0, .p90: 0]) }

let pageBytes = PageStore.pageSize

/// The workload of `ksmd-sim bench` (`ScanBenchmark.makeWorkload()`): `pages` pages, page `i` with
/// content `i` for `i < distinct`, else a copy of content `(i - distinct) % distinct`, in one
/// mergeable process, smart_scan off and one batch per full scan.
func mergeableProcess(pages: Int, duplicateRatio: Double) throws -> (SimulatedKernel, ProcessID) {
    try ScanBenchmark(pages: pages, duplicateRatio: duplicateRatio).makeWorkload()
}

/// Page-sized inputs for the hash benchmarks: 256 different pages (1 MiB), visited in turn.
final class HashInput: @unchecked Sendable {
    static let pages = 256
    let base: UnsafeMutableRawPointer

    init() {
        base = UnsafeMutableRawPointer.allocate(byteCount: Self.pages * pageBytes, alignment: pageBytes)
        let contents = ScanBenchmark(pages: Self.pages, duplicateRatio: 0)
        for i in 0..<Self.pages {
            contents.fill(UnsafeMutableRawBufferPointer(start: base + i * pageBytes, count: pageBytes), page: i)
        }
    }

    @inline(__always) func page(_ i: Int) -> UnsafeRawPointer { UnsafeRawPointer(base + (i & (Self.pages - 1)) * pageBytes) }
}

/// A kernel kept across the iterations of one benchmark, made by its setup hook.
final class KernelHolder: @unchecked Sendable {
    var kernel: SimulatedKernel?
    var process = ProcessID(0)
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: measured,
        maxDuration: .seconds(3),
        thresholds: [.mallocCountTotal: exact])

    // MARK: Hashing one 4 KiB page

    let input = HashInput()
    let perPage = Benchmark.Configuration(metrics: measured, scalingFactor: .kilo, thresholds: [.mallocCountTotal: exact])

    Benchmark("Hash.XXH3_64.page", configuration: perPage) { benchmark in
        for i in benchmark.scaledIterations { blackHole(cxxh_xxh3_64(input.page(i), pageBytes)) }
    }

    Benchmark("Hash.XXH3_128.page", configuration: perPage) { benchmark in
        var low: UInt64 = 0
        var high: UInt64 = 0
        for i in benchmark.scaledIterations {
            cxxh_xxh3_128(input.page(i), pageBytes, &low, &high)
            blackHole(low ^ high)
        }
    }

    Benchmark("Hash.XXH64.page", configuration: perPage) { benchmark in
        for i in benchmark.scaledIterations { blackHole(cxxh_xxh64(input.page(i), pageBytes, 0)) }
    }

    // calc_checksum(): the low 32 bits of XXH64 with seed 0.
    Benchmark("Hash.KernelChecksum.page", configuration: perPage) { benchmark in
        for i in benchmark.scaledIterations { blackHole(UInt32(truncatingIfNeeded: cxxh_xxh64(input.page(i), pageBytes, 0))) }
    }

    // MARK: ksmd's full scans of 65,536 pages

    let scanPages = 65_536
    let scanConfiguration = Benchmark.Configuration(
        metrics: measured, warmupIterations: 1, maxDuration: .seconds(5), maxIterations: 50,
        thresholds: [.mallocCountTotal: exact])

    // A pass in which nothing changes. Unique pages: every page is hashed and walks the unstable
    // tree, the case the "45% of a bare XXH3-64 pass" target is about.
    for (name, ratio) in [("Scan.steady.\(scanPages)", 0.0), ("Scan.steady.merged.\(scanPages)", 0.5)] {
        let holder = KernelHolder()
        Benchmark(name, configuration: scanConfiguration) { benchmark in
            for _ in benchmark.scaledIterations { try holder.kernel!.runKSMD(fullScans: 1) }
        } setup: {
            let (k, p) = try mergeableProcess(pages: scanPages, duplicateRatio: ratio)
            try k.runKSMD(fullScans: 3)  // checksums, merges, one pass that changes nothing
            holder.kernel = k
            holder.process = p
        } teardown: {
            holder.kernel = nil
        }
    }

    // The pass in which half the pages merge with the other half. Each iteration builds its own
    // process and runs the first pass before the measurement starts.
    Benchmark(
        "Scan.merge.\(scanPages)",
        configuration: .init(
            metrics: measured, maxDuration: .seconds(5), maxIterations: 10, thresholds: [.mallocCountTotal: exact])
    ) { benchmark in
        let (k, _) = try mergeableProcess(pages: scanPages, duplicateRatio: 0.5)
        try k.runKSMD(fullScans: 1)
        benchmark.startMeasurement()
        try k.runKSMD(fullScans: 1)
        benchmark.stopMeasurement()
        blackHole(k.ksmCounters.pagesSharing)
    }

    // MARK: Copy-on-write of merged pages

    // Writes to 8,192 merged pages (4,096 KSM pages with two mappers each): every write copies
    // the page and leaves the stable tree's rmap list.
    let cowPages = 8_192
    Benchmark(
        "COW.break.\(cowPages)",
        configuration: .init(
            metrics: measured, maxDuration: .seconds(5), maxIterations: 50, thresholds: [.mallocCountTotal: exact])
    ) { benchmark in
        let (k, p) = try mergeableProcess(pages: cowPages, duplicateRatio: 0.5)
        try k.runKSMD(fullScans: 2)
        benchmark.startMeasurement()
        try k.write(p, at: 0, pages: cowPages) { i, page in page.storeBytes(of: UInt64(i), toByteOffset: 8, as: UInt64.self) }
        benchmark.stopMeasurement()
        blackHole(k.ksmCounters.pagesSharing)
    }

    // MARK: fork of a merged process

    // fork() of a process whose 65,536 pages are all merged: page tables and VMAs are copied,
    // every KSM page gains a mapper. The child exits outside the measurement.
    let forkHolder = KernelHolder()
    Benchmark(
        "Fork.merged.\(scanPages)",
        configuration: .init(
            metrics: measured, warmupIterations: 1, maxDuration: .seconds(5), maxIterations: 50,
            thresholds: [.mallocCountTotal: exact])
    ) { benchmark in
        let k = forkHolder.kernel!
        benchmark.startMeasurement()
        let child = try k.fork(forkHolder.process)
        benchmark.stopMeasurement()
        try k.exit(child)
    } setup: {
        let (k, p) = try mergeableProcess(pages: scanPages, duplicateRatio: 0.5)
        try k.runKSMD(fullScans: 2)
        forkHolder.kernel = k
        forkHolder.process = p
    } teardown: {
        forkHolder.kernel = nil
    }
}

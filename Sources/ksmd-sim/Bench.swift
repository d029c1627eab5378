import ArgumentParser
import KSMEngine

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure scan throughput: one mergeable process, full scans with smart_scan off.")

    @Option(help: "Pages in the process.")
    var pages: Int = 262_144

    @Option(help: "Fraction of pages that duplicate others (0 to 1).")
    var duplicateRatio: Double = 0.5

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard pages >= 1 && pages <= 1 << 26 else { throw ValidationError("--pages must be between 1 and 67108864") }
        guard duplicateRatio >= 0 && duplicateRatio < 1 else { throw ValidationError("--duplicate-ratio must be in [0, 1)") }
    }

    func run() throws {
        let result: ScanBenchmark.Result
        do {
            result = try ScanBenchmark(pages: pages, duplicateRatio: duplicateRatio).run()
        } catch {
            printError("bench: \(error)")
            throw Exit.dataError
        }
        if json {
            print(result.json.serialized(pretty: true))
        } else {
            func m(_ v: Double) -> String { "\((v / 1e4).rounded() / 100)M pages/s" }
            print("pages \(result.pages), duplicate ratio \(result.duplicateRatio)")
            print("first scan  \(m(result.firstScanPagesPerSecond))")
            print("merge scan  \(m(result.mergeScanPagesPerSecond))")
            print("steady scan \(m(result.steadyScanPagesPerSecond))")
            print("metadata    \((result.metadataBytesPerPage * 10).rounded() / 10) bytes per page")
            print("peak RSS    \(result.peakResidentBytes / (1 << 20)) MiB")
            print("counters    \(result.countersMatch ? "as the kernel reports them" : "DIFFER from the kernel's: \(result.counters) vs \(result.expectedCounters)")")
        }
        if !result.countersMatch { throw ExitCode(1) }
    }
}

import ArgumentParser
import KSMEngine

struct Capture: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Capture running processes' memory into a snapshot file (for estimate --snapshot).",
        discussion: """
            Reads /proc/PID/smaps, /proc/PID/pagemap and /proc/PID/mem (read-only; the kernel's permission \
            checks apply, as for estimate) and writes every VMA, which pages are present, and each present \
            anonymous page's contents, every distinct page once, to FILE (mode 0600). \
            See docs/snapshot-format.md.
            """)

    @Option(
        name: .customLong("pid"), parsing: .unconditionalSingleValue,
        help: "A process to capture (repeat for several).")
    var pids: [Int32] = []

    @Option(
        name: [.customShort("o"), .customLong("output")],
        help: ArgumentHelp("The snapshot file to write (replaced whole, mode 0600).", valueName: "file"))
    var output: String?

    @Flag(help: "Store a 128-bit hash (XXH3-128) per distinct page instead of its bytes.")
    var hashesOnly = false

    @Flag(help: "Replace every distinct page by a keyed pseudo-random page (zero pages kept); no bytes are stored.")
    var anonymize = false

    @Option(help: "The anonymization key: 64 hex digits (default: a random key per capture, never stored).")
    var key: String?

    @Option(help: "Only capture this address range, as START-END in hex.")
    var range: String?

    @Option(
        help: ArgumentHelp(
            "Convert a plain-text page-hash trace (docs/trace-format.md) into a hashes-only snapshot, instead of --pid.",
            valueName: "file"))
    var trace: String?

    func validate() throws {
        if let trace {
            guard !trace.isEmpty else { throw ValidationError("--trace needs a file") }
            guard pids.isEmpty, !hashesOnly, !anonymize, range == nil else {
                throw ValidationError("--trace takes no --pid, --hashes-only, --anonymize or --range (a trace holds hashes)")
            }
        } else {
            guard !pids.isEmpty else { throw ValidationError("give at least one --pid (or --trace FILE)") }
        }
        try Estimate.validate(pids: pids)
        guard let output, !output.isEmpty else { throw ValidationError("give the output file with -o FILE") }
        if let key {
            guard anonymize else { throw ValidationError("--key is the key of --anonymize") }
            guard AnonymizationKey(hex: key) != nil else { throw ValidationError("--key must be 64 hex digits (32 bytes)") }
        }
        try Estimate.validate(range: range)
    }

    func run() throws {
        let path = output ?? ""
        do {
            var snapshot: SnapshotFile
            if let trace {
                snapshot = try SnapshotFile.load(trace: trace)
            } else {
                snapshot = try SnapshotFile.capture(pids: pids, range: range.flatMap(Estimate.parseRange))
            }
            if anonymize {
                snapshot = try snapshot.anonymized(key: key.flatMap { AnonymizationKey(hex: $0) } ?? .random())
            } else if hashesOnly {
                snapshot = try snapshot.hashesOnly()
            }
            try snapshot.write(to: path)
            let present = snapshot.processes.reduce(0) { $0 + $1.presentPages }
            let what = snapshot.encoding == .bytes ? "" : snapshot.encoding == .hashes ? ", hashes only" : ", anonymized"
            print(
                "captured \(snapshot.processes.count) process\(snapshot.processes.count == 1 ? "" : "es"): \(present) present pages, "
                    + "\(snapshot.pages.count) distinct stored pages\(what) -> \(path)")
        } catch {
            throw failure("capture", error)
        }
    }
}

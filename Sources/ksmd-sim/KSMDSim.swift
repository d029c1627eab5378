import ArgumentParser
import KSMEngine

#if canImport(Glibc)
    import Glibc
#endif

@main
struct KSMDSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ksmd-sim",
        abstract: "Linux Kernel Samepage Merging, simulated: VMA rules, KSM eligibility, scenarios.",
        discussion: "With no subcommand, runs a built-in demonstration.",
        subcommands: [
            Demo.self, Run.self, Compare.self, Kernel.self, Estimate.self, Capture.self, Random.self, Bench.self, Soak.self,
            Sweep.self, Calibrate.self,
        ],
        defaultSubcommand: Demo.self
    )

    /// The subcommands' names, and `help`.
    static var subcommandNames: [String] { configuration.subcommands.map { $0._commandName } + ["help"] }

    /// Parses and runs a command like ArgumentParser's own `main()`, but with a usage error in one
    /// line on stderr (exit 64), and a first word that names no subcommand refused with the list of
    /// subcommands (ArgumentParser would hand it to the default subcommand, `demo`, and print
    /// "Usage: ksmd-sim demo").
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let first = arguments.first, !first.hasPrefix("-"), !subcommandNames.contains(first) {
            printError(
                "unknown subcommand \"\(first)\": use one of \(subcommandNames.joined(separator: ", ")) (ksmd-sim --help describes them)"
            )
            exit(withError: Exit.usage)
        }
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            let code = exitCode(for: error)
            // Help, and errors the commands printed themselves (ExitCode), go as ArgumentParser sends them.
            if code == .success || error is ExitCode { exit(withError: error) }
            let sub = arguments.first.flatMap { subcommandNames.contains($0) ? $0 : nil }
            let text = message(for: error).split(whereSeparator: \.isNewline).map { String($0.drop(while: \.isWhitespace)) }
            printError((sub.map { $0 + ": " } ?? "") + text.joined(separator: "; "))
            exit(withError: code)
        }
    }
}

/// Exit codes of sysexits.h, as the CLI uses them.
enum Exit {
    /// EX_USAGE: the command line is wrong.
    static let usage = ExitCode(64)
    /// EX_DATAERR: the scenario is malformed or a step failed.
    static let dataError = ExitCode(65)
    /// EX_NOINPUT: the file cannot be read.
    static let noInput = ExitCode(66)
    /// EX_CANTCREAT: an output file cannot be created or written.
    static let cannotCreate = ExitCode(73)
    /// EX_TEMPFAIL: try again later (`kernel` while other processes use KSM, without --force).
    static let temporaryFailure = ExitCode(75)
    /// EX_NOPERM: not allowed (the host-kernel runner needs root).
    static let noPermission = ExitCode(77)
}

/// Prints one error line to stderr.
func printError(_ message: String) {
    var line = "ksmd-sim: " + message + "\n"
    line.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
}

/// Reads a whole file as UTF-8 text, or exits with one line.
func readScenarioFile(_ path: String) throws -> String {
    guard let f = fopen(path, "rb") else {
        printError("cannot read \(path): \(String(cString: strerror(errno)))")
        throw errno == EACCES ? Exit.noPermission : Exit.noInput
    }
    defer { fclose(f) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buffer, 1, buffer.count, f)
        if n > 0 { bytes.append(contentsOf: buffer[0..<n]) }
        if n < buffer.count {
            if ferror(f) != 0 {
                printError("cannot read \(path): \(String(cString: strerror(errno)))")
                throw Exit.noInput
            }
            break
        }
    }
    guard let text = String(validating: bytes, as: UTF8.self) else {
        printError("\(path): not UTF-8 text")
        throw Exit.dataError
    }
    return text
}

/// Parses a scenario file, or exits with one line.
func loadScenario(_ path: String) throws -> Scenario {
    let text = try readScenarioFile(path)
    do {
        // Paths in a scenario (load steps) are relative to its file's directory.
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) }
        return try Scenario.parse(text, baseDirectory: directory)
    } catch {
        printError("\(path): \(error)")
        throw Exit.dataError
    }
}

/// Runs a scenario on a backend, or exits with one line naming the scenario's file; a progress bar
/// shows on a terminal.
func runScenario(_ scenario: Scenario, on backend: ScenarioBackend, file: String) throws -> [Report] {
    let progress = ProgressBar()
    defer { progress.finish() }
    do {
        return try ScenarioRunner.run(scenario, on: backend, onStep: { progress.update($0, $1) })
    } catch {
        progress.finish()
        printError("\(file): \(error.description)")
        throw Exit.dataError
    }
}

/// Runs a scenario on a backend and prints its reports, or exits with one line.
func runAndPrint(_ scenario: Scenario, on backend: ScenarioBackend, file: String, json: Bool, header: String) throws {
    let reports = try runScenario(scenario, on: backend, file: file)
    if json {
        print(JSON.object([("reports", .array(reports.map(\.json)))]).serialized(pretty: true))
    } else {
        print(header)
        for r in reports { print(r.text) }
    }
}

/// The cost model in `path` (``KSMDCostModel/init(json:)``), or the built-in one for `nil`; exits
/// with one line when the file cannot be read (66) or is not a usable model (65).
func loadCostModel(_ path: String?) throws -> KSMDCostModel {
    guard let path else { return .default }
    let text = try readScenarioFile(path)
    do {
        return try KSMDCostModel(json: text)
    } catch {
        printError("\(path): \(error)")
        throw Exit.dataError
    }
}

/// Throws "--NAME must be ..., got VALUE" unless `range` holds `value`. Numeric options parse
/// with `.unconditional`, so that `--pages -1` reaches this check instead of reading as a flag.
func requireOption<T: Comparable & CustomStringConvertible>(
    _ name: String, _ value: T, in range: ClosedRange<T>, unbounded: Bool = false
) throws {
    guard !range.contains(value) else { return }
    let wanted: String
    if unbounded {
        wanted = range.lowerBound.description == "1" ? "a positive number" : "at least \(range.lowerBound)"
    } else {
        wanted = "between \(range.lowerBound) and \(range.upperBound)"
    }
    throw ValidationError("\(name) must be \(wanted), got \(value)")
}

/// A seed: 0 to 2^64 - 1, with a message that says so (`--seed -1` would read as a flag).
func parseSeed(_ text: String) throws -> UInt64 {
    guard let s = UInt64(text) else { throw ValidationError("it must be an integer from 0 to \(UInt64.max)") }
    return s
}

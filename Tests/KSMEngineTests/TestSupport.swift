@testable import KSMEngine

/// A compact description of a process's VMAs: "start-end flags" per VMA.
func layout(_ k: SimulatedKernel, _ p: ProcessID) -> [String] {
    k.vmas(p).map { "\($0.start)-\($0.end) \($0.flags.mnemonics.joined(separator: " "))" }
}

/// Runs scenario text on the simulator and returns its reports.
func simulate(_ text: String) throws -> [Report] {
    let s = try Scenario.parse(text)
    return try ScenarioRunner.run(s, on: SimulatorBackend(rules: s.rules))
}

/// Writes every page of a range with one byte value.
func fill(_ k: SimulatedKernel, _ p: ProcessID, at: Int, pages: Int, byte: UInt8 = 0x5A, forced: Bool = true) throws(Errno) {
    try k.write(p, at: at, pages: pages, forced: forced) { _, page in page.initializeMemory(as: UInt8.self, repeating: byte) }
}

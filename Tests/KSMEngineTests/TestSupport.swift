@testable import KSMEngine

/// A compact description of a process's VMAs: "start-end flags" per VMA.
func layout(_ k: SimulatedKernel, _ p: ProcessID) throws -> [String] {
    try k.vmas(p).map { "\($0.start)-\($0.end) \($0.flags.mnemonics.joined(separator: " "))" }
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

/// splitmix64: the tests' own seeded random numbers (the RB-tree fixtures were generated with it).
struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

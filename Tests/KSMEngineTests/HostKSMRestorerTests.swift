import Testing

@testable import KSMEngine

/// How a restore tells whether a knob took its value (it retries the ones that did not).
@Suite struct HostKSMRestorerTests {
    @Test(arguments: [
        ("256\n", "256", true), ("6\n", "256", false), ("0", "0", true),
        ("[none] scan-time\n", "none", true), ("none [scan-time]\n", "none", false),
        ("always [madvise] never\n", "madvise", true), ("always [madvise] never\n", "never", false),
    ])
    func knobFilesReadAsTheirValue(text: String, value: String, expected: Bool) {
        #expect(HostKSMRestorer.reads(text, as: value) == expected)
    }
}

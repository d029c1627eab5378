import ArgumentParser
import KSMEngine

extension PageContentMode: ExpressibleByArgument {}

/// `--content bytes|ids`, shared by run, compare, bench and estimate.
struct ContentOption: ParsableArguments {
    @Option(
        help: """
            What a simulated page holds: bytes (4 KiB each, the default) or ids (a 64-bit content id each: the \
            same ksmd and counters in far less memory; docs/fidelity.md says when the reports are exact).
            """)
    var content: PageContentMode = .bytes
}

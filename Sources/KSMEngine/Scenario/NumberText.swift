/// How the text of reports, summaries, sweeps and estimates spells times and shares: one
/// spelling for every command's output.
enum NumberText {
    /// Seconds to the millisecond, as Swift prints a `Double`: `"12.345"`, `"0.5"`.
    static func seconds(_ t: Double) -> String { "\((t * 1000).rounded() / 1000)" }

    /// `fraction` as a percentage rounded to `decimals` (0 to 6) decimals: 0.12345 is `"12.3%"`
    /// with 1, `"12.35%"` with 2.
    static func percent(_ fraction: Double, decimals: Int) -> String {
        precondition((0...6).contains(decimals), "0 to 6 decimals")
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        return "\((fraction * (100 * scale)).rounded() / scale)%"
    }

    /// `part` of `whole` as a percentage with one decimal (`"33.3%"`), `"0%"` when `whole` is not
    /// positive. Computed from the integers (`part × 1000 / whole`), so that a share that is a
    /// whole number of tenths is exact.
    static func percent(_ part: Int, of whole: Int) -> String {
        guard whole > 0 else { return "0%" }
        return "\((Double(part) * 1000 / Double(whole)).rounded() / 10)%"
    }
}

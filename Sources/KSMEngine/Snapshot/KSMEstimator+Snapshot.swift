extension KSMEstimator {
    /// Estimates KSM on the processes of a snapshot together, exactly as ``estimate(pids:)``
    /// estimates them live: the same plan from the captured VMAs and pagemap bits, the same pages.
    /// An estimate of a fresh capture of idle processes equals their live estimate; a hashes-only
    /// or anonymized snapshot gives the same counters as the bytes it was made from.
    ///
    /// The options apply as to live processes (``Options/range`` clips the captured VMAs); the
    /// estimate reports the options' range, else the capture's. Errors: `.tooLarge` (more
    /// candidate pages than the memory budget), `.invalidOptions`.
    /// - Complexity: O(page records + full scans × eligible pages).
    public func estimate(snapshot: SnapshotFile) throws(EstimateError) -> KSMEstimate {
        try checkOptions()
        let buffer = ProcReadBuffer()
        var images: [ProcessImage] = []
        for p in snapshot.processes {
            images.append(try ProcessImage(p, of: snapshot, rules: options.rules, range: options.range, buffer: buffer))
        }
        return try estimate(images, zeroPage: snapshot.zeroPage, range: options.range ?? snapshot.range)
    }
}

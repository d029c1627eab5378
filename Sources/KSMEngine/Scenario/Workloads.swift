/// Workload steps: realistic memory set-ups that expand into ordinary steps when a scenario is read.
///
/// - `guests`: a fleet of virtual machines booted from one OS image. Each guest maps `pages`
///   pages (MADV_MERGEABLE, as QEMU does): the first `shared_fraction` hold the image (identical
///   across guests, page by page), the next `zero_fraction` are zeros, the rest are the guest's own.
/// - `containers`: containers from one image, each a process with PR_SET_MEMORY_MERGE: the same
///   split, by default more private memory.
/// - `jvm`: JVM-like heaps: a stable part identical across processes (class metadata), zeros (a
///   fresh young generation) and a volatile part that a mutator rewrites at `mutation_rate` pages
///   per simulated second.
///
/// Fields: `kind`, `count` (processes), `prefix` (names are prefix1, prefix2, ...), `pages`, `at`,
/// `image` (the namespace of the shared contents), `shared_fraction`, `zero_fraction`, and for
/// `jvm` `volatile_fraction` and `mutation_rate`.
extension StepDecoder {
    mutating func workload(_ f: inout FieldReader) throws(ScenarioError) -> [StepAction] {
        let kind = try f.string("kind")
        guard ["guests", "containers", "jvm"].contains(kind) else {
            throw f.error("unknown workload kind \"\(kind)\" (guests, containers, jvm)")
        }
        let count = try f.optionalInt("count", 1...10_000) ?? 1
        let prefix = try f.optionalString("prefix") ?? (kind == "guests" ? "guest" : kind == "containers" ? "container" : "jvm")
        let pages = try f.int("pages", 1...(SimulatedKernel.heapBase))
        let at = try f.optionalInt("at", 0...(SimulatedKernel.windowPages - 1)) ?? 0
        try f.checkWindow(at, pages)
        do { try ScenarioLimits.checkOutsideHeap(at, pages, hint: "") } catch { throw f.error(error.message) }
        let image = try f.optionalString("image") ?? "\(kind)-image"
        let defaults: (shared: Double, zero: Double) =
            kind == "guests" ? (0.6, 0.1) : kind == "containers" ? (0.3, 0.05) : (0.2, 0.3)
        let sharedFraction = try f.optionalNumber("shared_fraction", 0...1) ?? defaults.shared
        let zeroFraction = try f.optionalNumber("zero_fraction", 0...1) ?? defaults.zero
        var volatileFraction = 0.0
        var mutationRate = 0.0
        if kind == "jvm" {
            volatileFraction = try f.optionalNumber("volatile_fraction", 0...1) ?? 0.2
            mutationRate = try f.optionalNumber("mutation_rate", 0...1_000_000) ?? 100
        }
        guard sharedFraction + zeroFraction + volatileFraction <= 1 + 1e-9 else {
            throw f.error("shared_fraction + zero_fraction\(kind == "jvm" ? " + volatile_fraction" : "") must be at most 1")
        }
        let shared = Int((Double(pages) * sharedFraction).rounded())
        let zeros = min(pages - shared, Int((Double(pages) * zeroFraction).rounded()))
        let volatile = min(pages - shared - zeros, Int((Double(pages) * volatileFraction).rounded()))
        var steps: [StepAction] = []
        for i in 1...count {
            let name = "\(prefix)\(i)"
            do { try names.add(name, key: "prefix") } catch { throw f.error(error.message) }
            steps.append(.spawn(name))
            if kind != "guests" { steps.append(.prctl(name, memoryMerge: true)) }
            steps.append(
                .mmap(name, at: at, pages: pages, prot: .readWrite, .privateAnonymous))
            if kind == "guests" { steps.append(.madvise(name, at: at, pages: pages, advice: .mergeable)) }
            if shared > 0 { steps.append(.write(name, at: at, pages: shared, fill: .classes(shared, namespace: image))) }
            if zeros > 0 { steps.append(.write(name, at: at + shared, pages: zeros, fill: .byte(0))) }
            let rest = pages - shared - zeros
            if rest > 0 { steps.append(.write(name, at: at + shared + zeros, pages: rest, fill: .unique)) }
            if volatile > 0 && mutationRate > 0 {
                steps.append(.mutator(name, at: at + pages - volatile, pages: volatile, rate: mutationRate))
            }
        }
        return steps
    }
}

#if canImport(Glibc)
    import Glibc
#endif

/// A naive model of what every process of a scenario reads, driven step by step alongside a
/// ``SimulatorBackend`` to check its memory contents.
///
/// Contents are plain arrays: each process has a dictionary from page to the 4096 bytes of its
/// private pages (written privately, or copied at fork), each backing object a dictionary from page
/// offset to bytes; copy-on-write is copying an array. The model reads the simulator's VMAs to know
/// which object, offset and sharing a page has (the layout is checked against the real kernel
/// elsewhere) and whether a forced write may go through, but computes every byte itself: it never
/// looks at the simulator's page store, page tables or ksmd.
///
/// ```swift
/// let backend = SimulatorBackend(rules: .linux6_17)
/// let model = ReferenceMemory(backend: backend)
/// let fills = FillGenerator()
/// for step in scenario.steps {
///     var outcome: Errno?
///     do { try backend.perform(step.action, fills: fills) } catch let e as Errno { outcome = e }
///     problems += model.apply(step.action, outcome: outcome)
///     problems += model.differences(from: backend, processes: live)
/// }
/// ```
///
/// Mutators (`mutator` and `run_for` steps) write pages chosen on the backend's clock; the model
/// does not follow them and reports a `run_for` while one is active.
public final class ReferenceMemory {
    /// What one process reads beyond its mappings' objects.
    struct Process {
        /// Private pages: page number to bytes. Absent pages of a private mapping read as its
        /// object's page, or zeros for anonymous memory.
        var pages: [Int: [UInt8]] = [:]
        /// The heap's size in pages, as `brk` set it.
        var heapPages = 0
    }

    // The stored properties are `@exclusivity(unchecked)`, as in `KSMState`: the model is consulted
    // for every page of every step of a soak.
    private let backend: SimulatorBackend
    @exclusivity(unchecked) private var processes: [String: Process] = [:]
    /// Object to page offset to bytes; absent pages read as zeros.
    @exclusivity(unchecked) private var objects: [ObjectID: [Int: [UInt8]]] = [:]
    /// Objects some mapping has shown so far, to check that shared anonymous mappings get fresh ones.
    @exclusivity(unchecked) private var seenObjects: Set<ObjectID> = []
    /// The model's own fill generator, asked for exactly the fills the backend is asked for.
    private let fills = FillGenerator()
    /// Mutators started and not stopped.
    @exclusivity(unchecked) private var mutators: [MutatorRange] = []

    struct MutatorRange: Equatable {
        var process: String
        var at: Int
        var pages: Int
    }

    static let zeros = [UInt8](repeating: 0, count: PageStore.pageSize)

    /// A model of an empty machine, for steps performed on `backend` from now on.
    public init(backend: SimulatorBackend) {
        self.backend = backend
    }

    /// Follows one step that `backend` has just performed, given how it ended (`nil`: success).
    ///
    /// Call it after every step, failed ones included, except those that threw something other
    /// than an ``Errno`` (the run is broken then). Returns the ways the step's outcome differs from
    /// what the model predicts (a forced write stopping at another page, a `MADV_DONTNEED` failing
    /// otherwise, a shared anonymous mapping reusing an object), empty when they agree.
    /// An action a scenario could not hold (``StepAction/validate()``) is reported, not followed.
    /// - Complexity: O(pages the step touches × 4 KiB), O(private pages) for fork.
    public func apply(_ action: StepAction, outcome: Errno?) -> [String] {
        do { try action.validate() } catch { return ["\(action.op): not a step a scenario can hold: \(error)"] }
        switch action {
        case .spawn(let name):
            if outcome == nil { processes[name] = Process() }
        case .fork(let parent, let child):
            if outcome == nil { processes[child] = processes[parent] }
        case .exec(let name):
            if outcome == nil { processes[name] = Process() }
        case .exit(let name):
            if outcome == nil { processes[name] = nil }
        case .mmap(let name, let at, let pages, _, let spec):
            return outcome == nil ? noteMapping(name, at: at, pages: pages, spec) : []
        case .munmap(let name, let at, let pages):
            if outcome == nil { dropPrivate(name, at..<(at + pages)) }
        case .madvise(let name, let at, let pages, let advice):
            if advice == .dontNeed { return dontNeed(name, at: at, pages: pages, outcome: outcome) }
        case .brk(let name, let pages):
            guard outcome == nil, var p = processes[name] else { break }
            if pages < p.heapPages {
                dropPrivate(name, (SimulatedKernel.heapBase + pages)..<(SimulatedKernel.heapBase + p.heapPages))
                p = processes[name]!
            }
            p.heapPages = pages
            processes[name] = p
        case .write(let name, let at, let pages, let fill):
            return write(name, at: at, pages: pages, fill: fill, outcome: outcome)
        case .mutator(let name, let at, let pages, let rate):
            if outcome == nil {
                mutators.removeAll { $0 == MutatorRange(process: name, at: at, pages: pages) }
                if rate > 0 { mutators.append(MutatorRange(process: name, at: at, pages: pages)) }
            }
        case .runFor:
            // Without mutators only ksmd runs, which changes no contents. Mutators write pages
            // the backend picks at times its clock decides: the model does not follow them.
            if mutators.contains(where: { processes[$0.process] != nil }) {
                return ["run_for with active mutators: the reference model does not follow mutator writes"]
            }
        case .load, .clone:
            // Their bytes come from a file (and a seeded choice of pages): the model does not follow them.
            return ["\(action.op): the reference model does not follow captured memory"]
        case .prctl, .mprotect, .scan, .ksmRun, .ksmKnobs, .report, .ksmtuned, .ksmtunedStop:
            break
        }
        return []
    }

    /// The bytes a read of `page` in `process` should return (zeros where nothing is mapped).
    public func expectedPage(process: String, page: Int) -> [UInt8] {
        guard let pid = backend.pid(process) else { return Self.zeros }
        let vmas = (try? backend.kernel.vmas(pid)) ?? []
        guard let v = Self.vma(vmas, containing: page) else { return Self.zeros }
        return expected(process, v, page)
    }

    /// Every difference between what `backend`'s processes read and what the model expects, one
    /// line each (empty when they agree): for every mapped page of every live process in
    /// `processes`, the simulator's bytes (``SimulatedKernel/withPage(_:_:_:)``) against the model's.
    /// - Complexity: O(mapped pages × 4 KiB).
    public func differences(from backend: SimulatorBackend, processes names: [String]) -> [String] {
        var out: [String] = []
        let kernel = backend.kernel
        for name in names {
            guard let pid = backend.pid(name), kernel.exists(pid) else {
                out.append("process \(name): not live in the simulator")
                continue
            }
            guard let model = processes[name] else {
                out.append("process \(name): unknown to the model")
                continue
            }
            let vmas = (try? kernel.vmas(pid)) ?? []
            var wrong: [Int] = []
            for v in vmas {
                for page in v.range {
                    let expected = expected(name, v, page)
                    let same = expected.withUnsafeBytes { e in
                        try? kernel.withPage(pid, page) { a in memcmp(a.baseAddress!, e.baseAddress!, PageStore.pageSize) == 0 }
                    }
                    if same != true { wrong.append(page) }
                }
            }
            if !wrong.isEmpty {
                let first = wrong[0]
                let v = Self.vma(vmas, containing: first)!
                out.append(
                    "process \(name): \(wrong.count) page\(wrong.count == 1 ? "" : "s") read otherwise than the model expects, "
                        + "first page \(first) (\(Self.describe(v))): simulator \(describeBytes(kernel, pid, first)), "
                        + "model \(Self.describe(expected(name, v, first)))")
            }
            // The model keeps private pages only where a private mapping is.
            for page in model.pages.keys.sorted() {
                if let v = Self.vma(vmas, containing: page), !Self.isShared(v) { continue }
                out.append("process \(name): the model holds a private page at \(page), where no private mapping is")
                break
            }
        }
        return out
    }

    // MARK: Steps

    private func noteMapping(_ name: String, at: Int?, pages: Int, _ spec: MapSpec) -> [String] {
        guard let pid = backend.pid(name) else { return [] }
        // Where the mapping went: `at`, or the kernel's choice, which the model cannot know; a
        // fresh shared anonymous mapping is then the VMA with an object the model has not seen.
        let vmas = (try? backend.kernel.vmas(pid)) ?? []
        var out: [String] = []
        if let at, Self.vma(vmas, containing: at) == nil {
            out.append("mmap at \(at) succeeded, but no VMA contains page \(at)")
        }
        if spec.request.backing == .anonymous && spec.request.shared {
            if let at, let v = Self.vma(vmas, containing: at) {
                if let o = v.object, seenObjects.contains(o) {
                    out.append("the shared anonymous mapping at \(at) shows object \(o), which an earlier mapping showed")
                } else if v.object == nil {
                    out.append("the shared anonymous mapping at \(at) has no object")
                }
            } else if at == nil && !vmas.contains(where: { $0.object.map { !seenObjects.contains($0) } ?? false }) {
                out.append("the shared anonymous mapping shows no new object")
            }
        }
        for v in vmas { if let o = v.object { seenObjects.insert(o) } }
        return out
    }

    /// Drops the private pages of `range`: what munmap, brk and the zap of `MADV_DONTNEED` do.
    private func dropPrivate(_ name: String, _ range: Range<Int>) {
        guard var p = processes[name], !range.isEmpty else { return }
        if range.count < p.pages.count {
            for page in range { p.pages[page] = nil }
        } else {
            p.pages = p.pages.filter { !range.contains($0.key) }
        }
        processes[name] = p
    }

    /// `MADV_DONTNEED`: VMA by VMA in address order, each VMA's part of the range drops its private
    /// pages, until a VM_LOCKED, VM_PFNMAP or VM_HUGETLB VMA stops the walk with EINVAL. Holes
    /// give ENOMEM at the end. Shared mappings keep their contents (the object has them).
    private func dontNeed(_ name: String, at: Int, pages: Int, outcome: Errno?) -> [String] {
        guard let pid = backend.pid(name) else { return [] }
        let end = at + max(pages, 0)
        var cursor = at
        var predicted: Errno? = nil
        for v in (try? backend.kernel.vmas(pid)) ?? [] where v.end > at && v.start < end {
            if v.start > cursor { predicted = .ENOMEM }
            if !v.flags.isDisjoint(with: [.locked, .pfnMap, .hugeTLB]) {
                predicted = .EINVAL
                cursor = end
                break
            }
            dropPrivate(name, max(v.start, at)..<min(v.end, end))
            cursor = min(v.end, end)
        }
        if cursor < end { predicted = .ENOMEM }
        if predicted != outcome {
            return [
                "madvise dontneed \(at)..<\(end): the model predicts \(predicted?.name ?? "success"), the simulator gave \(outcome?.name ?? "success")"
            ]
        }
        return []
    }

    /// A forced write (`/proc/PID/mem`): page by page, private mappings take it at any protection,
    /// shared ones only when writable; VM_IO and VM_PFNMAP refuse it; a page that cannot be
    /// written (or is not mapped) stops the write there with EIO, keeping the pages before it.
    private func write(_ name: String, at: Int, pages: Int, fill: Fill, outcome: Errno?) -> [String] {
        // The backend asks its generator for a filler even when the write then fails.
        guard let filler = try? fills.filler(for: fill) else { return ["write with fill \(fill): no filler"] }
        guard let pid = backend.pid(name), var p = processes[name] else { return [] }
        // The memory budget refuses the write before anything happens; only the simulator knows it.
        if outcome == .ENOMEM { return [] }
        let vmas = (try? backend.kernel.vmas(pid)) ?? []
        var predicted: Errno? = nil
        for n in 0..<max(pages, 0) {
            let page = at + n
            guard let v = Self.vma(vmas, containing: page), Self.forcedWriteAllowed(v.flags) else {
                predicted = .EIO
                break
            }
            var bytes = [UInt8](repeating: 0, count: PageStore.pageSize)
            bytes.withUnsafeMutableBytes { filler(n, $0) }
            if Self.isShared(v) {
                objects[v.object!, default: [:]][v.pgoff + (page - v.start)] = bytes
            } else {
                p.pages[page] = bytes
            }
        }
        processes[name] = p
        if predicted != outcome {
            return [
                "write \(at)..<\(at + pages): the model predicts \(predicted?.name ?? "success"), the simulator gave \(outcome?.name ?? "success")"
            ]
        }
        return []
    }

    // MARK: Pages

    /// `check_vma_flags()` for `FOLL_FORCE | FOLL_WRITE`.
    static func forcedWriteAllowed(_ f: VMFlags) -> Bool {
        if !f.isDisjoint(with: [.io, .pfnMap]) { return false }
        if f.contains(.write) { return true }
        // Without VM_WRITE only a private mapping that may be written (copy-on-write) takes it.
        return !f.contains(.hugeTLB) && f.intersection([.shared, .mayWrite]) == .mayWrite
    }

    /// Whether the VMA's pages are its object's pages (a shared mapping), not the process's own.
    static func isShared(_ v: VMA) -> Bool { v.flags.contains(.mayShare) && v.object != nil }

    private func expected(_ name: String, _ v: VMA, _ page: Int) -> [UInt8] {
        if !Self.isShared(v), let own = processes[name]?.pages[page] { return own }
        guard let o = v.object else { return Self.zeros }
        return objects[o]?[v.pgoff + (page - v.start)] ?? Self.zeros
    }

    static func vma(_ vmas: [VMA], containing page: Int) -> VMA? {
        var lo = 0
        var hi = vmas.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if vmas[mid].end <= page { lo = mid + 1 } else { hi = mid }
        }
        return lo < vmas.count && vmas[lo].start <= page ? vmas[lo] : nil
    }

    static func describe(_ v: VMA) -> String {
        "VMA \(v.start)-\(v.end) \(v.flags)" + (v.object.map { " object \($0) pgoff \(v.pgoff)" } ?? " anonymous")
    }

    /// A short description of a page's bytes: zeros, one repeated byte, or its first 16 bytes.
    static func describe(_ bytes: UnsafeRawBufferPointer) -> String {
        if bytes.allSatisfy({ $0 == bytes[0] }) { return bytes[0] == 0 ? "zeros" : "all \(bytes[0])" }
        return "bytes " + bytes.prefix(16).map { String($0, radix: 16) }.joined(separator: " ") + " ..."
    }

    static func describe(_ bytes: [UInt8]) -> String { bytes.withUnsafeBytes { describe($0) } }

    private func describeBytes(_ kernel: SimulatedKernel, _ pid: ProcessID, _ page: Int) -> String {
        (try? kernel.withPage(pid, page) { Self.describe($0) }) ?? "nothing mapped"
    }
}

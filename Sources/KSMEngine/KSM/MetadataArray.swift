#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// ksmd's rmap items and stable nodes: one growable allocation of plain values, named by index,
/// that grows without copying.
///
/// A Swift array grows by allocating twice its size and copying into it: for a moment its old and
/// new contents both take memory, and just past a power of two it holds twice what it needs. At
/// host scale those are gigabytes, in the middle of a merge pass. This grows by an eighth with
/// `realloc`, which for allocations of this size (above glibc's mmap threshold) moves the mapping
/// (`mremap`) instead of copying it: no moment with two copies, and at most an eighth unused
/// (none at a power of two, ``grown(_:)``).
///
/// A class, so that `ksm.items[i].field = x` writes in place; the engine never copies one.
final class MetadataArray<Element: BitwiseCopyable>: RandomAccessCollection {
    @exclusivity(unchecked) private var base: UnsafeMutablePointer<Element>?
    @exclusivity(unchecked) private(set) var count = 0
    /// Elements allocated.
    @exclusivity(unchecked) private(set) var capacity = 0

    init() {}

    deinit { free(base) }

    var startIndex: Int { 0 }
    var endIndex: Int { count }

    @inline(__always) subscript(i: Int) -> Element {
        unsafeAddress {
            precondition(i >= 0 && i < count, "index out of range")
            return UnsafePointer(base!) + i
        }
        unsafeMutableAddress {
            precondition(i >= 0 && i < count, "index out of range")
            return base! + i
        }
    }

    func append(_ element: Element) {
        if count == capacity { grow() }
        (base! + count).initialize(to: element)
        count += 1
    }

    /// The capacity after `capacity`: 64, then steps of an eighth of the power of two below (72, 80,
    /// ..., 128, 144, ...), so that powers of two are among them and an array of one is full.
    static func grown(_ capacity: Int) -> Int {
        if capacity < 64 { return 64 }
        let power = 1 << (Int.bitWidth - 1 - capacity.leadingZeroBitCount)
        return capacity + power / 8
    }

    private func grow() {
        let newCapacity = Self.grown(capacity)
        let (bytes, overflow) = newCapacity.multipliedReportingOverflow(by: MemoryLayout<Element>.stride)
        precondition(!overflow, "metadata array too large")
        guard let p = realloc(base, bytes) else { fatalError("out of memory for ksmd's metadata (\(bytes) bytes)") }
        base = p.bindMemory(to: Element.self, capacity: newCapacity)
        capacity = newCapacity
    }

    func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: base, count: count))
    }
}

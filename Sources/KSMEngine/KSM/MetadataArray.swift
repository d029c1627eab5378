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
/// host scale those are gigabytes, in the middle of a merge pass. This grows with `realloc`, by an
/// eighth from 4 MiB on, which for allocations of that size (above glibc's mmap threshold) moves
/// the mapping (`mremap`) instead of copying it: no moment with two copies, and at most an eighth
/// unused (none at a power of two, ``grown(_:)``).
///
/// A struct holding a raw pointer, so that the scan loop's reads, writes and appends take no
/// reference counting. Its owner frees it (``deallocate()``, from `KSMState`'s `deinit`); a copy
/// shares the storage and is only ever read (the tests' views of the trees).
struct MetadataArray<Element: BitwiseCopyable>: RandomAccessCollection {
    private var base: UnsafeMutablePointer<Element>?
    private(set) var count = 0
    /// Elements allocated.
    private(set) var capacity = 0

    init() {}

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

    @inline(__always) mutating func append(_ element: Element) {
        if count == capacity { grow() }
        (base! + count).initialize(to: element)
        count += 1
    }

    /// The capacity after `capacity`: 64, doubling while the array is under ``eighthsBytes``, then
    /// steps of an eighth of the power of two below (..., 131072, 147456, 163840, ...), so that
    /// powers of two are among them and an array of one is full. (Small arrays double: `realloc`
    /// copies them, and their slack is small.)
    static func grown(_ capacity: Int) -> Int {
        if capacity < 64 { return 64 }
        if capacity * MemoryLayout<Element>.stride < eighthsBytes { return capacity * 2 }
        let power = 1 << (Int.bitWidth - 1 - capacity.leadingZeroBitCount)
        return capacity + power / 8
    }

    /// Arrays of at least this many bytes grow by eighths.
    static var eighthsBytes: Int { 4 << 20 }

    @inline(never) private mutating func grow() {
        let newCapacity = Self.grown(capacity)
        let (bytes, overflow) = newCapacity.multipliedReportingOverflow(by: MemoryLayout<Element>.stride)
        precondition(!overflow, "metadata array too large")
        guard let p = realloc(base, bytes) else { fatalError("out of memory for ksmd's metadata (\(bytes) bytes)") }
        base = p.bindMemory(to: Element.self, capacity: newCapacity)
        capacity = newCapacity
    }

    /// Frees the storage; the array is empty after.
    mutating func deallocate() {
        free(base)
        base = nil
        count = 0
        capacity = 0
    }

    func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: base, count: count))
    }
}

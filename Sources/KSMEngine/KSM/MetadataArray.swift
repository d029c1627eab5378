#if canImport(Glibc)
    import Glibc
    import CXXHash
#elseif canImport(Darwin)
    import Darwin
#endif

/// ksmd's rmap items and stable nodes: one growable allocation of plain values, named by index,
/// that grows without copying.
///
/// A Swift array grows by allocating twice its size and copying into it: for a moment its old and
/// new contents both take memory, and just past a power of two it holds twice what it needs. At
/// host scale those are gigabytes, in the middle of a merge pass. This grows by an eighth from
/// 4 MiB on (``grown(_:)``: at most an eighth unused, none at a power of two), and on Linux an
/// array of 4 MiB or more is a mapping of its own that grows by `mremap`, which moves the pages
/// instead of copying them: no moment with two copies. (`realloc` does that only above glibc's
/// mmap threshold, which rises to 32 MiB once a mapping of that size is freed, so arrays under
/// it were copied in the heap: 19 to 30 MB more peak at 16 Mi pages.) Smaller arrays, and all on
/// other systems, use `realloc`. The mappings are not advised for transparent huge pages: at
/// 128 Mi pages that ran no faster (first scan 10.2M and 12.3M pages/s against 11.8M and 11.2M).
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
        let p: UnsafeMutableRawPointer
        let oldBytes = capacity * MemoryLayout<Element>.stride
        if Self.isMapped(bytes: bytes) {
            p = Self.map(base, oldBytes: oldBytes, count: count, bytes: bytes)
        } else {
            guard let q = realloc(base, bytes) else { fatalError("out of memory for ksmd's metadata (\(bytes) bytes)") }
            p = q
        }
        base = p.bindMemory(to: Element.self, capacity: newCapacity)
        capacity = newCapacity
    }

    /// Whether storage of `bytes` is a mapping of its own (Linux, 4 MiB or more).
    static func isMapped(bytes: Int) -> Bool {
        #if os(Linux)
            bytes >= eighthsBytes
        #else
            false
        #endif
    }

    /// Storage of `bytes` for the `count` elements at `old` (`oldBytes` of storage, mapped or from
    /// `malloc`): the old mapping resized by `mremap`, or a new mapping the elements are copied into.
    private static func map(_ old: UnsafeMutablePointer<Element>?, oldBytes: Int, count: Int, bytes: Int)
        -> UnsafeMutableRawPointer
    {
        #if os(Linux)
            let p: UnsafeMutableRawPointer?
            if let old, isMapped(bytes: oldBytes) {
                p = cxxh_mremap_maymove(old, oldBytes, bytes)
            } else {
                p = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                if let p, p != MAP_FAILED, let old {
                    p.copyMemory(from: old, byteCount: count * MemoryLayout<Element>.stride)
                    free(old)
                }
            }
            guard let p, p != MAP_FAILED else { fatalError("out of memory for ksmd's metadata (\(bytes) bytes)") }
            return p
        #else
            preconditionFailure("mapped metadata arrays are Linux only")
        #endif
    }

    /// Frees the storage; the array is empty after.
    mutating func deallocate() {
        let bytes = capacity * MemoryLayout<Element>.stride
        if let base, Self.isMapped(bytes: bytes) {
            munmap(base, bytes)
        } else {
            free(base)
        }
        base = nil
        count = 0
        capacity = 0
    }

    func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: base, count: count))
    }
}

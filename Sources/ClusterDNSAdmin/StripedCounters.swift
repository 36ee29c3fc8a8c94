#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Counters the DNS hot path adds to on every query, kept in stripes of relaxed atomics picked by
/// the calling thread and summed when `/metrics` is scraped.
///
/// swift-prometheus's `Counter` is one atomic shared by every thread and its `Histogram` takes a
/// lock per observation: with two threads answering, each query moved the lock's and the
/// counters' cache lines between cores. Here a thread adds to its own stripe (stripes are whole
/// cache lines apart), and a stripe two threads happen to share is still exact, only slower.
final class StripedCounters: @unchecked Sendable {
    /// Stripes (`stripe()` picks one with 4 hash bits), more than the threads that answer DNS on
    /// most machines.
    static let stripes = 16
    /// Counters per stripe, rounded up to whole 64-byte cache lines.
    let width: Int
    private let cells: UnsafeMutablePointer<Atomic<Int>>

    /// `count` counters, all zero.
    init(count: Int) {
        width = (max(count, 1) + 7) & ~7
        let raw = UnsafeMutableRawPointer.allocate(byteCount: width * Self.stripes * MemoryLayout<Atomic<Int>>.stride,
                                                   alignment: 64)
        cells = raw.bindMemory(to: Atomic<Int>.self, capacity: width * Self.stripes)
        for i in 0..<(width * Self.stripes) { (cells + i).initialize(to: Atomic(0)) }
    }

    deinit {
        cells.deinitialize(count: width * Self.stripes)
        UnsafeMutableRawPointer(cells).deallocate()
    }

    /// Adds `amount` to counter `index` (in the calling thread's stripe).
    @inline(__always)
    func add(_ index: Int, _ amount: Int = 1) {
        cells[Self.stripe() &* width &+ index].wrappingAdd(amount, ordering: .relaxed)
    }

    /// Counter `index` summed over the stripes (a scrape; adds racing with it land in the next one).
    func total(_ index: Int) -> Int {
        var sum = 0
        for s in 0..<Self.stripes { sum &+= cells[s * width + index].load(ordering: .relaxed) }
        return sum
    }

    /// The calling thread's stripe: its thread handle (the address of its control block, far
    /// apart for different threads) hashed to a stripe number.
    @inline(__always)
    static func stripe() -> Int {
        #if os(Linux)
        let id = UInt64(pthread_self())
        #else
        let id = UInt64(UInt(bitPattern: pthread_self()))
        #endif
        // Fibonacci hashing: the top 4 bits of the product pick one of the 16 stripes.
        return Int(truncatingIfNeeded: ((id >> 12) &* 0x9E37_79B9_7F4A_7C15) >> 60)
    }
}

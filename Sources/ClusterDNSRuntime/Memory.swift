#if canImport(Glibc)
import Glibc
#endif
import DNSModel
import Foundation

/// Process memory housekeeping (glibc malloc). Both knobs are looked up at run time, so another
/// libc simply skips them.
enum Memory {
    /// Returns freed heap pages to the system (glibc `malloc_trim`). Decoding large manifests leaves
    /// the parser's freed buffers in malloc's arenas; trimming makes the resident size reflect the
    /// store rather than the parse.
    static func trim() {
        #if canImport(Glibc)
        typealias MallocTrim = @convention(c) (Int) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
        #endif
    }

    /// Caps glibc's malloc arenas at `count` (`mallopt(M_ARENA_MAX)`), unless the operator set
    /// `MALLOC_ARENA_MAX`. glibc gives every thread that allocates under contention an arena of its
    /// own, up to 8 per core; each keeps its freed pages, so with NIO's event loops, the cooperative
    /// pool and the source threads the resident size grows with the number of threads that ever
    /// allocated, not with the data. Two arenas measured the same throughput with less growth.
    static func limitArenas(to count: Int32 = 2) {
        #if canImport(Glibc)
        guard ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] == nil else { return }
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let M_ARENA_MAX: Int32 = -8  // glibc malloc.h
        _ = unsafeBitCast(symbol, to: Mallopt.self)(M_ARENA_MAX, count)
        #endif
    }
}

/// Calls `Memory.trim()` every `interval` on a thread of its own, so pages freed after a burst
/// (a relist, an emptied answer cache) go back to the system instead of staying resident.
/// The thread sleeps between trims; it never touches the store or the event loops.
final class MemoryTrimmer: @unchecked Sendable {
    private let stopped = Locked(false)
    private let condition = NSCondition()

    /// Starts trimming every `interval` seconds.
    init(interval: TimeInterval = 30) {
        let thread = Thread { [stopped, condition] in
            condition.lock()
            defer { condition.unlock() }
            while !stopped.withLock({ $0 }) {
                _ = condition.wait(until: Date(timeIntervalSinceNow: interval))
                if stopped.withLock({ $0 }) { break }
                Memory.trim()
            }
        }
        thread.name = "clusterdns-trim"
        thread.start()
    }

    /// Ends the thread at its next wake-up (at once).
    func stop() {
        condition.lock()
        stopped.withLock { $0 = true }
        condition.signal()
        condition.unlock()
    }
}

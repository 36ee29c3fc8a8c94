#if canImport(Glibc)
import Glibc
#endif
import DNSModel
import Foundation
import Synchronization

/// Process memory housekeeping: glibc malloc (both knobs are looked up at run time, so another
/// libc simply skips them) and the executable's code pages.
enum Memory {
    /// Whether `trim()` also drops the executable's code pages (`releaseCodePages()`); set by
    /// `serve` only, as it concerns the whole process.
    static let releasesCodePages = Atomic<Bool>(false)

    /// Returns freed heap pages to the system (glibc `malloc_trim`). Decoding large manifests leaves
    /// the parser's freed buffers in malloc's arenas; trimming makes the resident size reflect the
    /// store rather than the parse.
    static func trim() {
        #if canImport(Glibc)
        typealias MallocTrim = @convention(c) (Int) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
        #endif
        if releasesCodePages.load(ordering: .relaxed) { releaseCodePages() }
    }

    /// Unmaps the resident pages of the executable's own code (its `r-xp` mappings) from this
    /// process, so that only code run since comes back (on demand, from the page cache).
    ///
    /// The static binary is ~42 MB of code and constants; start-up (argument parsing, YAML and
    /// JSON decoding, Foundation and NIO initialisation) plus the kernel's fault-around leave
    /// ~25 MB of it mapped, which the resident set size counts although the serving path uses a
    /// fraction. The pages are clean and file-backed: dropping them loses nothing (the kernel
    /// would do the same under memory pressure), and the page cache keeps them. Only `r-xp`
    /// mappings of the executable file are touched: never data, and never RELRO (read-only after
    /// relocation, so its pages are private and dirty, and never executable).
    static func releaseCodePages() {
        #if canImport(Glibc)
        guard let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"),
              let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8) else { return }
        for line in maps.split(separator: "\n") {
            // address perms offset dev inode path
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard fields.count == 6, fields[1] == "r-xp", fields[5].trimmingCharacters(in: .whitespaces) == exe else { continue }
            let bounds = fields[0].split(separator: "-").compactMap { UInt(String($0), radix: 16) }
            guard bounds.count == 2, bounds[1] > bounds[0], let start = UnsafeMutableRawPointer(bitPattern: bounds[0]) else { continue }
            _ = madvise(start, Int(bounds[1] - bounds[0]), MADV_DONTNEED)
        }
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

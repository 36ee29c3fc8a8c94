#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value guarded by a pthread mutex; the `withLock` shape of `Synchronization.Mutex`.
///
/// Why not `Mutex`: on Linux it locks with raw futex calls, which ThreadSanitizer cannot see, so
/// every value it guards is reported as a race and the sanitized suite (issue 7) would be noise.
/// A pthread mutex is understood by TSan and costs the same when uncontended.
///
/// The value lives behind a pointer rather than in a `var` property: an `inout` access to a class
/// property is checked for exclusivity at run time (`swift_beginAccess`) on every call, and the
/// mutex already makes the access exclusive.
public final class Locked<Value>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let value: UnsafeMutablePointer<Value>

    /// Guards `value`, which is sent in (as to `Mutex`): the caller keeps no other reference to a
    /// non-Sendable value, so everything it reaches is guarded by the lock.
    public init(_ value: sending Value) {
        mutex = .allocate(capacity: 1)
        self.value = .allocate(capacity: 1)
        self.value.initialize(to: value)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        value.deinitialize(count: 1)
        value.deallocate()
    }

    /// Runs `body` with exclusive access to the value.
    @inline(__always)
    public func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value.pointee)
    }
}

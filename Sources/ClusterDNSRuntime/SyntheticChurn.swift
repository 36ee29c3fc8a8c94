import Foundation
import DNSModel
import ClusterModel
import DNSServer

/// A benchmark load for the store: flips the readiness of random pods at a fixed rate, straight
/// into `ClusterStore` from a thread of its own, so the cost of churn on the DNS path can be
/// measured without an HTTP client competing for the CPU (issue 6: "10,000 object changes per
/// second through the store"). Each flip changes its pod's services' endpoints, hence their
/// answers. Started by `serve --synthetic-churn RATE`; never on by default. It flips its own copies
/// of the pods it found at start, so it overrides any other change to those pods' readiness.
final class SyntheticChurn: @unchecked Sendable {
    private let stopped = Locked(false)
    /// Changes applied so far, and the seconds since the first batch was due.
    private let progress = Locked((applied: 0, seconds: 0.0))
    /// Signalled when the thread has returned.
    private let finished = DispatchSemaphore(value: 0)

    /// Applies `rate` changes per second in batches every `interval` (one snapshot per batch),
    /// until stopped or, with a `limit`, until that many changes are applied.
    init(store: ClusterStore, rate: Int, interval: Duration = .milliseconds(1), limit: Int = .max) {
        let thread = Thread { [stopped, progress, finished] in
            defer { finished.signal() }
            Self.scheduleAsBatchWork()
            nameCurrentThread("cdns-churn")           // what Benchmarks/churn/store MODE=fixed reads
            // Its own copies of the pods, both versions of each built once: a flip costs an array
            // swap, not a lookup in the store nor an allocation (what is measured is the store's
            // work, not the load generator's).
            var pods = Array(store.snapshot.pods.values)
            var flipped = pods.map { $0.withReady(!$0.ready) }
            guard !pods.isEmpty, rate > 0 else { return }
            // Seeded once: the system generator is a getrandom(2) call per number.
            var random = SplitMix(seed: .random(in: .min ... .max))
            let clock = ContinuousClock()
            let started = clock.now
            var done = 0
            while !stopped.withLock({ $0 }), done < limit {
                // Catch up to where the rate says we should be (bounded, if the thread fell behind).
                let seconds = (clock.now - started).inSeconds
                let due = Int(Double(rate) * seconds)
                let batch = min(due - done, max(1, rate / 10), limit - done)
                if batch > 0 {
                    var changes: [ClusterChange] = []
                    changes.reserveCapacity(batch)
                    for _ in 0..<batch {
                        let i = Int(random.next() % UInt64(pods.count))
                        swap(&pods[i], &flipped[i])
                        changes.append(.upsert(.pod(pods[i])))
                    }
                    store.apply(changes, source: "synthetic-churn")
                    done += batch
                }
                progress.withLock { $0 = (done, seconds) }
                Thread.sleep(forTimeInterval: interval.inSeconds)
            }
        }
        thread.start()
    }

    /// Marks the calling thread as batch work (Linux `SCHED_BATCH`, sched(7)): same share of the
    /// CPU, but its wake-ups do not preempt a running thread, so a batch waits for a DNS thread's
    /// time slice to end instead of stalling it (or dnsperf) mid-batch. The store's writers in a
    /// server watching a real cluster are NIO threads and are not changed.
    static func scheduleAsBatchWork() {
        #if os(Linux)
        var parameters = sched_param(sched_priority: 0)
        _ = pthread_setschedparam(pthread_self(), 3 /* SCHED_BATCH, not exported to Swift */, &parameters)
        #endif
    }

    /// Ends the thread after its current batch and waits for it (up to 5 s); returns the changes
    /// it applied and the seconds they took (the rate actually reached, below the one asked for
    /// when the thread falls behind). After it returns, the store holds exactly those changes.
    func stop() -> (applied: Int, seconds: Double) {
        stopped.withLock { $0 = true }
        return wait(timeout: .seconds(5))
    }

    /// Waits (up to `timeout`) for the thread to end by itself (its `limit` reached); returns what
    /// it applied, as `stop` does.
    func wait(timeout: Duration) -> (applied: Int, seconds: Double) {
        if finished.wait(timeout: .now() + .nanoseconds(Int(timeout.wholeNanoseconds))) == .success {
            finished.signal()                        // ended: any later wait returns at once
        }
        return progress.withLock { $0 }
    }
}

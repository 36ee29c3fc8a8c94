import NIOCore

/// A task executor (SE-0417) that runs its jobs on one NIO event loop.
///
/// Deferred replies (forwarded queries, ExternalName chases) run on it rather than on Swift's
/// shared concurrency pool. That pool has one thread per core, and anything synchronous on it
/// (decoding a large Kubernetes list, say) holds a thread for as long as it runs; a forward
/// waiting behind it would outlive the client's timeout although its upstream had answered.
final class EventLoopTaskExecutor: TaskExecutor {
    let loop: any EventLoop

    init(_ loop: any EventLoop) { self.loop = loop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

extension EventLoopTaskExecutor {
    /// Runs a deferred reply's producer on this executor's loop and hands what it produces to
    /// `deliver`, on that loop; a nil reply delivers nothing.
    func run(_ produce: @escaping @Sendable () async -> [UInt8]?, deliver: @escaping @Sendable ([UInt8]) -> Void) {
        Task(executorPreference: self) {
            guard let out = await produce() else { return }
            deliver(out)
        }
    }
}

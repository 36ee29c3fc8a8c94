import CDatagram

/// Names the calling thread for the kernel (`top -H`, `/proc/PID/task/TID/comm`), cut to the
/// 15 bytes Linux keeps. Foundation's `Thread.name` does not reach the kernel on Linux, so the
/// server's own threads (UDP readers, the benchmark's churn thread) call this first.
public func nameCurrentThread(_ name: String) {
    _ = cdatagram_set_thread_name(String(decoding: name.utf8.prefix(15), as: UTF8.self))
}

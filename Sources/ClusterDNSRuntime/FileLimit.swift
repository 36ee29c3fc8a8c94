#if canImport(Glibc)
import Glibc
#endif

/// The open-file limit of the process.
enum FileLimit {
    /// Raises the soft limit on open files (`RLIMIT_NOFILE`) to the hard limit, as Go programs
    /// such as CoreDNS do at start: the soft default (often 1,024) is below what 1,000 DNS TCP
    /// connections, 256 admin connections and the manifest watcher need together, and a process
    /// out of descriptors cannot open directories, accept connections or start threads. Returns
    /// the limits before and after; nothing changes where the call fails.
    @discardableResult
    static func raiseToHardLimit() -> (before: UInt64, after: UInt64) {
        #if canImport(Glibc)
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return (0, 0) }
        let before = UInt64(limit.rlim_cur)
        guard limit.rlim_cur < limit.rlim_max else { return (before, before) }
        limit.rlim_cur = limit.rlim_max
        guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return (before, before) }
        return (before, UInt64(limit.rlim_cur))
        #else
        return (0, 0)
        #endif
    }
}

import DNSModel
import Foundation
import Logging
import Synchronization
import ClusterModel
import ClusterDNSAdmin

/// Manifest files and directories as a source of the endpoint store. Each file is one source:
/// it applies all or nothing, a broken file keeps its last good objects, and a removed file
/// removes the objects it last wrote. Paths are polled, so edits, new files and deletions are
/// seen within one poll interval on any file system.
public final class ManifestSource: Sendable {
    /// What a file looked like when last read: a change in any field means read it again.
    struct Stamp: Equatable { var modified: Double; var size: Int; var inode: Int }

    let paths: [String]
    let store: ClusterStore
    let logger: Logger
    /// Records the programming latency of each file change, when set.
    let metrics: ClusterDNSMetrics?
    private let seen = Locked<[String: Stamp]>([:])
    /// The last error per file, for `/readyz` and logs.
    private let errors = Locked<[String: String]>([:])

    public init(paths: [String], store: ClusterStore, logger: Logger, metrics: ClusterDNSMetrics? = nil) {
        self.paths = paths; self.store = store; self.logger = logger; self.metrics = metrics
    }

    /// Problems of files whose last read failed, as `file: message`.
    public var currentErrors: [String: String] { errors.withLock { $0 } }

    /// Files under the configured paths (directories recursively), sorted.
    func files() -> [String] {
        var out: [String] = []
        let fm = FileManager.default
        for path in paths {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDir) else { continue }
            if !isDir.boolValue { out.append(path); continue }
            guard let walker = fm.enumerator(atPath: path) else { continue }
            while let rel = walker.nextObject() as? String {
                let ext = (rel as NSString).pathExtension.lowercased()
                guard ["yaml", "yml", "json"].contains(ext), !(rel as NSString).lastPathComponent.hasPrefix(".") else { continue }
                out.append((path as NSString).appendingPathComponent(rel))
            }
        }
        return out.sorted()
    }

    func stamp(_ file: String) -> Stamp? {
        guard let a = try? FileManager.default.attributesOfItem(atPath: file) else { return nil }
        return Stamp(modified: (a[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0,
                     size: (a[.size] as? Int) ?? 0, inode: (a[.systemFileNumber] as? Int) ?? 0)
    }

    /// Reads every new or changed file and drops removed ones. Returns how many files changed.
    /// The changed files are decoded side by side (decoding is nearly all of a load: ~30 µs a
    /// Pod), then applied one by one in path order, so a later file still wins an object two
    /// files both define, as when they are read in turn.
    @discardableResult
    public func scan() -> Int {
        let current = files()
        var stamps: [String: Stamp] = [:]
        for f in current { if let s = stamp(f) { stamps[f] = s } }
        let previous = seen.withLock { $0 }
        let changedFiles = current.filter { f in stamps[f].map { previous[f] != $0 } ?? false }
        let start = ContinuousClock.now
        for (file, result) in zip(changedFiles, Self.decode(changedFiles)) {
            apply(file, result, since: start)
        }
        var changed = changedFiles.count
        for f in previous.keys where stamps[f] == nil {
            changed += 1
            let seenAt = ContinuousClock.now
            store.replace(source: Self.sourceName(f), with: [])
            metrics?.recordProgramming(ContinuousClock.now - seenAt)
            errors.withLock { _ = $0.removeValue(forKey: f) }
            logger.info("manifest removed", metadata: ["file": "\(f)"])
        }
        seen.withLock { $0 = stamps }
        return changed
    }

    /// The objects of each file, or why it is rejected; files decoded concurrently, one per core.
    static func decode(_ files: [String]) -> [Result<[KubeObject], any Error>] {
        guard files.count > 1 else { return files.map(decode) }
        let results = Mutex([Result<[KubeObject], any Error>?](repeating: nil, count: files.count))
        let next = Atomic<Int>(0)
        let workers = min(files.count, max(1, ProcessInfo.processInfo.activeProcessorCount))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard i < files.count else { return }
                let result = decode(files[i])
                results.withLock { $0[i] = result }
            }
        }
        return results.withLock { $0.map { $0! } }
    }

    /// The objects of one file, or why it is rejected.
    static func decode(_ file: String) -> Result<[KubeObject], any Error> {
        Result {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ManifestError(source: file, document: 0, field: "", message: "cannot read file")
            }
            return try ManifestDecoder.decode(data, source: file).objects
        }
    }

    /// Makes a decoded file the file's contribution to the store, or keeps its last good one
    /// when it was rejected.
    func apply(_ file: String, _ result: Result<[KubeObject], any Error>, since start: ContinuousClock.Instant) {
        switch result {
        case .success(let objects):
            store.replace(source: Self.sourceName(file), with: objects)
            metrics?.recordProgramming(ContinuousClock.now - start)
            errors.withLock { _ = $0.removeValue(forKey: file) }
            logger.info("manifest loaded", metadata: [
                "file": "\(file)", "objects": "\(objects.count)",
                "duration": "\(ContinuousClock.now - start)"])
        case .failure(let error):
            errors.withLock { $0[file] = "\(error)" }
            logger.error("manifest rejected; serving its last good content", metadata: ["error": "\(error)"])
        }
    }

    /// The store's source name for a file.
    static func sourceName(_ file: String) -> String { "file:" + file }

    /// Starts polling every `interval` on a thread of its own, so neither a busy cooperative
    /// thread pool nor slow admin requests can delay a change past the promised second.
    /// Returns the handle that stops it.
    public func startWatching(every interval: Duration) -> ManifestWatch {
        let watch = ManifestWatch()
        let micros = UInt32(clamping: max(10_000, interval.wholeNanoseconds / 1000))
        let thread = Thread { [self] in
            while !watch.isStopped {
                usleep(micros)
                if watch.isStopped { break }
                scan()
            }
        }
        thread.name = "clusterdns-manifest-watch"
        thread.start()
        return watch
    }
}

/// Stops a manifest watch started with `ManifestSource.startWatching(every:)`.
public final class ManifestWatch: Sendable {
    private let stopped = Atomic<Bool>(false)
    /// True once `stop()` was called.
    public var isStopped: Bool { stopped.load(ordering: .relaxed) }
    /// Ends the polling after the current scan.
    public func stop() { stopped.store(true, ordering: .relaxed) }
}

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
    @discardableResult
    public func scan() -> Int {
        let current = files()
        var stamps: [String: Stamp] = [:]
        for f in current { if let s = stamp(f) { stamps[f] = s } }
        let previous = seen.withLock { $0 }
        var changed = 0
        for f in current {
            guard let s = stamps[f], previous[f] != s else { continue }
            changed += 1
            load(f)
        }
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

    func load(_ file: String) {
        let start = ContinuousClock.now
        do {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ManifestError(source: file, document: 0, field: "", message: "cannot read file")
            }
            let contents = try ManifestDecoder.decode(data, source: file)
            store.replace(source: Self.sourceName(file), with: contents.objects)
            metrics?.recordProgramming(ContinuousClock.now - start)
            errors.withLock { _ = $0.removeValue(forKey: file) }
            logger.info("manifest loaded", metadata: [
                "file": "\(file)", "objects": "\(contents.objects.count)",
                "duration": "\(ContinuousClock.now - start)"])
        } catch {
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

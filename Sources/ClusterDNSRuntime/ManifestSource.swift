import Foundation
import Logging
import Synchronization
import ClusterModel

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
    private let seen = Mutex<[String: Stamp]>([:])
    /// The last error per file, for `/readyz` and logs.
    private let errors = Mutex<[String: String]>([:])

    public init(paths: [String], store: ClusterStore, logger: Logger) {
        self.paths = paths; self.store = store; self.logger = logger
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
            store.replace(source: Self.sourceName(f), with: [])
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

    /// Polls until the task is cancelled.
    public func watch(every interval: Duration) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            scan()
        }
    }
}

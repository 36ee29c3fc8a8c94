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
    /// What a file looked like when last read.
    typealias Stamp = FileStamp

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

    /// The manifest files (`.yaml`, `.yml`, `.json`) under the configured paths, directories
    /// walked recursively and symbolic links followed, sorted; and the paths that exist but could
    /// not be read (no file descriptor left, no permission, a link loop), whose files are
    /// neither read nor removed while that lasts. Hidden entries (a leading `.`) are skipped,
    /// among them the kubelet's `..data` link and `..<timestamp>` directories in a ConfigMap
    /// volume, so each of its files is read once, through its visible link. A configured path
    /// that does not exist contributes nothing.
    func files() -> (files: [String], unreadable: [(path: String, reason: String)]) {
        Self.files(under: paths)
    }

    /// `files()` for any paths: what `serve` reads, for `check` and `explain` to read the same.
    public static func files(under paths: [String]) -> (files: [String], unreadable: [(path: String, reason: String)]) {
        var out: [String] = [], unreadable: [(path: String, reason: String)] = []
        for path in paths {
            var info = stat()
            guard stat(path, &info) == 0 else {
                if errno != ENOENT && errno != ENOTDIR { unreadable.append((path, reason())) }
                continue
            }
            if info.st_mode & S_IFMT == S_IFDIR {
                var visited: Set<[UInt]> = []
                walk(path, info, into: &out, unreadable: &unreadable, visited: &visited)
            } else {
                out.append(path)
            }
        }
        return (out.sorted(), unreadable)
    }

    /// Adds the manifest files under directory `dir` (whose `stat` is `info`) to `out`, and what
    /// could not be read to `unreadable`; each directory once (`visited`: device and inode), so
    /// a link loop ends.
    private static func walk(_ dir: String, _ info: stat, into out: inout [String], unreadable: inout [(path: String, reason: String)],
                      visited: inout Set<[UInt]>) {
        guard visited.insert([UInt(info.st_dev), UInt(info.st_ino)]).inserted else { return }
        guard let handle = opendir(dir) else {
            if errno != ENOENT { unreadable.append((dir, Self.reason())) }  // ENOENT: removed since it was listed
            return
        }
        defer { closedir(handle) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(handle) else {
                if errno != 0 { unreadable.append((dir, Self.reason())); return }
                break
            }
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if !name.hasPrefix(".") { names.append(name) }
        }
        for name in names {
            let path = dir.hasSuffix("/") ? dir + name : dir + "/" + name
            var entry = stat()
            guard stat(path, &entry) == 0 else {
                if errno != ENOENT { unreadable.append((path, Self.reason())) }  // ENOENT: gone, or a dangling link
                continue
            }
            if entry.st_mode & S_IFMT == S_IFDIR {
                walk(path, entry, into: &out, unreadable: &unreadable, visited: &visited)
            } else if entry.st_mode & S_IFMT == S_IFREG,       // not a FIFO, socket or device
                      ["yaml", "yml", "json"].contains((name as NSString).pathExtension.lowercased()) {
                out.append(path)
            }
        }
    }

    /// What `stat` says of a path.
    enum Examined { case present(Stamp), absent, unreadable(String) }

    /// `errno` as text.
    static func reason() -> String { String(cString: strerror(errno)) }

    /// The file's stamp (links followed), or that it no longer exists, or why it cannot be examined.
    func stamp(_ file: String) -> Examined {
        guard let stamp = FileStamp(path: file) else { return errno == ENOENT || errno == ENOTDIR ? .absent : .unreadable(Self.reason()) }
        return .present(stamp)
    }

    /// Reads every new or changed file and drops removed ones. Returns how many files changed.
    /// The changed files are decoded, then applied one by one in path order, so a later file
    /// wins an object two files both define.
    @discardableResult
    public func scan() -> Int {
        var (current, unreadable) = files()
        var stamps: [String: Stamp] = [:]
        for f in current {
            switch stamp(f) {
            case .present(let s): stamps[f] = s
            case .unreadable(let reason): unreadable.append((f, reason))
            case .absent: break
            }
        }
        let previous = seen.withLock { $0 }
        // What could not be examined is kept as it was: not knowing a file is there is not
        // knowing it is gone (with no file descriptor left, every directory fails to open).
        if !unreadable.isEmpty {
            for (f, s) in previous where stamps[f] == nil && unreadable.contains(where: { f == $0.path || f.hasPrefix($0.path + "/") }) {
                stamps[f] = s
            }
        }
        reportUnreadable(unreadable)
        let changedFiles = current.filter { f in stamps[f].map { previous[f] != $0 } ?? false }
        let start = ContinuousClock.now
        var unread: [String] = []
        var changed = 0
        let known = digests.withLock { $0 }
        for (file, result) in zip(changedFiles, Self.read(changedFiles, digests: known)) {
            if case .same = result {
                // Touched (`chmod`, `touch`, the same bytes saved again), not changed: its objects
                // stay as they are, changes made through the API since included.
                errors.withLock { _ = $0.removeValue(forKey: file) }
                continue
            }
            changed += 1
            apply(file, result, since: start)
            if case .failed(let error) = result, error is UnreadableFile { unread.append(file) }
        }
        for f in previous.keys.sorted() where stamps[f] == nil {
            changed += 1
            let seenAt = ContinuousClock.now
            store.replace(source: Self.sourceName(f), with: [])
            errors.withLock { _ = $0.removeValue(forKey: f) }
            digests.withLock { _ = $0.removeValue(forKey: f) }
            let gone = defined.withLock { $0.removeValue(forKey: f) } ?? []
            restoreFromOtherFiles(gone.filter { store.snapshot.object($0) == nil })
            metrics?.recordProgramming(ContinuousClock.now - seenAt)
            logger.info("manifest removed", metadata: ["file": "\(f)"])
        }
        // A file that could not be read (not one that did not parse) is read again next time.
        for f in unread { stamps[f] = .unread }
        seen.withLock { $0 = stamps }
        metrics?.setManifestFilesRejected(errors.withLock { $0.count })
        return changed
    }

    /// What reading a file gave.
    enum FileRead {
        /// Its objects, and the digest of its bytes.
        case objects([KubeObject], digest: Int)
        /// The same bytes as when it was last applied.
        case same
        /// Why it is rejected.
        case failed(any Error)
    }

    /// Each file read and decoded, one after the other; `digests` are those of the bytes last
    /// applied, by file. Not side by side: with the files of the large benchmark cluster decoded
    /// on both cores, what each thread built stayed in its own malloc arena between the other
    /// thread's garbage, and the loaded server kept 9–12 MiB more resident in most runs (29.9 MiB
    /// anonymous one after the other, every run; 29.9–42.2 side by side, by thread timing), for
    /// a load 0.2 s shorter (0.47–0.51 s against 0.65–0.80 s to `/readyz`).
    static func read(_ files: [String], digests: [String: Int]) -> [FileRead] {
        files.map { read($0, digest: digests[$0]) }
    }

    /// One file read and, unless its bytes hash to `digest`, decoded. A file over the size limit
    /// is refused before it is read; a file that had content and is now empty is taken as one
    /// being written (an editor or `cp` truncates first), not as one that defines nothing, so
    /// its last good content stays served (delete the file to remove its objects).
    static func read(_ file: String, digest: Int?) -> FileRead {
        let limit = ManifestLimits().maxBytes
        var info = stat()
        let known = stat(file, &info) == 0
        if known, Int(info.st_size) > limit {
            return .failed(ManifestError(source: file, document: 0, field: "",
                                         message: "file is \(info.st_size) bytes, more than the limit of \(limit)"))
        }
        // An empty regular file is not handed to Foundation, whose reader leaks its buffer on
        // files whose size reads as 0 (LeakSanitizer reports it).
        let empty = known && info.st_size == 0 && (info.st_mode & S_IFMT) == S_IFREG
        guard let data = empty ? Data() : FileManager.default.contents(atPath: file) else {
            return .failed(UnreadableFile(path: file, reason: access(file, R_OK) == 0 ? "read failed" : Self.reason()))
        }
        var hasher = Hasher()
        hasher.combine(data.count)
        data.withUnsafeBytes { hasher.combine(bytes: $0) }
        let newDigest = hasher.finalize()
        if newDigest == digest { return .same }
        if data.isEmpty, digest != nil { return .failed(EmptyFile(path: file)) }
        do {
            return .objects(try ManifestDecoder.decode(data, source: file).objects, digest: newDigest)
        } catch {
            return .failed(error)
        }
    }

    /// The keys of the objects each file defined when it was last applied.
    private let defined = Locked<[String: Set<ObjectKey>]>([:])

    /// Objects a removed or edited file took away that other files still define: each comes back
    /// as the last such file in path order defines it, which is what a restart would serve (a
    /// later file wins an object).
    private func restoreFromOtherFiles(_ keys: [ObjectKey]) {
        guard !keys.isEmpty else { return }
        var wanted = Set(keys)
        let owners = defined.withLock { $0 }
        for file in owners.keys.sorted().reversed() where !owners[file]!.isDisjoint(with: wanted) {
            guard case .objects(let objects, _) = Self.read(file, digest: nil) else { continue }
            let restored = objects.filter { wanted.contains($0.key) }
            store.apply(restored.map { .upsert($0) }, source: Self.sourceName(file))
            wanted.subtract(restored.map(\.key))
            if wanted.isEmpty { return }
        }
    }

    /// The digest of the bytes each file had when it was last applied (a touch is not a change).
    private let digests = Locked<[String: Int]>([:])

    /// Paths that could not be examined at the last scan, to log a change of them once.
    private let unreadablePaths = Locked<[String]>([])

    /// Logs the paths that could not be examined when they differ from the last scan's.
    private func reportUnreadable(_ unreadable: [(path: String, reason: String)]) {
        let paths = unreadable.map(\.path).sorted()
        guard unreadablePaths.withLock({ old in defer { old = paths }; return old != paths }) else { return }
        if paths.isEmpty {
            logger.notice("manifests readable again")
        } else {
            logger.warning("manifest paths cannot be read; their files keep their last good content",
                           metadata: ["paths": "\(unreadable.map { "\($0.path): \($0.reason)" }.joined(separator: "; "))"])
        }
    }

    /// A manifest file that exists but could not be read (permissions, no file descriptor left).
    struct UnreadableFile: Error, CustomStringConvertible {
        var path: String
        var reason: String
        var description: String { "\(path): cannot read file: \(reason)" }
    }

    /// A manifest file that had content and is now empty (being written, or emptied by hand).
    struct EmptyFile: Error, CustomStringConvertible {
        var path: String
        var description: String { "\(path): the file is empty (still being written?); delete it to remove its objects" }
    }

    /// Makes a decoded file the file's contribution to the store, or keeps its last good one
    /// when it was rejected.
    func apply(_ file: String, _ result: FileRead, since start: ContinuousClock.Instant) {
        switch result {
        case .same:
            return
        case .objects(let objects, let digest):
            store.replace(source: Self.sourceName(file), with: objects)
            digests.withLock { $0[file] = digest }
            let keys = Set(objects.map(\.key))
            let dropped = defined.withLock { d in defer { d[file] = keys }; return (d[file] ?? []).subtracting(keys) }
            restoreFromOtherFiles(dropped.filter { store.snapshot.object($0) == nil })
            metrics?.recordProgramming(ContinuousClock.now - start)
            errors.withLock { _ = $0.removeValue(forKey: file) }
            logger.info("manifest loaded", metadata: [
                "file": "\(file)", "objects": "\(objects.count)",
                "duration": "\(ContinuousClock.now - start)"])
        case .failed(let error):
            // Logged when the problem is new, not at every poll while it lasts (a file that
            // cannot be read is tried again each poll).
            let message = "\(error)"
            let repeated = errors.withLock { known in defer { known[file] = message }; return known[file] == message }
            if !repeated {
                logger.error("manifest rejected; serving its last good content", metadata: ["error": "\(message)"])
            }
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

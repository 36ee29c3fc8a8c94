import Foundation
import Logging
import DNSModel
import ClusterDNS
import ClusterDNSAdmin

/// Loads the zone files of `--zones` and loads them again, whole, when they change: on SIGHUP
/// (as Knot's and NSD's `reload`) and when a poll sees a zone file added, removed or rewritten,
/// or a file one `$INCLUDE`s (as CoreDNS's `file` plugin reloads). A file that no longer loads
/// keeps its last good zone, named in the log and counted in `clusterdns_zone_files_rejected`;
/// a file removed takes its zone away. Each load builds a new `Authority` and hands it to
/// `serve` in one piece.
final class ZoneReloader: Sendable {
    private struct State {
        /// The zone each file last loaded, by path.
        var lastGood: [String: StaticZone] = [:]
        /// The zone files and the files they include, as they were when last loaded.
        var stamps: [String: FileStamp] = [:]
        /// The files `$INCLUDE`s named at the last load.
        var included: [String] = []
    }

    let directory: String
    /// The cluster domain, whose file is the cluster zone's overlay rather than a zone of its own.
    let overlayOrigin: DomainName
    private let build: @Sendable ([StaticZone]) -> Authority
    private let serve: @Sendable (Authority) -> Void
    private let metrics: ClusterDNSMetrics?
    private let logger: Logger
    private let state = Locked(State())

    /// A reloader for `directory`: `build` makes the authority for a set of zones, `serve` puts it
    /// in service.
    init(directory: String, overlayOrigin: DomainName, metrics: ClusterDNSMetrics?, logger: Logger,
         build: @escaping @Sendable ([StaticZone]) -> Authority, serve: @escaping @Sendable (Authority) -> Void) {
        self.directory = directory; self.overlayOrigin = overlayOrigin.lowercased(); self.metrics = metrics; self.logger = logger
        self.build = build; self.serve = serve
    }

    /// Loads the directory and serves what loaded, plus, for a file that does not load now, the
    /// zone it loaded last time. A directory that cannot be listed (no file descriptor left, no
    /// permission) changes nothing: the zones served stay. Returns the authority served, nil when
    /// nothing was served (the directory could not be listed).
    @discardableResult
    func load(reason: String) -> Authority? {
        state.withLock { s in
            guard let (loaded, failures, included) = ZoneLoader.loadFiles(directory: directory),
                  let stamps = Self.stamps(of: directory, including: included) else {
                logger.error("zone directory cannot be listed; the zones served stay as they are",
                             metadata: ["directory": "\(directory)", "reason": "\(reason)"])
                return nil
            }
            let before = s.stamps
            s.stamps = stamps
            s.included = included
            var zones = loaded.map(\.zone)
            var served = Set(zones.map(\.origin))
            var lastGood = Dictionary(loaded.map { ($0.file, $0.zone) }, uniquingKeysWith: { a, _ in a })
            for failure in failures {
                // The last good version of a file that is still there, unless a file loaded now serves its zone.
                if let kept = s.lastGood[failure.file], stamps[failure.file] != nil, !served.contains(kept.origin) {
                    zones.append(kept)
                    served.insert(kept.origin)
                    lastGood[failure.file] = kept
                    logger.error("zone file rejected; its last good version is still served",
                                 metadata: ["file": "\(failure.file)", "error": "\(failure.reason)"])
                } else {
                    logger.error("zone file rejected; its zone is not served", metadata: ["file": "\(failure.file)", "error": "\(failure.reason)"])
                }
            }
            s.lastGood = lastGood
            metrics?.setZoneFilesRejected(failures.count)
            zones.sort { $0.origin < $1.origin }
            logger.info("zones loaded", metadata: ["directory": "\(directory)", "zones": "\(zones.map { $0.origin.description })",
                                                   "reason": "\(reason)"])
            // Warnings for the files read for the first time or changed since, not again at every reload.
            for (file, zone) in loaded where before[file] != stamps[file] {
                warn(about: zone, from: file)
            }
            let authority = build(zones)
            serve(authority)
            return authority
        }
    }

    /// Logs what a zone file holds that is served other than its reader may expect.
    private func warn(about zone: StaticZone, from file: String) {
        let named = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        if DomainName(named).map({ $0.lowercased() != zone.origin }) ?? true {
            logger.warning("zone file serves a zone other than its name: the apex is its SOA owner",
                           metadata: ["file": "\(file)", "zone": "\(zone.origin)"])
        }
        for warning in zone.warnings { logger.warning("\(warning)", metadata: ["zone": "\(zone.origin)"]) }
        // The cluster domain's file is an overlay of plain names: nothing there is hidden by a DNAME.
        guard zone.origin != overlayOrigin else { return }
        for name in zone.hiddenByDNAME {
            logger.warning("name below a DNAME is not served (RFC 6672 §2.3: a DNAME owner has no descendants)",
                           metadata: ["zone": "\(zone.origin)", "name": "\(name)"])
        }
    }

    /// Loads again when a zone file was added, removed or rewritten since the last load, or a
    /// file one includes; returns whether it did.
    @discardableResult
    func reloadIfChanged() -> Bool {
        let (stamps, included) = state.withLock { ($0.stamps, $0.included) }
        guard let now = Self.stamps(of: directory, including: included), stamps != now else { return false }
        load(reason: "zone files changed")
        return true
    }

    /// Polls the directory every `interval` until the task is cancelled.
    func watch(every interval: Duration) -> Task<Void, Never> {
        Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard let self, !Task.isCancelled else { return }
                reloadIfChanged()
            }
        }
    }

    /// The stamp of each zone file of `directory` and of each of `included`, by path; a file
    /// that cannot be examined (a dangling link, an included file not there) has none. Nil when
    /// the directory cannot be listed. Other files of the directory do not count: a log written
    /// there does not reload the zones.
    static func stamps(of directory: String, including included: [String]) -> [String: FileStamp]? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return nil }
        var out: [String: FileStamp] = [:]
        for name in names where ZoneLoader.isZoneFile(name) {
            let path = (directory as NSString).appendingPathComponent(name)
            out[path] = FileStamp(path: path)
        }
        for path in included { out[path] = FileStamp(path: path) }
        return out
    }
}

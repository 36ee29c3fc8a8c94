import Foundation
import DNSModel
import DNSWire
import ClusterDNS

/// Loads every RFC 1035 master file in a directory as a static zone. The apex is the file name
/// without `.zone` (`example.test.zone` → `example.test.`), unless the file sets `$ORIGIN`.
public enum ZoneLoader {
    /// A zone file that could not be loaded: it does not parse, or it is not a zone an
    /// authoritative server may serve (as Knot and NSD refuse it).
    public struct Failure: Error, CustomStringConvertible {
        public var file: String
        public var reason: String
        public var description: String { "\(file): \(reason)" }
    }

    /// Loads `*.zone` files; the first broken file stops the load with its name and line.
    public static func load(directory: String) throws -> [StaticZone] {
        let (zones, failures) = loadEach(directory: directory)
        if let first = failures.first { throw first }
        return zones
    }

    /// Loads `*.zone` files, each on its own: a broken one is left out and reported, the others
    /// are loaded (as Knot serves the zones that load and fails only the broken one).
    public static func loadEach(directory: String) -> (zones: [StaticZone], failures: [Failure]) {
        guard let loaded = loadFiles(directory: directory) else { return ([], []) }
        return (loaded.zones.map(\.zone), loaded.failures)
    }

    /// `loadEach`, with the file each zone was loaded from and the files `$INCLUDE`s named; nil
    /// when the directory cannot be listed. Hidden files (`.name.zone`, an editor's or a
    /// ConfigMap volume's) are not zones.
    static func loadFiles(directory: String) -> (zones: [(file: String, zone: StaticZone)], failures: [Failure], included: [String])? {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: directory) else { return nil }
        var zones: [(file: String, zone: StaticZone)] = []
        var failures: [Failure] = []
        var fileOf: [DomainName: String] = [:]
        let includes = ZoneFile.Includes()
        for name in names.sorted() where isZoneFile(name) {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let origin = DomainName(String(name.dropLast(5))) else { continue }
            do {
                let records = try ZoneFile.load(path: path, origin: origin, includes: includes)
                let apex = records.first { $0.type == .soa }?.name ?? origin
                if let problem = problem(records, apex: apex) {
                    failures.append(Failure(file: path, reason: problem))
                    continue
                }
                let zone = StaticZone(origin: apex, records: records)
                if let other = fileOf[zone.origin] {
                    failures.append(Failure(file: path, reason: "zone \(zone.origin) is already loaded from \(other)"))
                    continue
                }
                fileOf[zone.origin] = path
                zones.append((path, zone))
            } catch {
                failures.append(Failure(file: path, reason: "\(error)"))
            }
        }
        return (zones, failures, includes.paths)
    }

    /// Whether a directory entry is a zone file: `NAME.zone`, not hidden.
    static func isZoneFile(_ name: String) -> Bool { name.hasSuffix(".zone") && !name.hasPrefix(".") }

    /// Why a parsed zone may not be served, as Knot's and NSD's checks have it: no SOA at the apex
    /// (negative answers could not be cached, RFC 2308 §3), records of a class other than IN,
    /// or a CNAME beside other data at one name (RFC 1034 §3.6.2, RFC 2181 §10.1).
    static func problem(_ records: [ResourceRecord], apex: DomainName) -> String? {
        guard records.contains(where: { $0.type == .soa && $0.name == apex }) else {
            return "no SOA record at the zone apex \(apex)"
        }
        if let other = records.first(where: { $0.class != .in }) {
            return "\(other.name) \(other.type) is not of class IN (a zone holds one class)"
        }
        var types: [DomainName: Set<UInt16>] = [:]
        for rr in records { types[rr.name.lowercased(), default: []].insert(rr.type.rawValue) }
        let cname = RecordType.cname.rawValue
        // RRSIG and NSEC may sit beside a CNAME (RFC 4035 §2.5).
        let allowed: Set<UInt16> = [cname, 46, 47]
        if let (name, _) = types.sorted(by: { $0.key.description < $1.key.description })
            .first(where: { $0.value.contains(cname) && !$0.value.isSubset(of: allowed) }) {
            return "\(name) has a CNAME and other data (RFC 1034 §3.6.2)"
        }
        return nil
    }
}

import Foundation
import DNSModel
import DNSWire
import ClusterDNS

/// Loads every RFC 1035 master file in a directory as a static zone. The apex is the file name
/// without `.zone` (`example.test.zone` → `example.test.`), unless the file sets `$ORIGIN`.
public enum ZoneLoader {
    /// A zone file that could not be loaded.
    public struct Failure: Error, CustomStringConvertible {
        public var file: String
        public var error: WireError
        public var description: String { "\(file): \(error)" }
    }

    /// Loads `*.zone` files; the first broken file stops the load with its name and line.
    public static func load(directory: String) throws -> [StaticZone] {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: directory) else { return [] }
        var zones: [StaticZone] = []
        for name in names.sorted() where name.hasSuffix(".zone") {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let origin = DomainName(String(name.dropLast(5))) else { continue }
            do {
                let records = try ZoneFile.load(path: path, origin: origin)
                let apex = records.first { $0.type == .soa }?.name ?? origin
                zones.append(StaticZone(origin: apex, records: records))
            } catch {
                throw Failure(file: path, error: error)
            }
        }
        return zones
    }
}

import Foundation
import DNSModel

/// The `nameserver` lines of a resolv.conf(5), for `--upstream resolv.conf` (as CoreDNS's
/// `forward . /etc/resolv.conf`): every nameserver on port 53.
public enum ResolvConfFile {
    /// Nameservers in file order; comments (`#`, `;`) and other options are skipped, as are
    /// entries that are not IP addresses. An IPv6 zone suffix (`fe80::1%eth0`) is kept.
    public static func nameservers(in text: String) -> [(host: String, port: Int)] {
        var out: [(String, Int)] = []
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.prefix { $0 != "#" && $0 != ";" }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, fields[0] == "nameserver" else { continue }
            let host = String(fields[1])
            let bare = host.split(separator: "%", maxSplits: 1).first.map(String.init) ?? host
            guard IPAddress(bare) != nil else { continue }
            out.append((host, 53))
        }
        return out
    }

    /// Reads `path` (default /etc/resolv.conf); nil when it cannot be read.
    public static func nameservers(path: String = "/etc/resolv.conf") -> [(host: String, port: Int)]? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return nameservers(in: String(decoding: data, as: UTF8.self))
    }
}

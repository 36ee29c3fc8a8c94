import DNSModel
import Foundation
import Synchronization

/// A bearer token kept in a file and re-read when the file changes. The kubelet rotates projected
/// service-account tokens by swapping a symlink, so the file is checked (a `stat`, following links)
/// before every request, and read again when its modification time, size or inode differ.
public final class TokenFile: Sendable {
    struct Stamp: Equatable { var modified: Double; var size: Int; var inode: Int }
    public let path: String
    private let state = Locked<(stamp: Stamp?, token: String?)>((nil, nil))

    public init(path: String) { self.path = path }

    /// The current token (trimmed), or nil when the file cannot be read.
    public func current() -> String? {
        let stamp = Self.stamp(path)
        if let cached = state.withLock({ s -> String?? in s.stamp != nil && s.stamp == stamp ? .some(s.token) : nil }) {
            return cached
        }
        let token = FileManager.default.contents(atPath: path).map {
            String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        state.withLock { $0 = (stamp, token) }
        return token
    }

    static func stamp(_ path: String) -> Stamp? {
        guard let a = try? FileManager.default.attributesOfItem(atPath: (path as NSString).resolvingSymlinksInPath) else { return nil }
        return Stamp(modified: (a[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0,
                     size: (a[.size] as? Int) ?? 0, inode: (a[.systemFileNumber] as? Int) ?? 0)
    }
}

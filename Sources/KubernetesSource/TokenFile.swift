import DNSModel
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A bearer token kept in a file and re-read when the file changes. The kubelet rotates projected
/// service-account tokens by swapping a symlink two levels up (`token -> ..data/token`, then
/// `..data` re-pointed at a new directory), so the file is checked with `stat(2)`, which follows
/// every link, before every request, and read again when the file it reaches differs (device,
/// inode, size, modification time); and, as client-go does, at least once a minute whatever the
/// stamp says. A read that fails (a rotation caught half-way) keeps the last good token rather
/// than sending none.
public final class TokenFile: Sendable {
    struct Stamp: Equatable { var device: UInt64; var inode: UInt64; var size: Int64; var modified: Int64 }
    /// How long a token read is trusted without reading the file again, whatever its stamp.
    static let refresh: Duration = .seconds(60)
    public let path: String
    private let state = Locked<(stamp: Stamp?, token: String?, read: ContinuousClock.Instant?)>((nil, nil, nil))

    public init(path: String) { self.path = path }

    /// The current token (trimmed): the file's, or the last good one when it cannot be read now;
    /// nil only when it has never been read.
    public func current() -> String? {
        let stamp = Self.stamp(path)
        let now = ContinuousClock.now
        if let cached = state.withLock({ s -> String?? in
            guard let stamp, s.stamp == stamp, let read = s.read, now - read < Self.refresh else { return nil }
            return .some(s.token)
        }) {
            return cached
        }
        let token = Self.read(path)
        return state.withLock { s in
            guard let token else { return s.token }                 // keep the last good token
            s = (stamp, token, now)
            return token
        }
    }

    /// The file's trimmed contents; nil when it cannot be read or is empty.
    static func read(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return token.isEmpty ? nil : token
    }

    /// The stamp of the file `path` leads to, every symbolic link followed.
    static func stamp(_ path: String) -> Stamp? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Stamp(device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
                     modified: Int64(info.st_mtim.tv_sec) &* 1_000_000_000 &+ Int64(info.st_mtim.tv_nsec))
    }
}

import Foundation

/// What a file looked like when last read, through symbolic links (`stat(2)`), as a ConfigMap
/// volume's files are links into a directory the kubelet swaps: a change in any field means read
/// it again. The change time is there because a rewrite can keep the size and put the old
/// modification time back (`touch -d`), but cannot set the change time; the inode, because a
/// file replaced by a rename is another file whatever its size and times.
struct FileStamp: Equatable {
    /// Modification and change times, in nanoseconds since the epoch.
    var modified: Int
    var changed: Int
    var size: Int
    var inode: UInt
    var device: UInt
    /// What a file that could not be read is remembered as: equal to no file on disk, so the
    /// next look reads it again.
    static let unread = FileStamp(modified: 0, changed: 0, size: -1, inode: 0, device: 0)

    init(modified: Int, changed: Int, size: Int, inode: UInt, device: UInt) {
        self.modified = modified; self.changed = changed; self.size = size; self.inode = inode; self.device = device
    }

    /// The stamp of `path`, links followed; nil when `stat` fails (`errno` says why).
    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        func nanoseconds(_ t: timespec) -> Int { t.tv_sec &* 1_000_000_000 &+ t.tv_nsec }
        self.init(modified: nanoseconds(info.st_mtim), changed: nanoseconds(info.st_ctim),
                  size: Int(info.st_size), inode: UInt(info.st_ino), device: UInt(info.st_dev))
    }
}

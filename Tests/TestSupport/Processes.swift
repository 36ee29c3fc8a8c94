import Foundation

/// Output of a finished command.
public struct CommandResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs a program and waits for it (no shell), blocking the calling thread. A bare name is
/// looked up in /usr/bin.
public func runBlocking(_ program: String, _ arguments: [String], stdin: String? = nil) throws -> CommandResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: program.hasPrefix("/") ? program : "/usr/bin/" + program)
    p.arguments = arguments
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    if let stdin {
        let input = Pipe()
        p.standardInput = input
        try p.run()
        input.fileHandleForWriting.write(Data(stdin.utf8))
        try input.fileHandleForWriting.close()
    } else {
        p.standardInput = FileHandle.nullDevice
        try p.run()
    }
    let (o, e) = drain(out.fileHandleForReading.fileDescriptor, err.fileHandleForReading.fileDescriptor)
    p.waitUntilExit()
    return CommandResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                         stderr: String(decoding: e, as: UTF8.self))
}

/// Reads two pipes to their ends together (a child that fills one while we wait on the other
/// would block), retrying what a signal interrupts: Foundation's `readDataToEndOfFile` traps on
/// EINTR (`try!` in FileHandle), which killed a whole test run once.
func drain(_ first: Int32, _ second: Int32) -> ([UInt8], [UInt8]) {
    var fds = [pollfd(fd: first, events: Int16(POLLIN), revents: 0), pollfd(fd: second, events: Int16(POLLIN), revents: 0)]
    var output: [[UInt8]] = [[], []]
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while fds.contains(where: { $0.fd >= 0 }) {
        if poll(&fds, 2, -1) < 0 {
            if errno == EINTR { continue }
            break
        }
        for i in 0..<2 where fds[i].fd >= 0 && fds[i].revents != 0 {
            let n = read(fds[i].fd, &chunk, chunk.count)
            if n > 0 {
                output[i] += chunk[0..<n]
            } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                fds[i].fd = -1                       // end of file, or an error: poll ignores it now
            }
        }
    }
    return (output[0], output[1])
}

/// Runs a program off the cooperative pool: a blocked pool thread would stall the servers under
/// test that share it (2 threads on a 2-core machine).
public func run(_ program: String, _ arguments: [String], stdin: String? = nil) async throws -> CommandResult {
    try await offPool { try runBlocking(program, arguments, stdin: stdin) }
}

/// Runs blocking work on a thread of its own so the cooperative pool stays free for the servers
/// under test. Not a Dispatch global queue: on Linux that is the same pool Swift concurrency uses,
/// so blocked work there starves the servers' async paths (forwarding, the admin API).
public func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
    }
}

/// The contents of a small file read with `open`/`read`, or nil when it cannot be read. For
/// `/proc` files: Foundation's file reading leaks its buffer on files whose size reads as 0
/// (LeakSanitizer reports it in CI's AddressSanitizer run).
public func readSmallFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 { return nil }
        if n == 0 { break }
        bytes += chunk[..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}

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
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return CommandResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                         stderr: String(decoding: e, as: UTF8.self))
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

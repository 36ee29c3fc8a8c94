#if canImport(Glibc)
import Glibc
#endif
import CDatagram
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Logging

/// DNS over UDP on a plain socket: threads of its own block in `recvmmsg`, answer every datagram
/// of the batch in place and send the replies with one `sendmmsg` (RFC 1035 §4.2.1).
///
/// This is the hot path of the server, kept outside NIO on purpose: a datagram costs no
/// pipeline, no envelope, no address formatting and no buffer allocation, only the responder's
/// own work. Several threads read the one socket, one per core, so whichever is running takes the
/// next datagrams. Replies that come later (`.deferred`, forwarded queries) are sent
/// with `sendto` from the task that produced them, which runs on one of the server's event loops
/// (``EventLoopTaskExecutor``).
final class UDPListener: @unchecked Sendable {
    /// Datagrams read per `recvmmsg`.
    static let batch = 32
    /// Bytes of one receive slot: the kernel cuts a longer datagram to this, and the cut message
    /// is read as it is (as NIO's vector reads did: a valid question followed by 60 KB of zeros is
    /// answered, reliability §4 case 47). Also the size of one send slot; longer replies go out
    /// with `sendto` on their own.
    static let slot = 4096

    /// The bound port (the chosen one when asked for port 0).
    let port: Int
    private let fd: Int32
    private let responder: any DNSResponder
    private let logger: Logger
    /// Where deferred replies run: one per event loop of the server's group, reader `i` using `i % count`.
    private let executors: [EventLoopTaskExecutor]
    /// Set by `stop()`; the socket is closed under this lock so a late `sendto` never reaches a
    /// reused descriptor.
    private let closed = NIOLockedValueBox(false)
    private let finished = DispatchGroup()

    /// Binds `host:port` (with `SO_REUSEADDR`, so a wildcard and a specific address may both be
    /// listened on).
    init(host: String, port: Int, responder: any DNSResponder, group: any EventLoopGroup, logger: Logger) throws {
        let address = try SocketAddress.makeAddressResolvingHost(host, port: port)
        let family = address.protocol == .inet6 ? AF_INET6 : AF_INET
        let fd = socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw IOError(errnoCode: errno, reason: "socket") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        // A safety net for stop(): shutdown() wakes a blocked recvmmsg, this bounds the wait anyway.
        var timeout = timeval(tv_sec: 0, tv_usec: 500_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let bound = address.withSockAddr { sa, len in bind(fd, sa, socklen_t(len)) }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw IOError(errnoCode: code, reason: "bind \(host):\(port)")
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        self.port = Int(UInt16(bigEndian: withUnsafeBytes(of: &storage) { $0.load(fromByteOffset: 2, as: UInt16.self) }))
        self.fd = fd; self.responder = responder; self.logger = logger
        executors = group.makeIterator().map(EventLoopTaskExecutor.init)
    }

    /// Starts `threads` threads reading the socket.
    func start(threads: Int) {
        for i in 0..<max(1, threads) {
            finished.enter()
            let thread = Thread { [self] in
                nameCurrentThread("cdns-udp-\(i)")
                serve(deferringTo: executors[i % executors.count])
                finished.leave()
            }
            thread.start()
        }
    }

    /// Stops reading, waits for the threads, and closes the socket. Only the first call does
    /// anything (a second close could hit a descriptor reused meanwhile).
    func stop() async {
        let wasClosed = closed.withLockedValue { isClosed in
            defer { isClosed = true }
            return isClosed
        }
        guard !wasClosed else { return }
        shutdown(fd, Int32(SHUT_RDWR))  // wakes threads blocked in recvmmsg (they see 0 or an error)
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            finished.notify(queue: .global()) { done.resume() }
        }
        _ = closed.withLockedValue { _ in close(fd) }
    }

    private var isClosed: Bool { closed.withLockedValue { $0 } }

    /// One thread's loop: receive a batch, answer each datagram, send the answers.
    private func serve(deferringTo executor: EventLoopTaskExecutor) {
        let n = Self.batch, slot = Self.slot
        let inData = UnsafeMutableRawPointer.allocate(byteCount: n * slot, alignment: 16)
        let outData = UnsafeMutableRawPointer.allocate(byteCount: n * slot, alignment: 16)
        let names = UnsafeMutablePointer<sockaddr_storage>.allocate(capacity: n)
        let inVecs = UnsafeMutablePointer<iovec>.allocate(capacity: n)
        let outVecs = UnsafeMutablePointer<iovec>.allocate(capacity: n)
        let inMsgs = UnsafeMutablePointer<cdatagram_mmsghdr>.allocate(capacity: n)
        let outMsgs = UnsafeMutablePointer<cdatagram_mmsghdr>.allocate(capacity: n)
        defer {
            inData.deallocate(); outData.deallocate(); names.deallocate(); inVecs.deallocate()
            outVecs.deallocate(); inMsgs.deallocate(); outMsgs.deallocate()
        }
        // One reusable buffer for the fast path's lookup key: refilled per datagram, never reallocated.
        var query = ByteBufferAllocator().buffer(capacity: slot)
        // The receive headers point at fixed slots: set once; the kernel rewrites only the lengths.
        for i in 0..<n {
            inVecs[i] = iovec(iov_base: inData + i * slot, iov_len: slot)
            inMsgs[i] = cdatagram_mmsghdr()
            inMsgs[i].msg_hdr.msg_name = UnsafeMutableRawPointer(names + i)
            inMsgs[i].msg_hdr.msg_iov = inVecs + i
            inMsgs[i].msg_hdr.msg_iovlen = 1
        }
        var used = n  // headers whose address length the last receive overwrote
        while !isClosed {
            for i in 0..<used { inMsgs[i].msg_hdr.msg_namelen = socklen_t(MemoryLayout<sockaddr_storage>.size) }
            let received = cdatagram_recvmmsg(fd, inMsgs, UInt32(n), cdatagram_waitforone())
            if received <= 0 { used = 0; continue }  // timeout, EINTR, or shutdown (the loop condition decides)
            used = Int(received)
            var replies = 0
            for i in 0..<Int(received) {
                let datagram = UnsafeRawBufferPointer(start: inData + i * slot, count: Int(inMsgs[i].msg_len))
                let nameLength = inMsgs[i].msg_hdr.msg_namelen
                query.clear()
                query.writeBytes(datagram)
                let out = outData + replies * slot
                var length = responder.cachedUDPReply(to: query, into: UnsafeMutableRawBufferPointer(start: out, count: slot))
                if length == nil {
                    guard let reply = answer(Array(datagram), from: names + i, length: nameLength,
                                             deferringTo: executor) else { continue }
                    if reply.count > slot {
                        send(reply, to: names + i, length: nameLength)
                        continue
                    }
                    reply.withUnsafeBytes { out.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
                    length = reply.count
                }
                outVecs[replies] = iovec(iov_base: out, iov_len: length!)
                outMsgs[replies] = cdatagram_mmsghdr()
                outMsgs[replies].msg_hdr.msg_name = UnsafeMutableRawPointer(names + i)
                outMsgs[replies].msg_hdr.msg_namelen = nameLength
                outMsgs[replies].msg_hdr.msg_iov = outVecs + replies
                outMsgs[replies].msg_hdr.msg_iovlen = 1
                replies += 1
            }
            var sent = 0
            while sent < replies {
                let r = cdatagram_sendmmsg(fd, outMsgs + sent, UInt32(replies - sent), Int32(MSG_NOSIGNAL))
                if r > 0 { sent += Int(r) } else if errno == EINTR { continue } else { sent += 1 }  // skip the one that failed
            }
        }
    }

    /// The general path for one datagram: the reply to send now, or nil (dropped, or sent later).
    private func answer(_ bytes: [UInt8], from name: UnsafeMutablePointer<sockaddr_storage>, length: socklen_t,
                        deferringTo executor: EventLoopTaskExecutor) -> [UInt8]? {
        let remote = Self.address(name)
        switch responder.respond(to: DNSRequest(bytes: bytes, transport: .udp, remote: remote)) {
        case .drop, .stream:
            return nil
        case .message(let out):
            return out
        case .deferred(let produce):
            let peer = Array(UnsafeRawBufferPointer(start: name, count: Int(length)))
            executor.run(produce) { [self] out in
                peer.withUnsafeBytes { p in
                    send(out, to: UnsafeMutableRawPointer(mutating: p.baseAddress!)
                        .assumingMemoryBound(to: sockaddr_storage.self), length: length)
                }
            }
            return nil
        }
    }

    /// Sends one datagram now, unless the listener has been stopped.
    private func send(_ reply: [UInt8], to name: UnsafeMutablePointer<sockaddr_storage>, length: socklen_t) {
        closed.withLockedValue { isClosed in
            guard !isClosed else { return }
            reply.withUnsafeBytes { bytes in
                name.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    _ = sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_DONTWAIT) | Int32(MSG_NOSIGNAL), $0, length)
                }
            }
        }
    }

    /// The peer as NIO's `SocketAddress` (what `DNSRequest` carries; formatted only on demand).
    static func address(_ name: UnsafeMutablePointer<sockaddr_storage>) -> SocketAddress? {
        switch Int32(name.pointee.ss_family) {
        case AF_INET:
            return name.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { SocketAddress($0.pointee, host: "") }
        case AF_INET6:
            return name.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { SocketAddress($0.pointee, host: "") }
        default:
            return nil
        }
    }
}

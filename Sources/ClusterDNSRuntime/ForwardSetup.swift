import Logging
import NIOCore
import DNSServer

/// An `--upstream` that is neither an IP address nor a resolvable host.
public struct UpstreamAddressError: Error, CustomStringConvertible {
    public var upstream: String
    public var reason: String
    public var description: String { "--upstream \(upstream): \(reason)" }
}

extension Configuration {
    /// The forwarder for `upstreams`, or nil when there are none (names outside our zones are
    /// then REFUSED). Host names are resolved once, here.
    func makeForwarder(group: any EventLoopGroup, logger: Logger) throws -> Forwarder? {
        guard !upstreams.isEmpty else { return nil }
        var addresses: [SocketAddress] = []
        for (host, port) in upstreams {
            do {
                if let literal = try? SocketAddress(ipAddress: host, port: port) {
                    addresses.append(literal)
                } else {
                    addresses.append(try SocketAddress.makeAddressResolvingHost(host, port: port))
                }
            } catch {
                throw UpstreamAddressError(upstream: "\(host):\(port)", reason: "\(error)")
            }
        }
        // An upstream that is our own listener (`--upstream resolv.conf` in a container whose
        // resolv.conf points at us) would send every forwarded query back to us: it is left out,
        // and with nothing left the server does not start (CoreDNS's `loop` plugin stops too).
        let own = addresses.filter { isOwnListener($0) }
        if !own.isEmpty {
            let names = own.map(\.text)
            guard own.count < addresses.count else {
                throw UpstreamAddressError(upstream: names.joined(separator: ", "),
                                           reason: "is this server's own listen address, so every forwarded query would come back to it; give a real resolver with --upstream HOST:PORT")
            }
            logger.error("upstream left out: it is this server's own listen address (a forwarding loop)", metadata: ["upstreams": "\(names)"])
            addresses.removeAll { isOwnListener($0) }
        }
        logger.info("forwarding names outside our zones", metadata: [
            "upstreams": "\(addresses.map(\.text))",
            "timeout": "\(forwardTimeout)", "deadline": "\(forwardDeadline)", "max_in_flight": "\(maxForwardsInFlight)",
            "cache_entries": "\(forwardCacheEntries)", "serve_stale": "\(serveStale)"])
        return Forwarder(configuration: ForwarderConfiguration(
            upstreams: addresses, timeout: forwardTimeout, deadline: forwardDeadline, maxInFlight: maxForwardsInFlight,
            cacheEntries: forwardCacheEntries, maxUDPSize: maxUDPSize, serveStale: serveStale), group: group, logger: logger)
    }

    /// True when `address` is one of our `--listen` addresses: the same port and IP, or a
    /// wildcard listener and the loopback address of its family (`0.0.0.0` and `127.0.0.1`; `::`
    /// and `::1` or `127.0.0.1`). Other loopback addresses (Docker's `127.0.0.11`, systemd's
    /// `127.0.0.53`) are other resolvers, reached through redirection or their own sockets.
    package func isOwnListener(_ address: SocketAddress) -> Bool {
        guard let ip = address.ipAddress, let port = address.port else { return false }
        return listen.contains { l in
            guard l.port == port, l.port != 0 else { return false }
            if let mine = try? SocketAddress(ipAddress: l.host, port: l.port).ipAddress, mine == ip { return true }
            switch l.host {
            case "0.0.0.0": return ip == "127.0.0.1"
            case "::": return ip == "::1" || ip == "127.0.0.1"
            default: return false
            }
        }
    }
}

private extension SocketAddress {
    /// `IP:port`, for logs and messages.
    var text: String { "\(ipAddress ?? "?"):\(port ?? 0)" }
}

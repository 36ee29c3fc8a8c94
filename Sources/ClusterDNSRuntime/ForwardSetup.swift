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
        logger.info("forwarding names outside our zones", metadata: [
            "upstreams": "\(upstreams.map { "\($0.host):\($0.port)" })",
            "timeout": "\(forwardTimeout)", "max_in_flight": "\(maxForwardsInFlight)",
            "cache_entries": "\(forwardCacheEntries)"])
        return Forwarder(configuration: ForwarderConfiguration(
            upstreams: addresses, timeout: forwardTimeout, maxInFlight: maxForwardsInFlight,
            cacheEntries: forwardCacheEntries, maxUDPSize: maxUDPSize), group: group, logger: logger)
    }
}

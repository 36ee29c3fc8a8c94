// `import ClusterDNS` is the one import a library user needs: the Kubernetes objects, store and
// snapshots (`ClusterModel`), names, records and messages (`DNSModel`), and the wire format and
// zone files (`DNSWire`) come with it.
@_exported import ClusterModel
@_exported import DNSModel
@_exported import DNSWire

/// Which `a-b-c-d.<ns>.pod.<zone>` names are answered (CoreDNS `pods`; removed from the
/// specification in schema 1.1.0 but still served by stock CoreDNS configurations).
public enum PodRecordMode: String, Sendable, CaseIterable {
    /// Any well-formed address label in an existing namespace (stock CoreDNS Corefiles).
    case insecure
    /// Only when a running pod with that IP lives in that namespace.
    case verified
    /// No pod records at all.
    case disabled
}

import Prometheus
import CoreMetrics

extension ClusterDNSMetrics {
    /// Metrics whose registry also backs the global `MetricsSystem` (for any swift-metrics
    /// user in the process). Call once per process, from the executable only.
    public static func bootstrapGlobal() -> ClusterDNSMetrics {
        let metrics = ClusterDNSMetrics()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: metrics.registry))
        return metrics
    }
}

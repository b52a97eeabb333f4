import ArgumentParser
import DHCPMetrics

extension MetricsEndpoint {
    /// --metrics ADDR:PORT: the endpoint listening there, nil without the flag; when it cannot listen, one line on
    /// standard error and exit `status` (2, or probe's 3 UNKNOWN).
    static func start(_ text: String?, status: Int32 = 2) throws(ExitCode) -> MetricsEndpoint? {
        guard let text else { return nil }
        do { return try MetricsEndpoint(listeningOn: text) } catch { throw Diagnostics.failure(error.description, status: status) }
    }
}

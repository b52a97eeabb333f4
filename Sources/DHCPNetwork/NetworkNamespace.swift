import CNetShim
import Glibc

/// Runs code inside a named network namespace (`ip netns add NAME`, /var/run/netns/NAME) without moving the
/// process: setns(2) changes only the calling thread, so the body runs on a fresh thread that enters the namespace
/// and ends afterwards. Sockets and interface lookups made in the body belong to the namespace for good — they
/// may then be used from any thread. Needs root (CAP_SYS_ADMIN).
public enum NetworkNamespace {
    /// Runs `body` on a new thread inside the namespace `name` (or at the path, when `name` contains a '/'),
    /// waits for it, and returns its result or rethrows its error.
    public static func run<Result: Sendable>(
        _ name: String, _ body: @escaping @Sendable () throws -> Result
    ) throws -> Result {
        let path = name.contains("/") ? name : "/var/run/netns/\(name)"
        let job = NamespaceJob(path: path, body: body)
        var thread = pthread_t()
        let context = Unmanaged.passRetained(job).toOpaque()
        let status = pthread_create(&thread, nil, { context in
            let job = Unmanaged<NamespaceJobBase>.fromOpaque(context!).takeRetainedValue()
            job.execute()
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<NamespaceJobBase>.fromOpaque(context).release()
            throw DHCPNetworkError(operation: "start a thread for namespace \(name)", errorNumber: status)
        }
        pthread_join(thread, nil)
        return try job.result!.get()
    }

    /// True when the calling thread is in the same network namespace as the process's main thread; false inside
    /// `run`'s body. Tests check it before sending anything.
    public static var currentThreadIsInProcessNamespace: Bool {
        let process = cns_network_namespace_inode(0)
        let thread = cns_network_namespace_inode(1)
        return process != 0 && process == thread
    }
}

private class NamespaceJobBase {
    func execute() {}
}

private final class NamespaceJob<Result>: NamespaceJobBase {
    let path: String
    let body: () throws -> Result
    var result: Swift.Result<Result, any Error>?

    init(path: String, body: @escaping () throws -> Result) {
        self.path = path
        self.body = body
    }

    override func execute() {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            result = .failure(DHCPNetworkError(operation: "open the namespace \(path)", errorNumber: errno))
            return
        }
        defer { close(fd) }
        guard cns_enter_network_namespace(fd) == 0 else {
            result = .failure(DHCPNetworkError(operation: "enter the namespace \(path) (setns)", errorNumber: errno))
            return
        }
        // Never run the body where it could touch the process's own namespace.
        guard !NetworkNamespace.currentThreadIsInProcessNamespace else {
            result = .failure(DHCPNetworkError(kind: .system, operation: "enter the namespace \(path)",
                                               detail: "the thread is still in the process's namespace"))
            return
        }
        result = Swift.Result { try body() }
    }
}

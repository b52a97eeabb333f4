import Glibc

/// A failed socket or interface operation, said the way a user needs it: what was tried, what went wrong in plain
/// words (permission, address in use, no such device, …), and the system's own text with the errno.
public struct DHCPNetworkError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// EPERM / EACCES: ports below 1024, SO_BINDTODEVICE, packet sockets and namespaces need privileges.
        case permissionDenied
        /// EADDRINUSE: another socket (a DHCP server?) holds the port without sharing it.
        case addressInUse
        /// ENODEV / ENXIO, or no interface of that name: the interface does not exist (here, in this namespace).
        case noSuchDevice
        /// EADDRNOTAVAIL: the local address is not one of this host's.
        case addressNotAvailable
        /// ENETUNREACH / EHOSTUNREACH: no route (broadcasts need SO_BINDTODEVICE or an interface index).
        case networkUnreachable
        /// EMSGSIZE: the datagram or frame is larger than the interface allows.
        case messageTooLong
        /// ENETDOWN: the interface is down.
        case networkDown
        /// Anything else.
        case system
    }

    public let kind: Kind
    /// What was attempted: "bind 0.0.0.0:67 on veth0", "send to 255.255.255.255:68".
    public let operation: String
    /// The errno, 0 when the failure did not come from a system call.
    public let errorNumber: Int32
    /// The system's text for `errorNumber`, or the reason when there is none.
    public let detail: String

    public init(kind: Kind, operation: String, errorNumber: Int32 = 0, detail: String) {
        self.kind = kind
        self.operation = operation
        self.errorNumber = errorNumber
        self.detail = detail
    }

    /// The error for a failed system call, classified by `errorNumber` (errno, read by the caller at once).
    public init(operation: String, errorNumber: Int32) {
        self.init(kind: Self.kind(of: errorNumber), operation: operation, errorNumber: errorNumber,
                  detail: String(cString: strerror(errorNumber)))
    }

    static func kind(of errorNumber: Int32) -> Kind {
        switch errorNumber {
        case EPERM, EACCES: .permissionDenied
        case EADDRINUSE: .addressInUse
        case ENODEV, ENXIO: .noSuchDevice
        case EADDRNOTAVAIL: .addressNotAvailable
        case ENETUNREACH, EHOSTUNREACH: .networkUnreachable
        case EMSGSIZE: .messageTooLong
        case ENETDOWN: .networkDown
        default: .system
        }
    }

    public var description: String {
        let cause = errorNumber == 0 ? detail : "\(detail), errno \(errorNumber)"
        switch kind {
        case .permissionDenied:
            return "\(operation): permission denied (\(cause)): DHCP ports below 1024, binding to a device and "
                + "packet sockets need root or the CAP_NET_BIND_SERVICE and CAP_NET_RAW capabilities"
        case .addressInUse:
            return "\(operation): address in use (\(cause)): another program (a DHCP server or client?) holds "
                + "this port"
        case .noSuchDevice:
            return "\(operation): no such interface (\(cause))"
        case .addressNotAvailable:
            return "\(operation): address not available (\(cause)): it is not an address of this host"
        case .networkUnreachable:
            return "\(operation): network unreachable (\(cause)): broadcasts need the socket bound to an "
                + "interface when there is no default route"
        case .messageTooLong:
            return "\(operation): message too long (\(cause)) for the interface's MTU"
        case .networkDown:
            return "\(operation): the interface is down (\(cause))"
        case .system:
            return "\(operation): \(cause)"
        }
    }

    /// The error for the errno of the system call that just failed.
    static func lastError(_ operation: @autoclosure () -> String) -> DHCPNetworkError {
        let number = errno
        return DHCPNetworkError(operation: operation(), errorNumber: number)
    }
}

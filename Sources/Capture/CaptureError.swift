/// A capture file or interface that cannot be read, with the byte offset where reading stopped when known.
public struct CaptureError: Error, Sendable, CustomStringConvertible {
    public var source: String
    public var offset: Int64?
    public var message: String

    public init(source: String, offset: Int64? = nil, _ message: String) {
        self.source = source; self.offset = offset; self.message = message
    }

    public var description: String {
        if let offset { return "\(source): at byte \(offset): \(message)" }
        return "\(source): \(message)"
    }
}

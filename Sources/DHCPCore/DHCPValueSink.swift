/// What an option decoder hands its value to, piece by piece, depth first: `DHCPOptionShape.decode(_:into:)` is the
/// one decoder of every shape, and a sink decides what the value becomes. `DHCPValueTree` builds a
/// `DHCPOptionValue`; a writer can write the value out directly (decode's JSON: building and freeing the tree was
/// half of `decode --json`). When the decoder throws, what it emitted before is incomplete: the sink discards it.
public protocol DHCPValueSink {
    mutating func unsigned(_ value: UInt64)
    mutating func signed(_ value: Int64)
    mutating func bool(_ value: Bool)
    mutating func ipv4(_ value: IPv4Address)
    /// A hardware address, as text ("0a:1b:2c:3d:4e:5f").
    mutating func mac(_ value: MACAddress)
    mutating func text(_ value: String)
    /// Text as the option's bytes carry it: `DHCPOptionShape.text` says what characters they are (a writer can copy
    /// ASCII as it stands, with no String in between).
    mutating func text(bytes: ArraySlice<UInt8>)
    /// Opaque bytes (a concrete type: a generic one made every call look up type metadata).
    mutating func bytes(_ value: ArraySlice<UInt8>)
    /// A code from a list of named values; `name` nil when unnamed.
    mutating func named(code: UInt32, name: String?)
    /// A CIDR prefix "a.b.c.d/n".
    mutating func prefix(_ address: IPv4Address, width: Int)
    mutating func beginList()
    mutating func endList()
    /// A record: `field` names each value that follows, in order, until `endRecord`.
    mutating func beginRecord()
    mutating func field(_ name: String)
    mutating func endRecord()
}

extension DHCPValueSink {
    public mutating func text(bytes: ArraySlice<UInt8>) { text(DHCPOptionShape.text(bytes)) }
    public mutating func mac(_ value: MACAddress) { text(value.description) }

    /// Text when every byte is printable ASCII, bytes otherwise (circuit-id, remote-id, vendor data).
    public mutating func textOrBytes(_ bytes: ArraySlice<UInt8>) {
        if !bytes.isEmpty, bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
            text(bytes: bytes)
        } else {
            self.bytes(bytes)
        }
    }

    /// A whole value, as its pieces.
    public mutating func value(_ value: DHCPOptionValue) {
        switch value {
        case .unsigned(let number): unsigned(number)
        case .signed(let number): signed(number)
        case .bool(let flag): bool(flag)
        case .ipv4(let address): ipv4(address)
        case .text(let string): text(string)
        case .bytes(let data): bytes(data[...])
        case .named(let code, let name): named(code: code, name: name)
        case .prefix(let address, let width): prefix(address, width: width)
        case .list(let items):
            beginList()
            for item in items { self.value(item) }
            endList()
        case .record(let fields):
            beginRecord()
            for field in fields {
                self.field(field.name)
                self.value(field.value)
            }
            endRecord()
        }
    }
}

/// The sink that builds the `DHCPOptionValue` tree (`DHCPOption.value()`, the roles, the analyzer).
struct DHCPValueTree: DHCPValueSink {
    private enum Open {
        case list([DHCPOptionValue])
        case record([DHCPOptionField], name: String)
    }

    private var open: [Open] = []
    /// The value once the decoder has emitted it whole.
    private(set) var value = DHCPOptionValue.list([])

    private mutating func put(_ item: DHCPOptionValue) {
        guard let last = open.popLast() else {
            value = item
            return
        }
        switch last {
        case .list(var items):
            items.append(item)
            open.append(.list(items))
        case .record(var fields, let name):
            fields.append(DHCPOptionField(name, item))
            open.append(.record(fields, name: ""))
        }
    }

    mutating func unsigned(_ value: UInt64) { put(.unsigned(value)) }
    mutating func signed(_ value: Int64) { put(.signed(value)) }
    mutating func bool(_ value: Bool) { put(.bool(value)) }
    mutating func ipv4(_ value: IPv4Address) { put(.ipv4(value)) }
    mutating func text(_ value: String) { put(.text(value)) }
    mutating func bytes(_ value: ArraySlice<UInt8>) { put(.bytes(Array(value))) }
    mutating func named(code: UInt32, name: String?) { put(.named(code: code, name: name)) }
    mutating func prefix(_ address: IPv4Address, width: Int) { put(.prefix(address, width)) }
    mutating func beginList() { open.append(.list([])) }
    mutating func beginRecord() { open.append(.record([], name: "")) }

    mutating func field(_ name: String) {
        guard case .record(let fields, _)? = open.popLast() else { return }
        open.append(.record(fields, name: name))
    }

    mutating func endList() {
        guard case .list(let items)? = open.popLast() else { return }
        put(.list(items))
    }

    mutating func endRecord() {
        guard case .record(let fields, _)? = open.popLast() else { return }
        put(.record(fields))
    }
}

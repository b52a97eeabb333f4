/// Option 82, relay agent information (RFC 3046), as an ordered record of its suboptions.
public enum RelayAgentInformation {
    /// Suboption code → name and shape. One line per suboption.
    public static let suboptions: [UInt8: (name: String, shape: DHCPOptionShape?)] = [
        1: ("circuit_id", nil),                 // RFC 3046: opaque, text when printable
        2: ("remote_id", nil),                  // RFC 3046
        4: ("docsis_device_class", .uint32),    // RFC 3256
        5: ("link_selection", .ipv4),           // RFC 3527
        6: ("subscriber_id", .text),            // RFC 3993
        7: ("radius_attributes", .bytes),       // RFC 4014
        8: ("authentication", .bytes),          // RFC 4030
        9: ("vendor_specific", .vendorIdentifyingOptions), // RFC 4243: enterprise + length + sub-options (code, length, data)
        10: ("flags", .uint8),                  // RFC 5010
        11: ("server_id_override", .ipv4),      // RFC 5107
        12: ("relay_id", .bytes),               // RFC 6925
        151: ("vss", .machineIdentifier),       // RFC 6607: VSS type byte, then the VPN identifier
        152: ("vss_control", .flag),            // RFC 6607
    ]

    /// One suboption as it is on the wire: code and data.
    public struct Suboption: Hashable, Sendable {
        public var code: UInt8
        public var data: [UInt8]
        public init(_ code: UInt8, _ data: [UInt8]) { self.code = code; self.data = data }
    }

    /// The suboptions of option 82's `data` in order; nil when a length runs past the end (lengths are not trusted).
    public static func split(_ data: [UInt8]) -> [Suboption]? {
        var suboptions = [Suboption]()
        var index = 0
        while index < data.count {
            guard index + 2 <= data.count, index + 2 + Int(data[index + 1]) <= data.count else { return nil }
            let length = Int(data[index + 1])
            suboptions.append(Suboption(data[index], Array(data[(index + 2)..<(index + 2 + length)])))
            index += 2 + length
        }
        return suboptions
    }

    /// Option 82's data for `suboptions`; data longer than 255 bytes is cut to 255.
    public static func join(_ suboptions: [Suboption]) -> [UInt8] {
        var data = [UInt8]()
        for suboption in suboptions {
            let body = suboption.data.prefix(255)
            data.append(suboption.code); data.append(UInt8(body.count)); data.append(contentsOf: body)
        }
        return data
    }

    /// The name used for a suboption code in a record.
    public static func name(of code: UInt8) -> String { suboptions[code]?.name ?? "suboption_\(code)" }

    static func decode(_ data: [UInt8], into sink: inout some DHCPValueSink) throws(DHCPValueError) {
        var index = 0
        sink.beginRecord()
        while index < data.count {
            guard index + 2 <= data.count else { throw DHCPValueError("suboption at byte \(index) is truncated") }
            let code = data[index]
            let length = Int(data[index + 1])
            guard index + 2 + length <= data.count else {
                throw DHCPValueError("suboption \(code) at byte \(index) runs past the option's end")
            }
            let body = data[(index + 2)..<(index + 2 + length)]
            sink.field(name(of: code))
            if let shape = suboptions[code]?.shape {
                try shape.decode(Array(body), into: &sink)
            } else if suboptions[code] != nil {
                sink.textOrBytes(body)
            } else {
                sink.bytes(body)
            }
            index += 2 + length
        }
        sink.endRecord()
    }

    static func encode(_ value: DHCPOptionValue) -> [UInt8]? {
        guard case .record(let fields) = value else { return nil }
        var out = [UInt8]()
        for field in fields {
            guard let code = code(named: field.name) else { return nil }
            let body: [UInt8]?
            if let shape = suboptions[code]?.shape { body = shape.encode(field.value) }
            else { body = DHCPOptionShape.textOrBytesPayload(field.value) }
            guard let body, body.count <= 0xFF else { return nil }
            out.append(code); out.append(UInt8(body.count)); out.append(contentsOf: body)
        }
        return out
    }

    static func code(named name: String) -> UInt8? {
        if let match = suboptions.first(where: { $0.value.name == name }) { return match.key }
        guard name.hasPrefix("suboption_") else { return nil }
        return UInt8(name.dropFirst("suboption_".count))
    }
}

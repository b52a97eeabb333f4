import DHCPCore
import Foundation

/// One frame of a tshark reference decode.
struct ReferenceFrame {
    var number: Int
    var protocols: String
    /// The `dhcp` layer: an object of fields (`-T json`: ordered, duplicates kept; EK: flattened), or a bare
    /// string when tshark could not read the header (a short packet).
    var dhcp: OrderedJSON?
    var hasDHCPv6: Bool
    /// `udp.payload` when tshark gives it (hex).
    var udpPayload: [UInt8]?
    /// The `dhcpv6` layer (`-T json` only).
    var dhcpv6: OrderedJSON? = nil
}

enum TsharkReference {
    struct LoadError: Error, CustomStringConvertible {
        var description: String
    }

    static func load(_ capture: CaptureCase) throws -> [Int: ReferenceFrame] {
        guard let bytes = Fixtures.bytes(capture.reference) else {
            throw LoadError(description: "no reference file \(capture.reference)")
        }
        switch capture.format {
        case .json: return try loadJSON(bytes)
        case .ek: return try loadEK(bytes)
        }
    }

    /// `tshark -T json`: an array of packets, each `_source.layers` with one member per layer.
    static func loadJSON(_ bytes: [UInt8]) throws -> [Int: ReferenceFrame] {
        let document = try OrderedJSON.parse(bytes)
        guard let packets = document.elements else { throw LoadError(description: "the reference is not a JSON array") }
        var frames = [Int: ReferenceFrame]()
        for packet in packets {
            guard let layers = packet["_source"]?["layers"], let frame = layers["frame"],
                  let numberText = frame["frame.number"]?.string, let number = Int(numberText) else {
                throw LoadError(description: "a packet without _source.layers.frame.frame.number")
            }
            let payload = layers["udp"]?["udp.payload"]?.string.flatMap { Hex.parse($0) }
            frames[number] = ReferenceFrame(
                number: number, protocols: frame["frame.protocols"]?.string ?? "",
                dhcp: layers["dhcp"], hasDHCPv6: layers["dhcpv6"] != nil, udpPayload: payload, dhcpv6: layers["dhcpv6"])
        }
        return frames
    }

    /// `tshark -T ek`: newline-delimited; an index line, then a document line `{"timestamp", "layers"}` per packet.
    /// Field names are flattened (`dhcp_dhcp_option_type`) and repeated fields become arrays.
    static func loadEK(_ bytes: [UInt8]) throws -> [Int: ReferenceFrame] {
        var frames = [Int: ReferenceFrame]()
        for line in bytes.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
            let document = try OrderedJSON.parse(Array(line))
            if document["index"] != nil { continue }
            guard let layers = document["layers"], let frame = layers["frame"],
                  let numberText = frame["frame_frame_number"]?.strings.first, let number = Int(numberText) else {
                throw LoadError(description: "an EK document without layers.frame.frame_frame_number")
            }
            let payload = layers["udp"]?["udp_udp_payload"]?.strings.first.flatMap { Hex.parse($0) }
            frames[number] = ReferenceFrame(
                number: number, protocols: frame["frame_frame_protocols"]?.strings.first ?? "",
                dhcp: layers["dhcp"], hasDHCPv6: layers["dhcpv6"] != nil, udpPayload: payload, dhcpv6: layers["dhcpv6"])
        }
        return frames
    }
}

/// How tshark 4.0 prints FT_STRING values: up to the first NUL; printable ASCII and valid UTF-8 as they are,
/// C escapes for \a \b \f \n \r \t \v, `\xNN` for other control bytes.
enum TsharkText {
    static func render(_ bytes: some Collection<UInt8>) -> String {
        let cut = Array(bytes.prefix(while: { $0 != 0 }))
        var out = ""
        var index = 0
        while index < cut.count {
            let byte = cut[index]
            if byte >= 0x80 {
                // A valid UTF-8 sequence stays one character.
                let width = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
                if width > 1, index + width <= cut.count,
                   let scalar = String(validating: cut[index..<(index + width)], as: UTF8.self) {
                    out += scalar
                    index += width
                    continue
                }
                out += "\u{FFFD}"
                index += 1
                continue
            }
            switch byte {
            case 0x07: out += "\\a"
            case 0x08: out += "\\b"
            case 0x0C: out += "\\f"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x0B: out += "\\v"
            case 0x20..<0x7F: out += String(UnicodeScalar(byte))
            default: out += "\\x" + Hex.compact([byte])
            }
            index += 1
        }
        return out
    }
}

import DHCPCore
import FuzzSupport

/// libFuzzer entry point. The first byte picks what the rest of the input is:
/// 0: an option code, then that option's data (any length: RFC 3396 concatenations can exceed 255 bytes),
///    decoded by the table's shape: 82, 119, 121, 81 and every other code the table knows.
/// 1: options (code, 16-bit length, data) put into a built message, which splits long ones (RFC 3396 §5):
///    after serialize and parse every option comes back whole.
/// 2: an overloaded message (option 52): sname and file filled from the input, then the options field.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOptions(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: start, count: count)
    guard let mode = input.first else { return 0 }
    let rest = Array(input.dropFirst())
    switch mode % 3 {
    case 0: decodeOne(rest)
    case 1: concatenate(rest)
    default: overload(rest)
    }
    return 0
}

private func decodeOne(_ bytes: [UInt8]) {
    guard let code = bytes.first else { return }
    stop(on: RoundTripProperties.value(of: DHCPOption(DHCPOptionCode(code), Array(bytes.dropFirst()))))
}

private func concatenate(_ bytes: [UInt8]) {
    var options = [DHCPOption]()
    var index = 0
    while index + 3 <= bytes.count {
        let code = bytes[index]
        let length = Int(bytes[index + 1]) << 8 | Int(bytes[index + 2])
        let end = min(bytes.count, index + 3 + length)
        // Pad, end and overload have no place in a list of options given to a builder.
        if code != 0, code != 255, code != DHCPOptionCode.optionOverload.rawValue {
            options.append(DHCPOption(DHCPOptionCode(code), Array(bytes[(index + 3)..<end])))
        }
        index = end
    }
    var expected = [DHCPOption]()
    for option in options {
        if let at = expected.firstIndex(where: { $0.code == option.code }) {
            expected[at].data += option.data
        } else {
            expected.append(option)
        }
    }
    let built = DHCPMessage(op: DHCPMessage.bootRequest, xid: 1, chaddr: [], options: options)
    let serialized = built.serialize()
    stop(on: serialized.withUnsafeBytes { RoundTripProperties.message($0) })
    let parsed = DHCPMessage.parse(serialized)
    precondition(parsed.diagnostics.isEmpty, "a built message parses with diagnostics: \(parsed.diagnostics)")
    precondition(parsed.message?.options == expected, "RFC 3396: options do not come back whole")
}

private func overload(_ bytes: [UInt8]) {
    guard let value = bytes.first else { return }
    var payload = [UInt8](repeating: 0, count: DHCPMessage.headerLength)
    payload[0] = DHCPMessage.bootReply
    let fields = Array(bytes.dropFirst().prefix(192))
    payload.replaceSubrange(44..<(44 + fields.count), with: fields)
    payload += [0x63, 0x82, 0x53, 0x63, DHCPOptionCode.optionOverload.rawValue, 1, value]
    payload += bytes.dropFirst(1 + fields.count)
    stop(on: payload.withUnsafeBytes { RoundTripProperties.message($0) })
}

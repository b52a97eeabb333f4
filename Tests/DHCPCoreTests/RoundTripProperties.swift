import DHCPCore

/// The properties that hold for any bytes, as the fuzz targets check them (fuzz/Sources/FuzzSupport links this
/// file) and as the regression tests check the inputs the fuzzers found. Each returns what broke; empty is good.
public enum RoundTripProperties {
    /// Parses a DHCP payload, uses every view of the result, and checks the round trip: the parser keeps every
    /// byte, so serialize(parse(b)) is b itself, and parsing that again gives the same message and diagnostics.
    public static func message(_ bytes: UnsafeRawBufferPointer) -> [String] {
        var broken = [String]()
        let result = DHCPMessage.parse(bytes)
        for diagnostic in result.diagnostics where !(0...bytes.count).contains(diagnostic.offset) {
            broken.append("diagnostic offset out of the payload: \(diagnostic)")
        }
        guard let message = result.message else {
            if bytes.count >= DHCPMessage.headerLength { broken.append("no message from \(bytes.count) bytes") }
            return broken
        }
        let instances = message.optionInstances
        if result.optionOffsets.count != instances.count {
            broken.append("\(result.optionOffsets.count) offsets for \(instances.count) option instances")
        }
        for (offset, instance) in zip(result.optionOffsets, instances)
        where offset + 2 + instance.option.data.count > bytes.count || bytes[offset] != instance.option.code.rawValue {
            broken.append("option offset \(offset) does not hold option \(instance.option.code)")
        }
        _ = (message.typeName, message.clientMAC, message.hardwareAddress, message.hostName)
        _ = (DHCPMessage.text(of: message.sname), DHCPMessage.text(of: message.file))
        let merged = message.options
        if Set(merged.map(\.code)).count != merged.count { broken.append("the RFC 3396 view has a code twice") }
        if let first = merged.first, message.option(first.code) != first {
            broken.append("option(\(first.code)) differs from the RFC 3396 view")
        }
        for option in merged { broken += value(of: option) }
        let serialized = message.serialize()
        if !serialized.elementsEqual(bytes) {
            broken.append("serialize(parse(b)) is not b (\(serialized.count) bytes for \(bytes.count))")
        }
        let again = DHCPMessage.parse(serialized)
        if again.message != message { broken.append("parse(serialize(m)) is not m") }
        if again.diagnostics != result.diagnostics { broken.append("parse(serialize(m)) reports other diagnostics") }
        return broken
    }

    /// Decodes an option by the table's shape. A value that encodes must decode again; text that is not UTF-8
    /// cannot come back byte for byte (it is read as Latin-1 and written as UTF-8), so the property is that one
    /// encode–decode round normalises a value and a second changes nothing.
    public static func value(of option: DHCPOption) -> [String] {
        guard let definition = DHCPOptionTable.definition(for: option.code),
              let decoded = try? definition.shape.decode(option.data),
              let encoded = definition.shape.encode(decoded) else { return [] }
        let normalised: DHCPOptionValue
        do { normalised = try definition.shape.decode(encoded) } catch {
            return ["option \(option.code): encode(v) does not decode (\(error)) for \(option.data)"]
        }
        guard let reencoded = definition.shape.encode(normalised) else {
            return ["option \(option.code): a decoded value does not encode, for \(option.data)"]
        }
        guard (try? definition.shape.decode(reencoded)) == normalised else {
            return ["option \(option.code): decode(encode(v)) is not v for \(option.data)"]
        }
        return []
    }
}

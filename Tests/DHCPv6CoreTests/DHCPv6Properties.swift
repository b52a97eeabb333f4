import DHCPv6Core

/// What holds for any bytes read as a DHCPv6 message, as the fuzz target (fuzz/Sources/FuzzSupport links this file)
/// and the tests check it. Returns what broke; empty is good.
public enum DHCPv6Properties {
    /// Parses `bytes`: a refusal names an offset inside them; a message writes back to exactly these bytes, and
    /// every option's nested options, value and relayed messages can be read without harm.
    public static func message(_ bytes: UnsafeRawBufferPointer) -> [String] {
        var broken = [String]()
        let input = Array(bytes)
        do {
            let message = try DHCPv6Message(parsing: input)
            if message.serialized() != input { broken.append("serialize(parse(b)) differs from b") }
            for option in message.options { exercise(option, depth: 0, broken: &broken) }
            _ = message.relayChain
        } catch {
            if !(0...input.count).contains(error.offset) { broken.append("refused at offset \(error.offset) of \(input.count)") }
            _ = error.description
        }
        return broken
    }

    /// Reads an option every way there is, and the options inside it.
    private static func exercise(_ option: DHCPv6Option, depth: Int, broken: inout [String]) {
        _ = DHCPv6OptionValue(option)
        _ = DHCPv6OptionTable.name(option.code)
        if let inner = try? option.suboptions() {
            let fixed = DHCPv6OptionTable.definition(option.code)?.shape.optionsOffset ?? 0
            let rebuilt = DHCPv6Option(option.code, fields: Array(option.data.prefix(fixed)), options: inner)
            if rebuilt != option { broken.append("option \(option.code) does not rebuild from its options") }
            if depth < 32 { for each in inner { exercise(each, depth: depth + 1, broken: &broken) } }
        }
        if let relayed = try? option.relayedMessage(), relayed.serialized() != option.data {
            broken.append("the message in option \(option.code) does not write back to its bytes")
        }
    }
}

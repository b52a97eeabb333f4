import DHCPv6Core

/// What holds for any bytes read as a DHCPv6 message, as the fuzz target (fuzz/Sources/FuzzSupport links this file)
/// and the tests check it. Returns what broke; empty is good.
public enum DHCPv6Properties {
    /// Parses `bytes`: a refusal names an offset inside them; a message writes back to exactly these bytes, and
    /// every option's nested options, value (and its text) and relayed messages can be read without harm. `validate`
    /// accepts exactly the messages whose options can be read to every depth, and refuses at an offset inside them.
    public static func message(_ bytes: UnsafeRawBufferPointer) -> [String] {
        var broken = [String]()
        let input = Array(bytes)
        var validated = true
        do throws(DHCPv6ParseError) { try DHCPv6Message.validate(bytes) } catch {
            validated = false
            if !(0...input.count).contains(error.offset) { broken.append("validate refused at offset \(error.offset) of \(input.count)") }
        }
        do {
            let message = try DHCPv6Message(parsing: input)
            if message.serialized() != input { broken.append("serialize(parse(b)) differs from b") }
            var readable = true
            for option in message.options { exercise(option, depth: 0, readable: &readable, broken: &broken) }
            if readable != validated { broken.append("validate says \(validated), reading every option says \(readable)") }
            if validated, let view = try? DHCPv6MessageView(validating: bytes) {
                checkView(view, against: message, broken: &broken)
                if view.innermost().message.type != message.relayChain.last?.type {
                    broken.append("the view's innermost message is not the relay chain's last")
                }
            }
            _ = message.relayChain
        } catch {
            if !(0...input.count).contains(error.offset) { broken.append("refused at offset \(error.offset) of \(input.count)") }
            if validated { broken.append("validate accepts what parse refuses") }
            _ = error.description
        }
        return broken
    }

    /// The in-place view reads the same options, values and nested options as the owned message.
    private static func checkView(_ view: DHCPv6MessageView, against message: DHCPv6Message, broken: inout [String]) {
        var viewed = [DHCPv6Option]()
        view.forEachOption { code, data in viewed.append(DHCPv6Option(code, Array(data))) }
        if viewed != message.options { broken.append("the view's options differ from the parsed message's") }
        if view.transactionID != message.transactionID { broken.append("the view's transaction id differs") }
        for option in message.options {
            let inPlace = option.data.withUnsafeBytes { DHCPv6OptionValue(code: option.code, data: $0) }
            if inPlace != DHCPv6OptionValue(option) { broken.append("option \(option.code) reads differently in place") }
            var nested = [DHCPv6Option]()
            option.data.withUnsafeBytes { data in
                DHCPv6MessageView.forEachSuboption(of: option.code, data: data) { code, inner in nested.append(DHCPv6Option(code, Array(inner))) }
            }
            if let expected = try? option.suboptions(), nested != expected { broken.append("option \(option.code)'s options differ in place") }
        }
    }

    /// Reads an option every way there is, and the options inside it.
    private static func exercise(_ option: DHCPv6Option, depth: Int, readable: inout Bool, broken: inout [String]) {
        _ = DHCPv6OptionValue(option)?.text
        _ = DHCPv6OptionTable.name(option.code)
        do {
            if let inner = try option.suboptions() {
                let fixed = DHCPv6OptionTable.definition(option.code)?.shape.optionsOffset ?? 0
                let rebuilt = DHCPv6Option(option.code, fields: Array(option.data.prefix(fixed)), options: inner)
                if rebuilt != option { broken.append("option \(option.code) does not rebuild from its options") }
                for each in inner { exercise(each, depth: depth + 1, readable: &readable, broken: &broken) }
            }
            if let relayed = try option.relayedMessage() {
                if relayed.serialized() != option.data {
                    broken.append("the message in option \(option.code) does not write back to its bytes")
                }
                for each in relayed.options { exercise(each, depth: depth + 1, readable: &readable, broken: &broken) }
            }
        } catch {
            readable = false
        }
    }
}

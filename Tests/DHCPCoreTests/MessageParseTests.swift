import DHCPCore
import Testing

/// Parses, checks that it never loses a byte, and hands back the result.
@discardableResult
func parseRoundTrip(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> DHCPParseResult {
    let result = DHCPMessage.parse(bytes)
    if let message = result.message {
        #expect(message.serialize() == bytes, "serialize() lost or changed bytes", sourceLocation: sourceLocation)
    }
    return result
}

extension DHCPParseResult {
    var codes: [DHCPParseError.Code] { diagnostics.map(\.code) }
}

@Suite("Message parsing")
struct MessageParseTests {
    @Test("A header shorter than 236 bytes gives no message and truncated-header", arguments: [0, 1, 4, 100, 235])
    func truncatedHeader(_ length: Int) {
        let bytes = Array(PayloadBuilder().bytes.prefix(length))
        let result = DHCPMessage.parse(bytes)
        #expect(result.message == nil)
        #expect(result.codes == [.truncatedHeader])
        #expect(result.diagnostics.first?.offset == length)
        #expect(result.diagnostics.first?.severity == .error)
    }

    @Test("Exactly 236 bytes is plain BOOTP with no vendor area")
    func plainBOOTP() throws {
        var builder = PayloadBuilder(op: 2)
        builder.write(bytes(of: "server1"), at: 44)
        builder.write(bytes(of: "/boot/image"), at: 108)
        let result = parseRoundTrip(builder.bytes)
        let message = try #require(result.message)
        #expect(result.diagnostics.isEmpty)
        #expect(message.vendor == .absent)
        #expect(message.typeName == "BOOTREPLY")
        #expect(message.messageType == nil)
        #expect(DHCPMessage.text(of: message.sname) == "server1")
        #expect(DHCPMessage.text(of: message.file) == "/boot/image")
        #expect(message.clientMAC == MACAddress("00:11:22:33:44:55"))
        #expect(message.xid == 0x1234_5678)
    }

    @Test("A well-formed DISCOVER parses, with offsets and typed values")
    func discover() throws {
        var builder = PayloadBuilder()
        builder.cookie()
        builder.append(hex("35 01 01  0c 04 68 6f 73 74  37 03 01 03 06  ff  00 00 00"))
        let result = parseRoundTrip(builder.bytes)
        let message = try #require(result.message)
        #expect(result.diagnostics.isEmpty)
        #expect(message.messageType == .discover)
        #expect(message.typeName == "DISCOVER")
        #expect(message.hostName == "host")
        #expect(message.options.map(\.code) == [.messageType, .hostName, .parameterRequestList])
        #expect(result.optionOffsets == [240, 243, 249])
        guard case .options(let area) = message.vendor else { Issue.record("no options area"); return }
        #expect(area.elements.last == .end)
        #expect(area.trailer == [0, 0, 0])
    }

    @Test("A bad magic cookie keeps the rest as unknown bytes", arguments: [
        "63 82 53 64 35 01 01 ff", "00 00 00 00", "63 82", "63",
    ])
    func badCookie(_ tail: String) throws {
        var builder = PayloadBuilder()
        builder.append(hex(tail))
        let result = parseRoundTrip(builder.bytes)
        let message = try #require(result.message)
        #expect(result.codes == [.badMagicCookie])
        #expect(result.diagnostics.first?.offset == 236)
        #expect(message.vendor == .unknown(hex(tail)))
        #expect(message.options.isEmpty)
    }

    @Test("An option running past the end: option-truncated at its offset, earlier options kept")
    func optionPastEnd() throws {
        var builder = PayloadBuilder()
        builder.cookie()
        builder.append(hex("35 01 03  32 04 c0 a8 01 0a  0c 10 61 62 63"))
        let result = parseRoundTrip(builder.bytes)
        let message = try #require(result.message)
        #expect(result.codes == [.optionTruncated])
        #expect(result.diagnostics.first?.offset == 249)
        #expect(message.messageType == .request)
        #expect(message.requestedAddress == ip("192.168.1.10"))
        #expect(message.option(.hostName) == nil)
        guard case .options(let area) = message.vendor else { Issue.record("no options area"); return }
        #expect(area.trailer == hex("0c 10 61 62 63"))
    }

    @Test("An option whose length byte is missing: option-truncated at its code")
    func missingLengthByte() throws {
        var builder = PayloadBuilder()
        builder.cookie()
        builder.append(hex("35 01 01 0c"))
        let result = parseRoundTrip(builder.bytes)
        #expect(result.codes == [.optionTruncated])
        #expect(result.diagnostics.first?.offset == 243)
        #expect(result.message?.messageType == .discover)
    }

    @Test("Options without the end option: a missing-end warning")
    func missingEnd() throws {
        var builder = PayloadBuilder()
        builder.cookie()
        builder.append(hex("35 01 01 3d 07 01 00 11 22 33 44 55"))
        let result = parseRoundTrip(builder.bytes)
        #expect(result.codes == [.missingEnd])
        #expect(result.diagnostics.first?.severity == .warning)
        #expect(result.diagnostics.first?.offset == builder.bytes.count)
        #expect(result.message?.clientIdentifier == hex("01 00 11 22 33 44 55"))
    }

    @Test("Only the cookie: no options, missing end")
    func cookieOnly() throws {
        var builder = PayloadBuilder()
        builder.cookie()
        let result = parseRoundTrip(builder.bytes)
        #expect(result.codes == [.missingEnd])
        #expect(result.message?.options.isEmpty == true)
    }

    @Test("hlen over 16 is reported and the message still parses", arguments: [UInt8(17), 255])
    func badHlen(_ hlen: UInt8) throws {
        var builder = PayloadBuilder(hlen: hlen)
        builder.cookie()
        builder.append(hex("35 01 01 ff"))
        let result = parseRoundTrip(builder.bytes)
        let message = try #require(result.message)
        #expect(result.codes == [.badHardwareLength])
        #expect(result.diagnostics.first?.offset == 2)
        #expect(message.hlen == hlen)
        #expect(message.hardwareAddress.count == 16)
        #expect(message.clientMAC == nil)
    }

    @Test("Endless pad: no hang, missing end, every byte kept")
    func endlessPad() throws {
        var builder = PayloadBuilder()
        builder.cookie()
        builder.append([UInt8](repeating: 0, count: 10_000))
        let result = parseRoundTrip(builder.bytes)
        let message = try #require(result.message)
        #expect(result.codes == [.missingEnd])
        #expect(message.vendor == .options(DHCPOptionArea(elements: [.pad(count: 10_000)])))
    }

    /// Option 52 = 3: options field, then file, then sname; option 15 and 12 split across all of them.
    func overloadedBoth() -> [UInt8] {
        var builder = PayloadBuilder(op: 2)
        builder.write(hex("0f 04 2e 63 6f 6d  0c 02 73 74  ff"), at: 44)      // sname
        builder.write(hex("0f 03 70 6c 65  0c 02 68 6f  00 00  ff"), at: 108) // file
        builder.cookie()
        builder.append(hex("35 01 05  34 01 03  0f 04 65 78 61 6d  ff"))
        return builder.bytes
    }

    @Test("Option 52 = 3: options from file then sname, RFC 3396 concatenation across fields")
    func overloadFileAndSname() throws {
        let result = parseRoundTrip(overloadedBoth())
        let message = try #require(result.message)
        #expect(result.diagnostics.isEmpty)
        #expect(message.optionInstances.map(\.location) == [.options, .options, .options, .file, .file, .sname, .sname])
        #expect(result.optionOffsets == [240, 243, 246, 108, 113, 44, 50])
        #expect(message.option(.domainName)?.data == bytes(of: "example.com"))
        #expect(message.value(.domainName) == .text("example.com"))
        #expect(message.hostName == "host")
        #expect(message.options.map(\.code) == [.messageType, .optionOverload, .domainName, .hostName])
        #expect(message.messageType == .ack)
        #expect(DHCPMessage.text(of: message.file) == "")
        guard case .options(let file) = message.file else { Issue.record("file is not options"); return }
        #expect(file.elements == [.option(DHCPOption(.domainName, bytes(of: "ple"))),
                                  .option(DHCPOption(.hostName, bytes(of: "ho"))), .pad(count: 2), .end])
        #expect(file.byteCount == 128)
    }

    @Test("Option 52 = 1 and 2: only the named field holds options", arguments: [UInt8(1), 2])
    func overloadOne(_ which: UInt8) throws {
        var builder = PayloadBuilder(op: 2)
        builder.write(hex("0c 02 73 6e ff"), at: 44)
        builder.write(hex("0c 02 66 69 ff"), at: 108)
        builder.cookie()
        builder.append(hex("34 01") + [which] + hex("ff"))
        let result = parseRoundTrip(builder.bytes)
        let message = try #require(result.message)
        #expect(result.diagnostics.isEmpty)
        if which == 1 {
            #expect(message.hostName == "fi")
            #expect(message.sname == .raw(Array(builder.bytes[44..<108])))
        } else {
            #expect(message.hostName == "sn")
            #expect(message.file == .raw(Array(builder.bytes[108..<236])))
        }
    }

    @Test("Several instances of one option in one field concatenate (RFC 3396)")
    func concatenationInOneField() throws {
        var builder = PayloadBuilder()
        builder.cookie()
        builder.append(hex("0c 03 61 62 63  35 01 01  0c 02 64 65  ff"))
        let result = parseRoundTrip(builder.bytes)
        let message = try #require(result.message)
        #expect(message.hostName == "abcde")
        #expect(message.options == [DHCPOption(.hostName, bytes(of: "abcde")), DHCPOption(.messageType, [1])])
        #expect(message.optionInstances.count == 3)
    }

    @Test("A bad overload value or length is reported; file and sname stay raw", arguments: [
        "34 01 00", "34 01 04", "34 02 01 01", "34 00",
    ])
    func badOverload(_ option: String) throws {
        var builder = PayloadBuilder()
        builder.write(hex("0c 02 73 6e ff"), at: 44)
        builder.cookie()
        builder.append(hex("35 01 01") + hex(option) + hex("ff"))
        let result = parseRoundTrip(builder.bytes)
        let message = try #require(result.message)
        #expect(result.codes == [.badOverload])
        #expect(result.diagnostics.first?.offset == 243, "the offset of option 52")
        #expect(message.sname == .raw(Array(builder.bytes[44..<108])))
        #expect(message.hostName == nil)
    }

    @Test("Option 52 inside an overloaded field is misplaced")
    func misplacedOverload() throws {
        var builder = PayloadBuilder()
        builder.write(hex("34 01 02 ff"), at: 108)
        builder.cookie()
        builder.append(hex("34 01 01 ff"))
        let result = parseRoundTrip(builder.bytes)
        #expect(result.codes == [.misplacedOverload])
        #expect(result.diagnostics.first?.offset == 108)
        #expect(result.message.map { DHCPMessage.text(of: $0.sname) } == "")
    }

    @Test("An overloaded field with a truncated option or without end is reported and kept")
    func overloadedFieldProblems() throws {
        var builder = PayloadBuilder()
        builder.write(hex("0c 02 61 62") + [UInt8](repeating: 0, count: 60), at: 44) // no end option
        builder.write([UInt8](repeating: 0, count: 120) + hex("0f 20 61 62 63"), at: 108)
        builder.cookie()
        builder.append(hex("34 01 03 ff"))
        let result = parseRoundTrip(builder.bytes)
        let message = try #require(result.message)
        #expect(result.codes == [.optionTruncated, .missingEnd])
        #expect(result.diagnostics.map(\.offset) == [228, 108])
        #expect(message.hostName == "ab")
    }

    @Test("An endless pad in an overloaded field")
    func overloadedPad() throws {
        var builder = PayloadBuilder()
        builder.cookie()
        builder.append(hex("34 01 03 ff"))
        let result = parseRoundTrip(builder.bytes)
        #expect(result.codes == [.missingEnd, .missingEnd])
        #expect(result.message?.file == .options(DHCPOptionArea(elements: [.pad(count: 128)])))
    }

    @Test("A built message pads to 300 bytes and parses back equal")
    func builtMessage() throws {
        let message = DHCPMessage(
            op: 1, xid: 0xDEAD_BEEF, flags: 0x8000, chaddr: [0, 0x11, 0x22, 0x33, 0x44, 0x55],
            options: [DHCPOption(.messageType, [3]), DHCPOption(.requestedAddress, hex("c0 a8 01 64"))])
        let bytes = message.serialize()
        #expect(bytes.count == 300)
        #expect(Array(bytes[236..<240]) == [99, 130, 83, 99])
        #expect(message.isBroadcast)
        let result = DHCPMessage.parse(bytes)
        #expect(result.message == message)
        #expect(result.diagnostics.isEmpty)
    }

    @Test("A long option splits into 255-byte instances and joins back (RFC 3396)")
    func longOption() throws {
        let data = (0..<600).map { UInt8(truncatingIfNeeded: $0) }
        let message = DHCPMessage(op: 2, xid: 7, chaddr: [], options: [DHCPOption(DHCPOptionCode(224), data)])
        let parsed = try #require(DHCPMessage.parse(message.serialize()).message)
        #expect(parsed == message)
        #expect(parsed.optionInstances.map(\.option.data.count) == [255, 255, 90])
        #expect(parsed.option(DHCPOptionCode(224))?.data == data)
    }

    @Test("An area built by hand with a long option still serializes as valid options")
    func handBuiltLongOption() throws {
        let data = [UInt8](repeating: 7, count: 300)
        let area = DHCPOptionArea(elements: [.option(DHCPOption(DHCPOptionCode(224), data)), .end])
        var bytes = [UInt8]()
        area.serialize(into: &bytes)
        #expect(bytes.count == area.byteCount)
        var builder = PayloadBuilder()
        builder.cookie()
        builder.append(bytes)
        let result = DHCPMessage.parse(builder.bytes)
        #expect(result.diagnostics.isEmpty)
        #expect(result.message?.option(DHCPOptionCode(224))?.data == data)
    }
}

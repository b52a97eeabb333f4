import Framing
import NetworkPrimitives
import Testing

@Suite("Frame parsing")
struct FrameParserTests {
    let datagram = ipv4(source: [0, 0, 0, 0], destination: [255, 255, 255, 255], payload: udp())

    func expectDHCP(_ bytes: [UInt8], _ linkType: LinkType, sourceLocation: SourceLocation = #_sourceLocation) -> Frame {
        let frame = parse(bytes, linkType)
        guard let parts = udpParts(frame, bytes) else {
            Issue.record("not UDP: \(frame.payload)", sourceLocation: sourceLocation)
            return frame
        }
        #expect(parts.udp.sourcePort == 68, sourceLocation: sourceLocation)
        #expect(parts.udp.destinationPort == 67, sourceLocation: sourceLocation)
        #expect(parts.payload == dhcpPayload, sourceLocation: sourceLocation)
        #expect(parts.error == nil, sourceLocation: sourceLocation)
        #expect(parts.ip.source == IPv4Address.any, sourceLocation: sourceLocation)
        #expect(parts.ip.destination == IPv4Address.broadcast, sourceLocation: sourceLocation)
        #expect(parts.ip.protocolNumber == 17, sourceLocation: sourceLocation)
        #expect(parts.ip.ttl == 64, sourceLocation: sourceLocation)
        #expect(parts.ip.identification == 0x1234, sourceLocation: sourceLocation)
        return frame
    }

    @Test("Ethernet")
    func plainEthernet() {
        let frame = expectDHCP(ethernet(payload: datagram), .ethernet)
        #expect(frame.link.source == MACAddress(bytes: clientMAC))
        #expect(frame.link.destination == .broadcast)
        #expect(frame.link.vlans.isEmpty)
    }

    @Test("Ethernet padded to 60 bytes: the IPv4 total length wins over the padding")
    func ethernetPadding() {
        let short = ipv4(payload: udp(payload: [1, 2]))
        let frame = parse(ethernet(payload: short + [UInt8](repeating: 0, count: 16)))
        guard let parts = udpParts(frame, ethernet(payload: short + [UInt8](repeating: 0, count: 16))) else {
            Issue.record("not UDP"); return
        }
        #expect(parts.payload == [1, 2])
        #expect(parts.error == nil)
    }

    @Test("802.1Q")
    func dot1q() {
        let frame = expectDHCP(ethernet(tags: [(0x8100, 100)], payload: datagram), .ethernet)
        #expect(frame.link.vlans == [100])
    }

    @Test("802.1ad outer and 802.1Q inner: VLANs outermost first")
    func qinq() {
        let frame = expectDHCP(ethernet(tags: [(0x88A8, 300), (0x8100, 42)], payload: datagram), .ethernet)
        #expect(frame.link.vlans == [300, 42])
    }

    @Test("A VLAN tag cut short is a truncated link header")
    func truncatedTag() {
        let frame = parse(Array(ethernet(tags: [(0x8100, 100)], payload: []).prefix(16)))
        guard case .malformed(let error) = frame.payload else { Issue.record("\(frame.payload)"); return }
        #expect(error.code == .truncatedLinkHeader)
    }

    @Test("Non-IP EtherType (ARP) is other")
    func arp() {
        #expect(parse(ethernet(etherType: 0x0806, payload: [UInt8](repeating: 0, count: 28))).payload == .other)
    }

    @Test("Linux SLL (113)")
    func linuxSLL() {
        let frame = expectDHCP(sll(payload: datagram), .linuxSLL)
        #expect(frame.link.source == MACAddress(bytes: clientMAC))
    }

    @Test("Linux SLL2 (276)")
    func linuxSLL2() {
        let frame = expectDHCP(sll2(payload: datagram), .linuxSLL2)
        #expect(frame.link.source == MACAddress(bytes: clientMAC))
    }

    @Test("Null (0) with the family in either byte order", arguments: [false, true])
    func null(_ bigEndian: Bool) {
        _ = expectDHCP(nullHeader(family: 2, bigEndian: bigEndian, payload: datagram), .null)
        let v6 = nullHeader(family: 30, bigEndian: bigEndian, payload: ipv6(payload: udp(source: 546, destination: 547)))
        #expect(v6Ports(parse(v6, .null).payload) == [546, 547])
        #expect(parse(nullHeader(family: 7, bigEndian: bigEndian, payload: datagram), .null).payload == .other)
    }

    @Test("Loop (108): the family in network order")
    func loop() {
        _ = expectDHCP(nullHeader(family: 2, bigEndian: true, payload: datagram), .loop)
        let v6 = nullHeader(family: 24, bigEndian: true, payload: ipv6(payload: udp(source: 547, destination: 546)))
        #expect(v6Ports(parse(v6, .loop).payload) == [547, 546])
    }

    @Test("Raw (101, 12, 14, 228) IPv4", arguments: [LinkType.raw, .rawDLT12, .rawDLT14, .ipv4])
    func rawIPv4(_ linkType: LinkType) {
        _ = expectDHCP(datagram, linkType)
    }

    @Test("Raw (101) IPv6 with UDP 546 → 547")
    func rawIPv6() {
        let packet = ipv6(payload: udp(source: 546, destination: 547))
        #expect(v6Ports(parse(packet, .raw).payload) == [546, 547])
    }

    @Test("IPv6 UDP over Ethernet, also after a hop-by-hop header")
    func ethernetIPv6() {
        let plain = ethernet(etherType: 0x86DD, payload: ipv6(payload: udp(source: 546, destination: 547)))
        #expect(v6Ports(parse(plain).payload) == [546, 547])
        let hopByHop: [UInt8] = [17, 0, 5, 2, 0, 0, 1, 0] // next header UDP, router alert
        let extended = ethernet(etherType: 0x86DD, payload: ipv6(nextHeader: 0, payload: hopByHop + udp(source: 547, destination: 546)))
        #expect(v6Ports(parse(extended).payload) == [547, 546])
        #expect(parse(ethernet(etherType: 0x86DD, payload: ipv6(nextHeader: 58, payload: [128, 0, 0, 0]))).payload == .other)
        #expect(parse(ethernet(etherType: 0x86DD, payload: Array(ipv6(payload: []).prefix(30)))).payload == .other)
    }

    @Test("An ICMPv6 error quoting a DHCPv6 message is not a message")
    func icmpv6Quote() {
        let quoted = ipv6(payload: udp(source: 546, destination: 547, payload: [1, 0, 0, 1]))
        let unreachable: [UInt8] = [1, 4, 0, 0, 0, 0, 0, 0] + quoted // destination unreachable, port unreachable
        #expect(parse(ethernet(etherType: 0x86DD, payload: ipv6(nextHeader: 58, payload: unreachable))).payload == .other)
    }

    @Test("IPv6 fragments (RFC 8200 §4.5): each is a fragment; reassembled, the UDP datagram after a destination options header")
    func ipv6Fragments() throws {
        let dhcp = [UInt8](repeating: 0x5a, count: 40)
        // What follows the fragment header: a destination options header, then UDP.
        let fragmentable: [UInt8] = [17, 0, 1, 4, 0, 0, 0, 0] + udp(source: 547, destination: 546, payload: dhcp)
        let cut = 24 // a multiple of eight
        func fragment(_ offset: Int, more: Bool, _ bytes: ArraySlice<UInt8>) -> [UInt8] {
            let field = UInt16(offset) | (more ? 1 : 0)
            return ethernet(etherType: 0x86DD, payload: ipv6(nextHeader: 44, payload: [60, 0] + be16(field) + [0xde, 0xad, 0xbe, 0xef] + bytes))
        }
        var reassembler = IPv6Reassembler()
        var outcome: IPv6Reassembler.Outcome?
        for frame in [fragment(cut, more: false, fragmentable[cut...]), fragment(0, more: true, fragmentable[..<cut])] {
            let parsed = frame.withUnsafeBytes { FrameParser.parse($0, linkType: .ethernet) }
            guard case let .ipv6Fragment(info, range) = parsed.payload else {
                Issue.record("not a fragment: \(parsed.payload)")
                return
            }
            #expect(info.identification == 0xdeadbeef && info.ip.nextHeader == 60)
            outcome = frame.withUnsafeBytes { reassembler.add(info, payload: UnsafeRawBufferPointer(rebasing: $0[range]), time: 0) }
        }
        guard case .complete(let datagram)? = outcome else {
            Issue.record("not reassembled: \(String(describing: outcome))")
            return
        }
        #expect(datagram.payload == fragmentable)
        let upper = datagram.payload.withUnsafeBytes { FrameParser.parseIPv6Upper($0, 0..<$0.count, ip: datagram.ip.ip) }
        guard case let .ipv6UDP(_, udpInfo, nil) = upper else {
            Issue.record("no UDP after reassembly: \(upper)")
            return
        }
        #expect(udpInfo.sourcePort == 547 && Array(datagram.payload[udpInfo.payload]) == dhcp)
    }

    @Test("IPv6: addresses, hop limit, the UDP payload, Ethernet padding left out, a UDP length that lies")
    func ipv6Datagram() throws {
        let dhcp: [UInt8] = [1, 0xab, 0xcd, 0xef, 0, 8, 0, 2, 0, 0]
        let frame = ethernet(etherType: 0x86DD, payload: ipv6(payload: udp(source: 546, destination: 547, payload: dhcp)))
            + [UInt8](repeating: 0, count: 6) // padding after the datagram
        guard case let .ipv6UDP(ip, datagram, lengthError) = parse(frame).payload else {
            Issue.record("not IPv6 UDP: \(parse(frame).payload)")
            return
        }
        #expect(ip.source.description == "fe80::1" && ip.destination.description == "ff02::1:2")
        #expect(ip.hopLimit == 64 && ip.nextHeader == 17)
        #expect(Array(frame[datagram.payload]) == dhcp)
        #expect(lengthError == nil)
        let lying = ethernet(etherType: 0x86DD, payload: ipv6(payload: udp(source: 546, destination: 547, payload: dhcp, length: 60)))
        guard case let .ipv6UDP(_, lyingUDP, lyingError) = parse(lying).payload else {
            Issue.record("not IPv6 UDP")
            return
        }
        #expect(Array(lying[lyingUDP.payload]) == dhcp)
        #expect(lyingError == FramingError(.udpLengthPastData(60, present: 8 + dhcp.count), offset: 14 + 40 + 4))
    }

    @Test("IPv4 with options (IHL 6)")
    func ipv4Options() {
        let packet = ipv4(options: [0x94, 0x04, 0x00, 0x00], payload: udp()) // router alert
        let frame = expectDHCP(ethernet(payload: packet), .ethernet)
        guard case .udp(let ip, _, _) = frame.payload else { return }
        #expect(ip.headerLength == 24)
    }

    @Test("IPv4 header length below 5 words or beyond the bytes", arguments: [0, 1, 4, 15])
    func ihlLies(_ ihl: Int) {
        let frame = parse(ethernet(payload: ipv4(ihl: ihl, payload: [])))
        guard case .malformed(let error) = frame.payload else { Issue.record("\(frame.payload)"); return }
        #expect(error.code == .badIPv4HeaderLength)
        #expect(error.offset == 14)
    }

    @Test("IPv4 total length shorter than the header")
    func totalLengthShort() {
        let frame = parse(ethernet(payload: ipv4(totalLength: 19, payload: udp())))
        guard case .malformed(let error) = frame.payload else { Issue.record("\(frame.payload)"); return }
        #expect(error.code == .badIPv4TotalLength)
        #expect(error.offset == 16)
    }

    @Test("IPv4 total length longer than the bytes: the bytes present are used")
    func totalLengthLong() {
        let bytes = ethernet(payload: ipv4(totalLength: 1_000, payload: udp()))
        guard let parts = udpParts(parse(bytes), bytes) else { Issue.record("not UDP"); return }
        #expect(parts.payload == dhcpPayload)
    }

    @Test("Not IPv4 version 4 is other")
    func wrongVersion() {
        var packet = datagram
        packet[0] = 0x55
        #expect(parse(ethernet(payload: packet)).payload == .other)
    }

    @Test("UDP length longer than present: the payload is what's present, with a bad-udp-length warning")
    func udpLengthLong() throws {
        let bytes = ethernet(payload: ipv4(payload: udp(length: 500)))
        let parts = try #require(udpParts(parse(bytes), bytes))
        #expect(parts.payload == dhcpPayload)
        #expect(parts.error?.code == .badUDPLength)
        #expect(parts.error?.offset == 14 + 20 + 4)
    }

    @Test("UDP length under 8: the payload is what's present, with a bad-udp-length warning", arguments: [0, 7])
    func udpLengthShort(_ length: Int) throws {
        let bytes = ethernet(payload: ipv4(payload: udp(length: length)))
        let parts = try #require(udpParts(parse(bytes), bytes))
        #expect(parts.payload == dhcpPayload)
        #expect(parts.error?.code == .badUDPLength)
    }

    @Test("UDP length shorter than present: the UDP length wins")
    func udpLengthShorterThanPresent() throws {
        let bytes = ethernet(payload: ipv4(payload: udp(length: 8 + 4)))
        let parts = try #require(udpParts(parse(bytes), bytes))
        #expect(parts.payload == Array(dhcpPayload.prefix(4)))
        #expect(parts.error == nil)
    }

    @Test("Ethernet + IPv4 + UDP cut at every length 0…42 never crashes and is malformed")
    func truncatedEverywhere() {
        let full = ethernet(payload: ipv4(payload: udp(payload: [])))
        #expect(full.count == 42)
        for length in 0...42 {
            let bytes = Array(full.prefix(length))
            let frame = parse(bytes)
            switch length {
            case 0..<14:
                guard case .malformed(let error) = frame.payload else { Issue.record("\(length): \(frame.payload)"); continue }
                #expect(error.code == .truncatedLinkHeader)
            case 14..<34:
                guard case .malformed(let error) = frame.payload else { Issue.record("\(length): \(frame.payload)"); continue }
                #expect(error.code == .truncatedIPv4Header)
            case 34..<42:
                guard case .malformed(let error) = frame.payload else { Issue.record("\(length): \(frame.payload)"); continue }
                #expect(error.code == .truncatedUDPHeader)
            default:
                #expect(udpParts(frame, bytes)?.payload == [])
            }
        }
        // Every other link type cut short as well.
        let frames: [(LinkType, [UInt8])] = [
            (.linuxSLL, sll(payload: datagram)), (.linuxSLL2, sll2(payload: datagram)),
            (.null, nullHeader(family: 2, bigEndian: false, payload: datagram)), (.loop, nullHeader(family: 2, bigEndian: true, payload: datagram)),
            (.raw, datagram), (.ethernet, ethernet(tags: [(0x88A8, 1), (0x8100, 2)], payload: datagram)),
            (.raw, ipv6(payload: udp())), (.ethernet, ethernet(etherType: 0x86DD, payload: ipv6(nextHeader: 0, payload: [17, 9] + udp()))),
        ]
        for (linkType, bytes) in frames {
            for length in 0...bytes.count { _ = parse(Array(bytes.prefix(length)), linkType) }
        }
    }

    @Test("ICMP quoting a UDP/67 packet is other, not UDP")
    func icmpQuote() {
        let quoted = ipv4(source: [10, 0, 0, 1], destination: [10, 0, 0, 2], payload: Array(udp(source: 68, destination: 67).prefix(8)))
        let icmp: [UInt8] = [3, 3, 0, 0, 0, 0, 0, 0] + quoted // destination unreachable, port unreachable
        #expect(parse(ethernet(payload: ipv4(protocolNumber: 1, payload: icmp))).payload == .other)
    }

    @Test("An unsupported link type is malformed")
    func unsupported() {
        let frame = parse(datagram, LinkType(rawValue: 105))
        guard case .malformed(let error) = frame.payload else { Issue.record("\(frame.payload)"); return }
        #expect(error.code == .unsupportedLinkType)
        #expect(!LinkType(rawValue: 105).isSupported)
        #expect(LinkType.linuxSLL2.isSupported)
        #expect(LinkType(rawValue: 105).description == "linktype-105")
    }

    @Test("Random bytes on every link type never crash")
    func randomBytes() {
        var state: UInt64 = 0x1234_5678_9ABC_DEF0
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let linkTypes: [LinkType] = [.null, .ethernet, .raw, .loop, .linuxSLL, .linuxSLL2, .ipv4]
        let seeds = [ethernet(tags: [(0x8100, 5)], payload: datagram), datagram, ipv6(nextHeader: 0, payload: [17, 0, 0, 0, 0, 0, 0, 0] + udp())]
        for round in 0..<5_000 {
            var bytes = seeds[round % seeds.count]
            for _ in 0..<(1 + Int(next() % 4)) where !bytes.isEmpty {
                bytes[Int(next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: next())
            }
            bytes = Array(bytes.prefix(Int(next() % UInt64(bytes.count + 1))))
            let frame = parse(bytes, linkTypes[round % linkTypes.count])
            if case .udp(_, let udp, _) = frame.payload { #expect(udp.payload.upperBound <= bytes.count) }
            if case .ipv4Fragment(_, let range) = frame.payload { #expect(range.upperBound <= bytes.count) }
        }
    }
}

/// The ports of an IPv6 UDP datagram; nil for anything else.
func v6Ports(_ payload: FramePayload) -> [UInt16]? {
    guard case let .ipv6UDP(_, udp, _) = payload else { return nil }
    return [udp.sourcePort, udp.destinationPort]
}

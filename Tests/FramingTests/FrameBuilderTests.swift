import Framing
import NetworkPrimitives
import Testing

@Suite("Frame building")
struct FrameBuilderTests {
    let client = MACAddress("06:00:00:00:10:01")!
    let server = MACAddress("06:00:00:00:00:01")!
    let serverIP = IPv4Address(198, 18, 0, 1)
    let clientIP = IPv4Address(198, 18, 0, 100)
    let payload: [UInt8] = (0..<301).map { UInt8(truncatingIfNeeded: $0 &* 7) } // odd length on purpose

    /// The UDP datagram of a built frame, read back by the parser.
    func parsed(_ bytes: [UInt8], _ linkType: LinkType = .ethernet) -> (Frame, IPv4Info, UDPInfo, FramingError?)? {
        let frame = bytes.withUnsafeBytes { FrameParser.parse($0, linkType: linkType) }
        guard case .udp(let ip, let udp, let error) = frame.payload else {
            Issue.record("not UDP over IPv4: \(frame.payload)")
            return nil
        }
        return (frame, ip, udp, error)
    }

    /// Independent check of a UDP checksum: ones' complement sum of pseudo-header and segment is 0xffff.
    func udpChecksumHolds(_ segment: ArraySlice<UInt8>, source: IPv4Address, destination: IPv4Address) -> Bool {
        var pseudo = source.octets + destination.octets + [0, 17]
        pseudo += [UInt8(segment.count >> 8), UInt8(segment.count & 0xFF)]
        return sum16(pseudo + Array(segment)) == 0xFFFF
    }

    /// A naive ones' complement sum written apart from FrameBuilder's, to check it.
    func sum16(_ bytes: [UInt8]) -> UInt16 {
        var words = bytes
        if words.count % 2 == 1 { words.append(0) }
        var total = 0
        for index in stride(from: 0, to: words.count, by: 2) {
            total += Int(words[index]) * 256 + Int(words[index + 1])
        }
        while total > 0xFFFF { total = total % 0x10000 + total / 0x10000 }
        return UInt16(total)
    }

    @Test("Ethernet + IPv4 + UDP: the parser gives back every field")
    func roundTrip() throws {
        let bytes = FrameBuilder.udp(
            sourceMAC: server, destinationMAC: client, sourceIP: serverIP, destinationIP: clientIP,
            sourcePort: 67, destinationPort: 68, ttl: 33, identification: 0xBEEF, payload: payload)
        #expect(bytes.count == 14 + 20 + 8 + payload.count)
        let (frame, ip, udp, error) = try #require(parsed(bytes))
        #expect(frame.link.source == server)
        #expect(frame.link.destination == client)
        #expect(frame.link.vlans.isEmpty)
        #expect(ip.source == serverIP)
        #expect(ip.destination == clientIP)
        #expect(ip.ttl == 33)
        #expect(ip.identification == 0xBEEF)
        #expect(ip.protocolNumber == 17)
        #expect(ip.headerLength == 20)
        #expect(!ip.isFragment)
        #expect(udp.sourcePort == 67)
        #expect(udp.destinationPort == 68)
        #expect(Array(bytes[udp.payload]) == payload)
        #expect(error == nil)
        // Ethertype IPv4, DF set and no fragment offset, total and UDP lengths.
        #expect(bytes[12] == 0x08 && bytes[13] == 0x00)
        #expect(bytes[14 + 6] == 0x40 && bytes[14 + 7] == 0x00)
        #expect(Int(bytes[16]) << 8 | Int(bytes[17]) == 20 + 8 + payload.count)
        #expect(Int(bytes[38]) << 8 | Int(bytes[39]) == 8 + payload.count)
    }

    @Test("802.1Q tag: VLAN ID and priority, then the same datagram")
    func vlanTag() throws {
        let bytes = FrameBuilder.udp(
            sourceMAC: client, destinationMAC: .broadcast, vlan: 42, priority: 5, sourceIP: .any, destinationIP: .broadcast,
            sourcePort: 68, destinationPort: 67, payload: payload)
        #expect(bytes.count == 18 + 20 + 8 + payload.count)
        #expect(Array(bytes[12..<16]) == [0x81, 0x00, 0xA0, 42])
        let (frame, ip, udp, _) = try #require(parsed(bytes))
        #expect(frame.link.vlans == [42])
        #expect(frame.link.destination == .broadcast)
        #expect(ip.source == .any && ip.destination == .broadcast)
        #expect(udp.sourcePort == 68 && udp.destinationPort == 67)
        #expect(Array(bytes[udp.payload]) == payload)
    }

    @Test("IPv4 header checksum: the header sums to 0xffff", arguments: [0, 1, 7, 300, 1400])
    func ipv4Checksum(size: Int) {
        let data = [UInt8](repeating: 0xA5, count: size)
        let datagram = FrameBuilder.ipv4UDP(sourceIP: serverIP, destinationIP: clientIP, sourcePort: 67,
                                            destinationPort: 68, identification: UInt16(size), payload: data)
        #expect(sum16(Array(datagram[0..<20])) == 0xFFFF)
        #expect(datagram[10] != 0 || datagram[11] != 0)
        #expect(udpChecksumHolds(datagram[20...], source: serverIP, destination: clientIP))
    }

    @Test("UDP checksum covers the pseudo-header: changing an address breaks it")
    func udpChecksumPseudoHeader() {
        let datagram = FrameBuilder.ipv4UDP(sourceIP: .any, destinationIP: .broadcast, sourcePort: 68,
                                            destinationPort: 67, payload: payload)
        #expect(udpChecksumHolds(datagram[20...], source: .any, destination: .broadcast))
        #expect(!udpChecksumHolds(datagram[20...], source: IPv4Address(198, 18, 0, 9), destination: .broadcast))
        #expect(datagram[26] != 0 || datagram[27] != 0)
    }

    @Test("UDP checksum may be left out (zero), the IPv4 checksum never is")
    func udpChecksumOmitted() throws {
        let datagram = FrameBuilder.ipv4UDP(sourceIP: serverIP, destinationIP: clientIP, sourcePort: 67,
                                            destinationPort: 68, dontFragment: false, udpChecksum: false, payload: payload)
        #expect(datagram[26] == 0 && datagram[27] == 0)
        #expect(sum16(Array(datagram[0..<20])) == 0xFFFF)
        #expect(datagram[6] == 0 && datagram[7] == 0) // no DF
        let (_, ip, udp, error) = try #require(parsed(datagram, .raw))
        #expect(ip.source == serverIP && udp.destinationPort == 68 && error == nil)
        #expect(Array(datagram[udp.payload]) == payload)
    }

    @Test("A checksum that computes to zero goes out as 0xffff (RFC 768)")
    func zeroChecksumIsAllOnes() {
        // Find a two-byte payload whose UDP checksum computes to zero: the sum of everything else then is 0xffff.
        var found = false
        for value in 0...0xFFFF {
            let data = [UInt8(value >> 8), UInt8(value & 0xFF)]
            let segment = FrameBuilder.udpSegment(sourceIP: serverIP, destinationIP: clientIP, sourcePort: 67,
                                                  destinationPort: 68, payload: data)
            if segment[6] == 0xFF && segment[7] == 0xFF {
                #expect(udpChecksumHolds(segment[...], source: serverIP, destination: clientIP))
                found = true
                break
            }
        }
        #expect(found)
        for value in 0...0xFF {
            let segment = FrameBuilder.udpSegment(sourceIP: serverIP, destinationIP: clientIP, sourcePort: 67,
                                                  destinationPort: 68, payload: [UInt8(value)])
            #expect(segment[6] != 0 || segment[7] != 0)
        }
    }

    @Test("Ones' complement sum: RFC 1071's worked example")
    func rfc1071Example() {
        // RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2 (with end-around carry).
        #expect(FrameBuilder.onesComplementSum([0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7]) == 0xDDF2)
        #expect(FrameBuilder.onesComplementSum([0xFF]) == 0xFF00)
        #expect(FrameBuilder.onesComplementSum([]) == 0)
    }

    @Test("The DHCP frame decoder's view: raw IPv4 link type parses the same datagram")
    func rawIPv4() throws {
        let datagram = FrameBuilder.ipv4UDP(sourceIP: clientIP, destinationIP: serverIP, sourcePort: 68,
                                            destinationPort: 67, ttl: 128, identification: 7, payload: payload)
        let (frame, ip, udp, _) = try #require(parsed(datagram, .raw))
        #expect(frame.link.source == nil)
        #expect(ip.ttl == 128 && ip.identification == 7)
        #expect(ip.source == clientIP && ip.destination == serverIP)
        #expect(Array(datagram[udp.payload]) == payload)
    }
}

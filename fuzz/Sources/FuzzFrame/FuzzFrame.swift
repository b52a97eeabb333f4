import DHCPCore
import Framing
import FuzzSupport

/// libFuzzer entry point. Byte 0 picks the link type; then frames, each after a 16-bit big-endian length (the
/// last one takes what remains when its length runs past the end), so that fragments can meet in the reassembler.
/// Every UDP payload and every reassembled datagram goes on to the DHCP parser.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFrame(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: start, count: count)
    guard let selector = input.first else { return 0 }
    let linkType = selector < linkTypes.count ? linkTypes[Int(selector)] : LinkType(rawValue: Int32(selector))
    var reassembler = IPv4Reassembler(maximumPending: 4, timeout: 30)
    var index = 1
    var time = 0.0
    while index + 2 <= input.count {
        let length = Int(input[index]) << 8 | Int(input[index + 1])
        let end = min(input.count, index + 2 + length)
        frame(UnsafeRawBufferPointer(rebasing: input[(index + 2)..<end]), linkType, &reassembler, time)
        index = end
        time += 1
    }
    return 0
}

private let linkTypes: [LinkType] = [.ethernet, .linuxSLL, .linuxSLL2, .null, .loop, .raw, .rawDLT12, .rawDLT14, .ipv4]

private func frame(_ bytes: UnsafeRawBufferPointer, _ linkType: LinkType, _ reassembler: inout IPv4Reassembler, _ time: Double) {
    let parsed = FrameParser.parse(bytes, linkType: linkType)
    precondition(parsed.link.vlans.count <= 8, "\(parsed.link.vlans.count) VLAN tags")
    switch parsed.payload {
    case .udp(_, let udp, _):
        precondition(udp.payload.upperBound <= bytes.count, "UDP payload \(udp.payload) past \(bytes.count) bytes")
        stop(on: RoundTripProperties.message(UnsafeRawBufferPointer(rebasing: bytes[udp.payload])))
    case .ipv4Fragment(let ip, let range):
        precondition(range.upperBound <= bytes.count, "fragment \(range) past \(bytes.count) bytes")
        _ = reassembler.expire(now: time)
        let outcome = reassembler.add(ip, payload: UnsafeRawBufferPointer(rebasing: bytes[range]), time: time)
        precondition(reassembler.pendingCount <= reassembler.maximumPending, "reassembler over its cap")
        guard case .complete(let datagram) = outcome else { return }
        datagram.payload.withUnsafeBytes { whole in
            guard case .udp(_, let udp, _) = FrameParser.parseUDP(whole, 0..<whole.count, ip: datagram.ip) else { return }
            precondition(udp.payload.upperBound <= whole.count, "reassembled UDP payload past its datagram")
            stop(on: RoundTripProperties.message(UnsafeRawBufferPointer(rebasing: whole[udp.payload])))
        }
    case .ipv6UDP, .other, .malformed:
        return
    }
}

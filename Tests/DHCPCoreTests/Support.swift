import DHCPCore

/// Bytes from hex written out by hand ("01 02 ff", "0102ff"); traps on a typo in the test itself.
func hex(_ text: String) -> [UInt8] {
    guard let bytes = Hex.parse(text.filter { !$0.isWhitespace }) else { fatalError("bad hex in test: \(text)") }
    return bytes
}

func ip(_ text: String) -> IPv4Address {
    guard let address = IPv4Address(text) else { fatalError("bad address in test: \(text)") }
    return address
}

func bytes(of text: String) -> [UInt8] { Array(text.utf8) }

extension SplitMix64 {
    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) } }
}

/// Builds a DHCP payload byte by byte: the 236-byte BOOTP header, then whatever the test appends.
struct PayloadBuilder {
    var bytes: [UInt8]

    init(op: UInt8 = 1, htype: UInt8 = 1, hlen: UInt8 = 6, xid: UInt32 = 0x1234_5678,
         chaddr: [UInt8] = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55]) {
        bytes = [op, htype, hlen, 0]
        bytes += [UInt8(xid >> 24), UInt8(truncatingIfNeeded: xid >> 16), UInt8(truncatingIfNeeded: xid >> 8),
                  UInt8(truncatingIfNeeded: xid)]
        bytes += [0, 0, 0, 0] // secs, flags
        bytes += [UInt8](repeating: 0, count: 16) // ciaddr yiaddr siaddr giaddr
        bytes += Array((chaddr + [UInt8](repeating: 0, count: 16)).prefix(16))
        bytes += [UInt8](repeating: 0, count: 64 + 128)
        precondition(bytes.count == 236)
    }

    /// Writes `data` into the sname (offset 44) or file (offset 108) field.
    mutating func write(_ data: [UInt8], at offset: Int) {
        bytes.replaceSubrange(offset..<(offset + data.count), with: data)
    }

    mutating func cookie() { bytes += [99, 130, 83, 99] }
    mutating func append(_ data: [UInt8]) { bytes += data }
}

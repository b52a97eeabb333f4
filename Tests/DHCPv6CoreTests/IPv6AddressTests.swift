import NetworkPrimitives
import Testing

/// IPv6 text is RFC 5952's canonical form, the one tshark and the contract use; parsing takes RFC 4291 §2.2's forms.
@Suite("IPv6Address")
struct IPv6AddressTests {
    @Test("RFC 5952 canonical text", arguments: [
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),          // §4.2.3: the first of equal runs
        ("2001:db8:0:0:0:0:2:1", "2001:db8::2:1"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),       // §4.2.2: one zero group is not compressed
        ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),                // §4.2.3: the longest run
        ("2001:DB8::AAAA", "2001:db8::aaaa"),                   // §4.3: lower case
        ("0:0:0:0:0:0:0:0", "::"),
        ("::1", "::1"),
        ("1::", "1::"),
        ("fe80::0202:b3ff:fe1e:8329", "fe80::202:b3ff:fe1e:8329"),
        ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),               // §5: IPv4-mapped keeps its dotted quad
        ("::ffff:c000:0201", "::ffff:192.0.2.1"),
        ("2001:db8::192.0.2.33", "2001:db8::c000:221"),
    ])
    func canonicalText(input: String, expected: String) throws {
        let address = try #require(IPv6Address(input))
        #expect(address.description == expected)
        #expect(IPv6Address(expected) == address)
    }

    @Test("Malformed text is refused", arguments: [
        "", ":", ":::", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "g::", ":1::", "1::2:",
        "1:2:3:4:5:6:7:8::", "::1.2.3", "fe80::1%eth0", "1.2.3.4",
    ])
    func malformed(text: String) {
        #expect(IPv6Address(text) == nil)
    }

    @Test("Any address: its text is canonical and parses back to it; its bytes give it back")
    func roundTrips() throws {
        var random = SplitMix64(seed: 6)
        for _ in 0..<20_000 {
            // Zero groups are common in real addresses: each group is zero half the time.
            var words: [UInt64] = [0, 0]
            for group in 0..<8 where random.next() % 2 == 0 {
                words[group / 4] |= (random.next() & 0xFFFF) << (48 - 16 * UInt64(group % 4))
            }
            let address = IPv6Address(high: words[0], low: words[1])
            let text = address.description
            #expect(IPv6Address(text) == address, "\(text)")
            #expect(text == text.lowercased())
            #expect(Self.compressesTheFirstLongestRun(text), "\(text)")
            #expect(IPv6Address(address.bytes) == address)
        }
    }

    /// RFC 5952 §4.2: "::" stands for two or more zero groups, no written run of zero groups is longer, and an
    /// equal run written before it would have been the one compressed.
    static func compressesTheFirstLongestRun(_ text: String) -> Bool {
        if text.hasPrefix("::ffff:") && text.contains(".") { return true }
        let halves = text.split(separator: "::", omittingEmptySubsequences: false)
        guard halves.count <= 2 else { return false }
        func zeroRun(_ half: Substring) -> Int {
            var longest = 0, run = 0
            for group in half.split(separator: ":") {
                run = group == "0" ? run + 1 : 0
                longest = max(longest, run)
            }
            return longest
        }
        guard halves.count == 2 else { return zeroRun(halves[0]) <= 1 }
        let written = halves.reduce(0) { $0 + $1.split(separator: ":").count }
        let compressed = 8 - written
        return compressed >= 2 && zeroRun(halves[0]) < compressed && zeroRun(halves[1]) <= compressed
    }
}

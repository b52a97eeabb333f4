/// The analysis looks up a handful of tables for every message, keyed by client, transaction, lease and address:
/// Swift's Hasher (SipHash-1-3, several rounds per word) took an eighth of analyse's instructions. These keys hash
/// their words with one seeded 128-bit multiply instead (wyhash's "mum" step). Dictionary passes its per-table random
/// seed, so the hashes still cannot be predicted from a capture.
@inline(__always)
public func mixedHash(_ first: UInt64, _ second: UInt64, seed: Int) -> Int {
    let product = (first ^ UInt64(UInt(bitPattern: seed)) ^ 0xA076_1D64_78BD_642F)
        .multipliedFullWidth(by: second ^ 0xE703_7ED1_A0B4_28DB)
    return Int(bitPattern: UInt(truncatingIfNeeded: product.high ^ product.low))
}

extension IPv4Address {
    public func _rawHashValue(seed: Int) -> Int { mixedHash(UInt64(rawValue), UInt64(rawValue) << 32 | 1, seed: seed) }
}

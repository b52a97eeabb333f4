import NetworkPrimitives

// The keys of the analysis's tables hash with `mixedHash`: one multiply, not SipHash.

extension ClientKey {
    public func _rawHashValue(seed: Int) -> Int { mixedHash(hashWords.0, hashWords.1, seed: seed) }
}

extension TransactionKey {
    func _rawHashValue(seed: Int) -> Int {
        mixedHash(client.hashWords.0 ^ UInt64(xid) << 32 ^ UInt64(xid), client.hashWords.1, seed: seed)
    }
}

extension DHCPAnalyzer.LateKey {
    func _rawHashValue(seed: Int) -> Int { mixedHash(UInt64(xid), hardware, seed: seed) }
}

extension DHCPAnalyzer.XID {
    func _rawHashValue(seed: Int) -> Int { mixedHash(UInt64(value), UInt64(value) << 32 | 1, seed: seed) }
}

extension DHCPv6Analyzer.TransactionKey {
    func _rawHashValue(seed: Int) -> Int {
        mixedHash(client.hashWords.0 ^ UInt64(xid) << 32 ^ UInt64(xid), client.hashWords.1, seed: seed)
    }
}

extension DHCPv6Analyzer.LeaseKey {
    func _rawHashValue(seed: Int) -> Int {
        mixedHash(address.high ^ client.hashWords.0 ^ UInt64(iaid) << 32,
                  address.low ^ client.hashWords.1 ^ UInt64(prefixLength) << 8 ^ UInt64(ia.hashByte), seed: seed)
    }
}

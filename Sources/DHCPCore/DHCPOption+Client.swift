extension DHCPOption {
    /// Option 81 (RFC 4702 §2) for a client: flags S (the server updates the A record) and E (the name in DNS
    /// wire format), RCODE1 and RCODE2 zero, then `name`. Nil when `name` is not a valid DNS name.
    public static func clientFQDN(_ name: String) -> DHCPOption? {
        let labels = (name.hasSuffix(".") ? String(name.dropLast()) : name).split(separator: ".", omittingEmptySubsequences: false)
        guard !labels.contains(where: \.isEmpty), let encoded = DomainName.encodeOne(name) else { return nil }
        return DHCPOption(.clientFQDN, [0x05, 0, 0] + encoded)
    }
}

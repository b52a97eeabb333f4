import CLdap
import DHCPProtocol
import Glibc

/// Reservations kept in an LDAP directory, read through OpenLDAP's libldap: a subtree search of `base` for
/// `dhcpHost` entries (ISC dhcpd's LDAP schema), simple bind when a DN is given, anonymous otherwise, at most 5 s
/// to connect and 10 s for the search. `DHCPLDAPHosts` turns the entries into reservations.
public final class LDAPDirectory: Sendable {
    public let url: String
    public let base: String
    private let bindDN: String?
    private let password: String?

    public init(url: String, base: String, bindDN: String? = nil, password: String? = nil) {
        self.url = url; self.base = base; self.bindDN = bindDN; self.password = password
    }

    /// The reservations the directory holds now, and a line for each entry or statement it could not use.
    public func reservations() throws(DHCPLeaseDatabaseError) -> (reservations: [DHCPReservation], problems: [String]) {
        DHCPLDAPHosts.reservations(try hostEntries())
    }

    /// Every `dhcpHost` entry under `base`, with the attributes `DHCPLDAPHosts` reads.
    public func hostEntries() throws(DHCPLeaseDatabaseError) -> [DHCPLDAPHosts.Entry] {
        var handle: OpaquePointer?
        var code = ldap_initialize(&handle, url)
        guard code == LDAP_SUCCESS, let ld = handle else { throw failure("initialize", code) }
        defer { ldap_unbind_ext_s(ld, nil, nil) }
        _ = dhcpscope_ldap_version3(ld)
        _ = dhcpscope_ldap_timeout(ld, 5)
        code = withCredential { credential in ldap_sasl_bind_s(ld, bindDN, nil, credential, nil, nil, nil) }
        guard code == LDAP_SUCCESS else { throw failure("bind", code) }
        var result: OpaquePointer?
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        let names = DHCPLDAPHosts.attributes.map { strdup($0) } + [nil]
        defer { for name in names { free(name) } }
        code = names.withUnsafeBufferPointer { attributes in
            // 2: LDAP_SCOPE_SUBTREE (a cast macro Swift does not import).
            ldap_search_ext_s(ld, base, 2, DHCPLDAPHosts.filter, UnsafeMutablePointer(mutating: attributes.baseAddress), 0,
                              nil, nil, &timeout, 0, &result)
        }
        defer { if let result { ldap_msgfree(result) } }
        guard code == LDAP_SUCCESS else { throw failure("search \(base)", code) }
        var entries = [DHCPLDAPHosts.Entry]()
        var entry = ldap_first_entry(ld, result)
        while let current = entry {
            var dn = "?"
            if let text = ldap_get_dn(ld, current) {
                dn = String(cString: text)
                ldap_memfree(text)
            }
            var attributes: [String: [String]] = [:]
            for name in DHCPLDAPHosts.attributes {
                guard let values = ldap_get_values_len(ld, current, name) else { continue }
                var index = 0
                var list = [String]()
                while let value = values[index] {
                    let length = Int(value.pointee.bv_len)
                    if let bytes = value.pointee.bv_val {
                        list.append(String(decoding: UnsafeRawBufferPointer(start: bytes, count: length), as: UTF8.self))
                    }
                    index += 1
                }
                ldap_value_free_len(values)
                attributes[name] = list
            }
            entries.append(DHCPLDAPHosts.Entry(dn: dn, attributes: attributes))
            entry = ldap_next_entry(ld, current)
        }
        return entries
    }

    private func withCredential<R>(_ body: (UnsafeMutablePointer<berval>) -> R) -> R {
        var bytes = Array((password ?? "").utf8CString)
        return bytes.withUnsafeMutableBufferPointer { buffer in
            var credential = berval(bv_len: ber_len_t(buffer.count - 1), bv_val: buffer.baseAddress)
            return body(&credential)
        }
    }

    private func failure(_ what: String, _ code: Int32) -> DHCPLeaseDatabaseError {
        DHCPLeaseDatabaseError(database: url, "\(what): \(String(cString: ldap_err2string(code)))")
    }
}

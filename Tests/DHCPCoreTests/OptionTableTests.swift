import DHCPCore
import Testing

/// Every option the product promises a typed value for.
let promisedTypedCodes: [UInt8] =
    Array(1...61) + Array(64...76) + [77, 81, 82, 91, 92, 93, 94, 97, 116, 118, 119, 121, 124, 125, 150, 252]

@Suite("The option table")
struct OptionTableTests {
    @Test("No promised option falls back to raw bytes", arguments: promisedTypedCodes)
    func typed(_ code: UInt8) throws {
        let definition = try #require(DHCPOptionTable.definition(for: DHCPOptionCode(code)), "option \(code) is not in the table")
        #expect(definition.shape != .bytes, "option \(code) (\(definition.name)) is raw bytes")
    }

    @Test("Relay agent suboptions 5, 9, 11, 151, 152 are typed; 1 and 2 are text-or-bytes",
          arguments: [UInt8(1), 2, 5, 9, 11, 151, 152])
    func relaySuboptions(_ code: UInt8) throws {
        let entry = try #require(RelayAgentInformation.suboptions[code])
        if code == 1 || code == 2 {
            #expect(entry.shape == nil)
        } else {
            let shape = try #require(entry.shape)
            #expect(shape != .bytes, "suboption \(code) (\(entry.name)) is raw bytes")
        }
    }

    @Test("Codes are unique and names are unique and lower-case")
    func uniqueness() {
        let codes = DHCPOptionTable.definitions.map(\.code)
        #expect(Set(codes).count == codes.count)
        let names = DHCPOptionTable.definitions.map(\.name)
        #expect(Set(names).count == names.count)
        for name in names { #expect(name == name.lowercased()) }
        #expect(DHCPOptionTable.definition(for: .pad) == nil)
        #expect(DHCPOptionTable.definition(for: .end) == nil)
    }

    @Test("Codes look up by number and by name")
    func lookup() {
        #expect(DHCPOptionTable.code(named: "domain-search") == .domainSearch)
        #expect(DHCPOptionTable.code(named: "Classless-Static-Routes") == .classlessStaticRoutes)
        #expect(DHCPOptionTable.code(named: "82") == .relayAgentInformation)
        #expect(DHCPOptionTable.code(named: "no-such-option") == nil)
    }
}

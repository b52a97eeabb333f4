import DHCPCore

/// A mistake in a configuration file: where it is, which key, and what is wrong.
public struct DHCPConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    public var file: String
    /// 1-based line number.
    public var line: Int
    /// The key of the line: `server-id`, `subnet`, `pool`, `option routers` …; `}` for a stray brace.
    public var key: String
    public var reason: String

    public init(file: String, line: Int, key: String, reason: String) {
        self.file = file; self.line = line; self.key = key; self.reason = reason
    }

    /// `FILE:LINE: KEY: reason`.
    public var description: String { "\(file):\(line): \(key): \(reason)" }
}

/// The mock server's configuration file: a line-based format read at a glance.
///
///     # dhcpscope mock-server configuration
///     server-id 198.18.0.1
///     authoritative yes
///     option domain-name-servers 198.18.0.53      # global: every subnet, unless it sets its own
///     subnet 198.18.0.0/24 {
///       pool 198.18.0.100-198.18.0.150
///       lease-time 600
///       t1 300
///       t2 525
///       option routers 198.18.0.1
///       option classless-static-routes 198.19.0.0/16 198.18.0.1
///       option 252 = 68:74:74:70                  # any code, bytes in hex
///       reserve 06:00:00:00:00:42 198.18.0.42
///       reserve client-id 01:06:00:00:00:00:43 198.18.0.43
///     }
///
/// One setting a line, `KEY VALUE`; `#` starts a comment (outside double quotes); lists are separated by commas
/// and/or blanks. Global keys: `server-id IP`, `authoritative yes|no`. Subnet keys: `pool START-END`,
/// `reserve [mac] MAC IP`, `reserve client-id HEX IP` (the whole of option 61, type byte first). Keys for both,
/// where a subnet's own setting replaces the global one: `lease-time SECONDS|infinite`, `t1 SECONDS`,
/// `t2 SECONDS`, `next-server IP` (siaddr), `always-send OPTION, …` (sent even when not requested), and
/// `option NAME-OR-CODE VALUE` (the value in the option's text form by its shape in `DHCPOptionTable`) or
/// `option NAME-OR-CODE = HEX` (the bytes as they go on the wire).
///
/// The INFORM policy (global keys): `inform-allow-subnets NET/PREFIX, …` (client addresses answered; default all),
/// `inform-allow-macs MAC, …` (default all), `inform-rate-limit N` (INFORMs answered a second per client address),
/// `inform-options NAME-OR-CODE, …` (the options an INFORM ACK may carry; default every configured option but
/// routers). A refused INFORM is an `inform-refused` problem.
///
/// Without `server-id` the configuration's `serverIdentifier` is 0.0.0.0, for the caller to fill (mock-server:
/// the interface's address); without `authoritative` the server is not authoritative.
public enum DHCPServerConfigFile {
    /// Parses `text`, the contents of `file` (named in errors only). The first mistake is thrown.
    public static func parse(_ text: String, file: String) throws(DHCPConfigError) -> DHCPServerConfiguration {
        var parser = Parser(file: file)
        return try parser.parse(text)
    }
}

// MARK: - the parser

private struct Reason: Error {
    let text: String
    init(_ text: String) { self.text = text }
}

private struct Setting<Value> {
    var value: Value
    var line: Int
}

/// One `option` line: which code it sets, and how.
private struct OptionSetting {
    var code: DHCPOptionCode
    var line: Int
    var key: String
    var apply: (inout DHCPSubnet) -> Void
}

/// Settings that may be global or per subnet.
private struct Scope {
    var leaseTime: Setting<UInt32>?
    var renewalTime: Setting<UInt32>?
    var rebindingTime: Setting<UInt32>?
    var nextServer: Setting<IPv4Address>?
    var alwaysSend: Setting<[DHCPOptionCode]>?
    var options: [OptionSetting] = []
}

private struct SubnetBlock {
    var network: IPv4Address
    var prefixLength: Int
    var line: Int
    var scope = Scope()
    var pools: [Setting<DHCPAddressRange>] = []
    var reservations: [Setting<DHCPReservation>] = []

    var name: String { "\(network)/\(prefixLength)" }
    var shape: DHCPSubnet { DHCPSubnet(network: network, prefixLength: prefixLength, pools: []) }
}

private struct Parser {
    let file: String
    var line = 0
    var serverIdentifier: Setting<IPv4Address>?
    var authoritative: Setting<Bool>?
    var informPolicy = DHCPInformPolicy()
    /// Lines of the INFORM policy's keys, each given once.
    var informLines: [String: Int] = [:]
    var global = Scope()
    var open: SubnetBlock?
    var subnets: [SubnetBlock] = []

    init(file: String) { self.file = file }

    func error(_ key: String, _ reason: String, line: Int? = nil) -> DHCPConfigError {
        DHCPConfigError(file: file, line: line ?? self.line, key: key, reason: reason)
    }

    /// Runs `body`, turning its `Reason` into an error at the current line and `key`.
    func at<T>(_ key: String, _ body: () throws(Reason) -> T) throws(DHCPConfigError) -> T {
        do { return try body() } catch { throw self.error(key, error.text) }
    }

    mutating func parse(_ text: String) throws(DHCPConfigError) -> DHCPServerConfiguration {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, raw) in lines.enumerated() {
            line = index + 1
            let content = Text.stripComment(raw)
            guard !content.isEmpty else { continue }
            let (key, rest) = Text.splitKey(content)
            try statement(key, rest)
        }
        let end = max(1, lines.last?.isEmpty == true ? lines.count - 1 : lines.count)
        if let open {
            throw error("subnet", "subnet \(open.name) has no closing } before the end of the file", line: open.line)
        }
        guard !subnets.isEmpty else { throw error("subnet", "no subnet block: nothing to serve", line: end) }
        return try build(end: end)
    }

    // MARK: statements

    mutating func statement(_ key: String, _ rest: String) throws(DHCPConfigError) {
        switch key {
        case "}":
            guard rest.isEmpty else { throw error(key, "expected nothing after }, found '\(rest)'") }
            guard let block = open else { throw error(key, "no subnet block to close") }
            guard !block.pools.isEmpty || !block.reservations.isEmpty else {
                throw error("subnet", "subnet \(block.name) has no pool and no reservation: nothing to hand out",
                            line: block.line)
            }
            subnets.append(block)
            open = nil
        case "subnet":
            if let open {
                throw error(key, "subnet inside subnet \(open.name) (line \(open.line)): close that one with } first")
            }
            open = try subnet(rest)
        case "server-id":
            try global(key)
            try once(serverIdentifier, key)
            serverIdentifier = Setting(value: try at(key) { () throws(Reason) in try Text.address(Text.single(rest)) },
                                       line: line)
        case "authoritative":
            try global(key)
            try once(authoritative, key)
            let value = try at(key) { () throws(Reason) in rest.isEmpty ? true : try Text.boolean(Text.single(rest)) }
            authoritative = Setting(value: value, line: line)
        case "pool":
            var block = try inSubnet(key)
            let range = try at(key) { () throws(Reason) in try Self.pool(rest, in: block) }
            block.pools.append(Setting(value: range, line: line))
            open = block
        case "reserve":
            var block = try inSubnet(key)
            let reservation = try at(key) { () throws(Reason) in try Self.reservation(rest, in: block) }
            block.reservations.append(Setting(value: reservation, line: line))
            open = block
        case "inform-allow-subnets", "inform-allow-macs", "inform-rate-limit", "inform-options":
            try global(key)
            if let earlier = informLines[key] { throw error(key, "given twice (first on line \(earlier))") }
            informLines[key] = line
            try at(key) { () throws(Reason) in try Self.inform(key, rest, &informPolicy) }
        case "lease-time", "t1", "t2", "next-server", "always-send":
            var scope = open?.scope ?? global
            try scoped(key, rest, &scope)
            if open != nil { open!.scope = scope } else { global = scope }
        case "option":
            var scope = open?.scope ?? global
            let setting = try option(rest)
            if let earlier = scope.options.first(where: { $0.code == setting.code }) {
                throw error(setting.key, "option \(setting.code) given twice in this block (first on line \(earlier.line))")
            }
            scope.options.append(setting)
            if open != nil { open!.scope = scope } else { global = scope }
        default:
            throw error(key, "unknown key; expected server-id, authoritative, subnet, pool, reserve, lease-time, t1, t2, "
                        + "next-server, always-send, option, inform-allow-subnets, inform-allow-macs, inform-rate-limit, "
                        + "inform-options or }")
        }
    }

    func global(_ key: String) throws(DHCPConfigError) {
        if let open { throw error(key, "\(key) is global: put it outside subnet \(open.name) (line \(open.line))") }
    }

    func inSubnet(_ key: String) throws(DHCPConfigError) -> SubnetBlock {
        guard let open else { throw error(key, "\(key) belongs inside a subnet block: subnet NET/PREFIX { … }") }
        return open
    }

    func once<Value>(_ setting: Setting<Value>?, _ key: String) throws(DHCPConfigError) {
        if let setting { throw error(key, "given twice (first on line \(setting.line))") }
    }

    mutating func scoped(_ key: String, _ rest: String, _ scope: inout Scope) throws(DHCPConfigError) {
        let line = self.line
        switch key {
        case "lease-time":
            try once(scope.leaseTime, key)
            let seconds = try at(key) { () throws(Reason) in try Text.seconds(Text.single(rest), infinite: true) }
            guard seconds > 0 else { throw error(key, "the lease time must be at least 1 second") }
            scope.leaseTime = Setting(value: seconds, line: line)
        case "t1":
            try once(scope.renewalTime, key)
            scope.renewalTime = Setting(value: try at(key) { () throws(Reason) in try Text.seconds(Text.single(rest)) },
                                        line: line)
        case "t2":
            try once(scope.rebindingTime, key)
            scope.rebindingTime = Setting(value: try at(key) { () throws(Reason) in try Text.seconds(Text.single(rest)) },
                                          line: line)
        case "next-server":
            try once(scope.nextServer, key)
            scope.nextServer = Setting(value: try at(key) { () throws(Reason) in try Text.address(Text.single(rest)) },
                                       line: line)
        default:  // always-send
            try once(scope.alwaysSend, key)
            let codes = try at(key) { () throws(Reason) in
                let items = Text.items(rest)
                guard !items.isEmpty else { throw Reason("expected option names or codes") }
                return try items.map { item throws(Reason) in try Options.code(item) }
            }
            scope.alwaysSend = Setting(value: codes, line: line)
        }
    }

    func subnet(_ rest: String) throws(DHCPConfigError) -> SubnetBlock {
        try at("subnet") { () throws(Reason) in
            var spec = Substring(rest)
            guard spec.hasSuffix("{") else { throw Reason("expected `subnet NET/PREFIX {`") }
            spec = Text.trimmed(spec.dropLast())
            let (network, length) = try Text.prefix(Text.single(String(spec)))
            let block = SubnetBlock(network: network, prefixLength: length, line: line)
            if let other = subnets.first(where: { $0.shape.contains(network) || block.shape.contains($0.network) }) {
                throw Reason("\(block.name) overlaps subnet \(other.name) (line \(other.line))")
            }
            return block
        }
    }

    /// The INFORM policy's keys: `inform-allow-subnets NET/PREFIX, …`, `inform-allow-macs MAC, …`,
    /// `inform-rate-limit N` (a second, per client address) and `inform-options NAME-OR-CODE, …`.
    static func inform(_ key: String, _ rest: String, _ policy: inout DHCPInformPolicy) throws(Reason) {
        let items = Text.items(rest)
        guard !items.isEmpty else { throw Reason("no value") }
        switch key {
        case "inform-allow-subnets":
            policy.allowedSubnets = try items.map { item throws(Reason) in
                let (network, length) = try Text.prefix(item)
                return DHCPAddressPrefix(network, length)
            }
        case "inform-allow-macs":
            policy.allowedMACs = Set(try items.map { item throws(Reason) in
                guard let mac = MACAddress(item) else { throw Reason("'\(item)' is not a MAC address (aa:bb:cc:dd:ee:ff)") }
                return mac
            })
        case "inform-rate-limit":
            guard items.count == 1, let rate = Double(items[0]), rate > 0, rate.isFinite else {
                throw Reason("'\(rest)' is not a positive number of INFORMs a second")
            }
            policy.ratePerSecond = rate
        default:
            policy.options = Set(try items.map { item throws(Reason) in try Options.code(item).rawValue })
        }
    }

    static func pool(_ rest: String, in block: SubnetBlock) throws(Reason) -> DHCPAddressRange {
        let parts = rest.filter { $0 != " " && $0 != "\t" }.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw Reason("'\(rest)' is not START-END") }
        let range = DHCPAddressRange(try Text.address(parts[0]), try Text.address(parts[1]))
        guard range.first <= range.last else { throw Reason("\(range) starts after it ends") }
        guard block.shape.contains(range.first), block.shape.contains(range.last) else {
            throw Reason("\(range) is outside subnet \(block.name)")
        }
        if let other = block.pools.first(where: { $0.value.first <= range.last && range.first <= $0.value.last }) {
            throw Reason("\(range) overlaps pool \(other.value) (line \(other.line))")
        }
        return range
    }

    static func reservation(_ rest: String, in block: SubnetBlock) throws(Reason) -> DHCPReservation {
        var words = Text.items(rest)
        let key: DHCPReservation.Key
        if words.first == "client-id" {
            guard words.count == 3 else { throw Reason("expected `reserve client-id HEX IP`") }
            guard let bytes = Hex.parse(words[1]), !bytes.isEmpty else {
                throw Reason("'\(words[1])' is not a client identifier in hex (type byte first, e.g. 01:06:00:00:00:00:43)")
            }
            key = .clientIdentifier(bytes)
        } else {
            if words.first == "mac" { words.removeFirst() }
            guard words.count == 2 else { throw Reason("expected `reserve MAC IP` or `reserve client-id HEX IP`") }
            guard let mac = MACAddress(words[0]) else { throw Reason("'\(words[0])' is not a MAC address (aa:bb:cc:dd:ee:ff)") }
            key = .hardwareAddress(mac)
        }
        let address = try Text.address(words[words.count - 1])
        let subnet = block.shape
        guard subnet.contains(address) else { throw Reason("\(address) is outside subnet \(block.name)") }
        if subnet.prefixLength <= 30 {
            if address == subnet.network { throw Reason("\(address) is the network address of \(block.name)") }
            if address == subnet.directedBroadcast { throw Reason("\(address) is the broadcast address of \(block.name)") }
        }
        if let other = block.reservations.first(where: { $0.value.address == address }) {
            throw Reason("\(address) is already reserved (line \(other.line))")
        }
        if let other = block.reservations.first(where: { $0.value.key == key }) {
            throw Reason("this client already has a reservation, \(other.value.address) (line \(other.line))")
        }
        return DHCPReservation(key, address: address)
    }

    // MARK: options

    func option(_ rest: String) throws(DHCPConfigError) -> OptionSetting {
        let (name, value) = Options.split(rest)
        guard !name.isEmpty else { throw error("option", "expected `option NAME VALUE` or `option CODE = HEX`") }
        let key = "option \(name)"
        let line = self.line
        return try at(key) { () throws(Reason) in
            let (code, parsed, bytes) = try Options.encode(name, value)
            let apply: (inout DHCPSubnet) -> Void = parsed.map { Options.setter(code, $0, bytes) }
                ?? { $0.extraOptions.append(DHCPOption(code, bytes)) }
            return OptionSetting(code: code, line: line, key: key) { subnet in
                Options.clear(code, in: &subnet)
                apply(&subnet)
            }
        }
    }

    func build(end: Int) throws(DHCPConfigError) -> DHCPServerConfiguration {
        var built = [DHCPSubnet]()
        for block in subnets {
            let scope = block.scope
            let leaseTime = scope.leaseTime ?? global.leaseTime
            var subnet = DHCPSubnet(network: block.network, prefixLength: block.prefixLength,
                                    pools: block.pools.map(\.value), leaseTime: leaseTime?.value ?? 3600,
                                    reservations: block.reservations.map(\.value),
                                    nextServer: (scope.nextServer ?? global.nextServer)?.value ?? .any)
            let t1 = scope.renewalTime ?? global.renewalTime
            let t2 = scope.rebindingTime ?? global.rebindingTime
            subnet.renewalTime = t1?.value
            subnet.rebindingTime = t2?.value
            for setting in global.options + scope.options { setting.apply(&subnet) }
            for code in (global.alwaysSend?.value ?? []) + (scope.alwaysSend?.value ?? []) { subnet.alwaysSend.insert(code) }
            try checkTimes(subnet, block, leaseTime, t1, t2)
            if let serverIdentifier,
               let reserved = block.reservations.first(where: { $0.value.address == serverIdentifier.value }) {
                throw error("reserve", "\(serverIdentifier.value) is the server identifier (line \(serverIdentifier.line))",
                            line: reserved.line)
            }
            built.append(subnet)
        }
        var configuration = DHCPServerConfiguration(serverIdentifier: serverIdentifier?.value ?? .any, subnets: built)
        configuration.authoritative = authoritative?.value ?? false
        configuration.informPolicy = informPolicy
        // A backstop: everything validate() checks is checked above, with a line.
        for problem in configuration.validate() where !(serverIdentifier == nil && problem.contains("0.0.0.0")) {
            let block = subnets.first { problem.hasPrefix("subnet \($0.name)") }
            throw error("subnet", problem, line: block?.line ?? end)
        }
        return configuration
    }

    /// T1 ≤ T2 ≤ lease time, reported at the line that breaks it.
    func checkTimes(_ subnet: DHCPSubnet, _ block: SubnetBlock, _ leaseTime: Setting<UInt32>?,
                    _ t1: Setting<UInt32>?, _ t2: Setting<UInt32>?) throws(DHCPConfigError) {
        let own = [block.scope.leaseTime, block.scope.renewalTime, block.scope.rebindingTime].compactMap { $0?.line }
        func place(_ setting: Setting<UInt32>) -> String {
            own.contains(setting.line) ? "" : " (in subnet \(block.name), line \(block.line))"
        }
        let lease = subnet.leaseTime, renewal = subnet.effectiveRenewalTime, rebinding = subnet.effectiveRebindingTime
        let leaseText = leaseTime.map { "the lease time \(lease) (line \($0.line))" } ?? "the default lease time \(lease)"
        if let t2, rebinding > lease {
            throw error("t2", "T2 \(rebinding) is longer than \(leaseText)" + place(t2), line: t2.line)
        }
        if let t1, renewal > lease {
            throw error("t1", "T1 \(renewal) is longer than \(leaseText)" + place(t1), line: t1.line)
        }
        if renewal > rebinding {
            if let t1 {
                let t2Text = t2.map { "T2 \(rebinding) (line \($0.line))" } ?? "T2 \(rebinding) (87.5 % of the lease)"
                throw error("t1", "T1 \(renewal) is later than \(t2Text)" + place(t1), line: t1.line)
            } else if let t2 {
                throw error("t2", "T2 \(rebinding) is earlier than T1 \(renewal) (half the lease)" + place(t2), line: t2.line)
            }
        }
    }
}

// MARK: - option values

/// An option in the configuration file's text that cannot be encoded.
public struct DHCPOptionTextError: Error, Hashable, Sendable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}

extension DHCPServerConfigFile {
    /// One option as the `option` key reads it, `NAME-OR-CODE VALUE` or `NAME-OR-CODE = HEX`, for the other
    /// places options come from (a directory's dhcpOption attribute). A value in double quotes is taken without
    /// them, as ISC dhcpd writes strings.
    public static func option(fromText text: String) -> Result<DHCPOption, DHCPOptionTextError> {
        var (name, value) = Options.split(text)
        if value.count >= 2, value.first == "\"", value.last == "\"" { value = value.dropFirst().dropLast() }
        guard !name.isEmpty else { return .failure(DHCPOptionTextError(reason: "expected `NAME VALUE` or `CODE = HEX`")) }
        do throws(Reason) {
            let (code, _, bytes) = try Options.encode(name, value)
            return .success(DHCPOption(code, bytes))
        } catch {
            return .failure(DHCPOptionTextError(reason: "\(name): \(error.text)"))
        }
    }
}

private enum Options {
    /// `NAME VALUE` or `NAME = HEX`: the name, and the rest trimmed.
    static func split(_ rest: String) -> (String, Substring) {
        let trimmed = Text.trimmed(Substring(rest))
        let nameEnd = trimmed.firstIndex(where: { $0 == " " || $0 == "\t" || $0 == "=" }) ?? trimmed.endIndex
        return (String(trimmed[..<nameEnd]), Text.trimmed(trimmed[nameEnd...]))
    }

    /// The code, the parsed value (nil for `= HEX`) and the bytes of an option's text; a server-controlled code,
    /// an unknown name and a value that does not fit the option's shape are refused.
    static func encode(_ name: String, _ value: Substring) throws(Reason) -> (DHCPOptionCode, DHCPOptionValue?, [UInt8]) {
        let code = try Options.code(name)
        if DHCPReplyPacker.serverControlled.contains(code) { throw Reason(Options.serverControlledReason(code)) }
        if value.hasPrefix("=") {
            let text = Text.trimmed(value.dropFirst())
            guard let bytes = Hex.parse(text) else { throw Reason("'\(text)' is not bytes in hex (e.g. 68:74:74:70)") }
            return (code, nil, bytes)
        }
        guard let definition = DHCPOptionTable.definition(for: code) else {
            throw Reason("option \(code.rawValue) has no known format: give its bytes, `option \(code.rawValue) = HEX`")
        }
        if value.isEmpty, definition.shape != .flag { throw Reason("no value") }
        let parsed: DHCPOptionValue
        do throws(DHCPValueError) { parsed = try definition.value(fromText: String(value)) } catch {
            throw Reason(error.reason + "; or give its bytes, `option \(name) = HEX`")
        }
        guard let bytes = definition.shape.encode(parsed) else { throw Reason("'\(value)' cannot be encoded") }
        return (code, parsed, bytes)
    }

    /// A code by number (1…254) or table name.
    static func code(_ name: String) throws(Reason) -> DHCPOptionCode {
        let code: DHCPOptionCode
        if name.allSatisfy({ $0.isASCII && $0.isNumber }) {
            guard let number = Int(name), (1...254).contains(number) else {
                throw Reason("option code \(name) is not within 1…254")
            }
            code = DHCPOptionCode(UInt8(number))
        } else {
            guard let named = DHCPOptionTable.code(named: name) else {
                throw Reason("unknown option name '\(name)': give its code and bytes, `option CODE = HEX`")
            }
            code = named
        }
        return code
    }

    static func serverControlledReason(_ code: DHCPOptionCode) -> String {
        switch code {
        case .leaseTime: "the server sets option 51 from lease-time"
        case .renewalTime: "the server sets option 58 from t1"
        case .rebindingTime: "the server sets option 59 from t2"
        case .serverIdentifier: "the server sets option 54 from server-id"
        default: "the server sets option \(code) itself"
        }
    }

    /// Forgets what an earlier line (a global one) set for `code`.
    static func clear(_ code: DHCPOptionCode, in subnet: inout DHCPSubnet) {
        switch code {
        case .routers: subnet.routers = []
        case .domainNameServers: subnet.domainNameServers = []
        case .domainName: subnet.domainName = nil
        case .broadcastAddress: subnet.broadcastAddress = nil
        case .ntpServers: subnet.ntpServers = []
        case .tftpServerName: subnet.tftpServerName = nil
        case .bootfileName: subnet.bootfileName = nil
        case .domainSearch: subnet.domainSearch = []
        case .classlessStaticRoutes: subnet.classlessRoutes = []
        case .tftpServerAddresses: subnet.tftpServerAddresses = []
        default: break
        }
        subnet.extraOptions.removeAll { $0.code == code }
    }

    /// Sets the typed field of `code` from `value`, or adds the encoded `bytes` as an extra option.
    static func setter(_ code: DHCPOptionCode, _ value: DHCPOptionValue, _ bytes: [UInt8]) -> (inout DHCPSubnet) -> Void {
        let items: [DHCPOptionValue]
        if case .list(let list) = value { items = list } else { items = [value] }
        let addresses = items.compactMap { item -> IPv4Address? in if case .ipv4(let a) = item { a } else { nil } }
        let texts = items.compactMap { item -> String? in if case .text(let t) = item { t } else { nil } }
        switch code {
        case .routers: return { $0.routers = addresses }
        case .domainNameServers: return { $0.domainNameServers = addresses }
        case .ntpServers: return { $0.ntpServers = addresses }
        case .tftpServerAddresses: return { $0.tftpServerAddresses = addresses }
        case .broadcastAddress: return { $0.broadcastAddress = addresses.first }
        case .domainName: return { $0.domainName = texts.first }
        case .tftpServerName: return { $0.tftpServerName = texts.first }
        case .bootfileName: return { $0.bootfileName = texts.first }
        case .domainSearch: return { $0.domainSearch = texts }
        case .classlessStaticRoutes:
            let routes = items.compactMap { item -> DHCPClasslessRoute? in
                guard case .prefix(let destination, let length)? = item[field: "destination"],
                      case .ipv4(let router)? = item[field: "router"] else { return nil }
                return DHCPClasslessRoute(destination: destination, prefixLength: length, router: router)
            }
            return { $0.classlessRoutes = routes }
        default: return { $0.extraOptions.append(DHCPOption(code, bytes)) }
        }
    }

}

// MARK: - words

private enum Text {
    static func isBlank(_ character: Character) -> Bool { character == " " || character == "\t" || character == "\r" }

    static func trimmed(_ text: Substring) -> Substring {
        var text = text
        while let first = text.first, isBlank(first) { text.removeFirst() }
        while let last = text.last, isBlank(last) { text.removeLast() }
        return text
    }

    /// The line without its comment (from a `#` outside double quotes), trimmed.
    static func stripComment(_ line: Substring) -> String {
        var quoted = false
        var end = line.endIndex
        for index in line.indices {
            if line[index] == "\"" { quoted.toggle() }
            if line[index] == "#", !quoted { end = index; break }
        }
        return String(trimmed(line[..<end]))
    }

    /// The first word and the trimmed rest.
    static func splitKey(_ content: String) -> (String, String) {
        let end = content.firstIndex(where: isBlank) ?? content.endIndex
        return (String(content[..<end]), String(trimmed(content[end...])))
    }

    /// Items of a list, separated by commas and/or blanks.
    static func items(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == "," || isBlank($0) }).map(String.init)
    }

    static func single(_ text: String) throws(Reason) -> String {
        let words = items(text)
        guard words.count == 1 else {
            throw Reason(words.isEmpty ? "no value" : "expected one value, found \(words.count): '\(text)'")
        }
        return words[0]
    }

    static func address(_ text: some StringProtocol) throws(Reason) -> IPv4Address {
        guard let address = IPv4Address(text) else { throw Reason("'\(text)' is not an IPv4 address") }
        return address
    }

    /// NET/PREFIX with no host bits set.
    static func prefix(_ text: String) throws(Reason) -> (IPv4Address, Int) {
        do throws(DHCPValueError) { return try DHCPOptionText.prefix(text) } catch { throw Reason(error.reason) }
    }

    static func seconds(_ text: String, infinite: Bool = false) throws(Reason) -> UInt32 {
        if infinite, text == "infinite" { return .max }
        guard text.allSatisfy({ $0.isASCII && $0.isNumber }), let number = UInt32(text) else {
            throw Reason("'\(text)' is not a number of seconds (0…4294967295\(infinite ? ", or infinite" : ""))")
        }
        return number
    }

    static func boolean(_ text: String) throws(Reason) -> Bool {
        do throws(DHCPValueError) { return try DHCPOptionText.boolean(text) } catch { throw Reason(error.reason) }
    }
}

import DHCPCore
import DHCPLeaseDatabase
import DHCPProtocol
import Glibc
import GRDB
import Testing

// Addresses from 198.18.0.0/15, MACs locally administered (06:…).

let serverID = IPv4Address(198, 18, 0, 1)
let lan = DHCPReceipt(interfaceAddress: serverID, broadcast: true)

func temporaryPath() -> String {
    var template = Array("/tmp/dhcpscope-leasedb-XXXXXX".utf8CString)
    let directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    return directory + "/leases.sqlite"
}

func removeDatabase(_ path: String) {
    for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
    let directory = String(path[..<path.lastIndex(of: "/")!])
    rmdir(directory)
}

func configuration() -> DHCPServerConfiguration {
    let subnet = DHCPSubnet(network: IPv4Address(198, 18, 0, 0), prefixLength: 24,
                            pools: [DHCPAddressRange(IPv4Address(198, 18, 0, 100), IPv4Address(198, 18, 0, 199))],
                            leaseTime: 3600)
    return DHCPServerConfiguration(serverIdentifier: serverID, subnets: [subnet])
}

func message(_ type: DHCPMessageType, mac: MACAddress, xid: UInt32, options: [DHCPOption] = []) -> DHCPMessage {
    DHCPMessage(op: DHCPMessage.bootRequest, htype: 1, hlen: 6, hops: 0, xid: xid, secs: 0, flags: 0x8000,
                clientAddress: .any, relayAddress: .any, chaddr: mac.bytes,
                options: [DHCPOption(.messageType, [type.rawValue])] + options)
}

func sends(_ actions: [DHCPServerAction]) -> [DHCPMessage] {
    actions.compactMap { if case .send(let message, _, _) = $0 { message } else { nil } }
}

/// DISCOVER, then REQUEST of the offered address: the ACK.
func bind(_ server: inout DHCPDurableServer, mac: MACAddress, xid: UInt32, now: Double) -> DHCPMessage? {
    guard let offer = sends(server.handle(message(.discover, mac: mac, xid: xid), from: lan, now: now)).first else { return nil }
    let request = message(.request, mac: mac, xid: xid, options: [
        DHCPOption(.requestedAddress, offer.yourAddress.octets), DHCPOption(.serverIdentifier, serverID.octets),
    ])
    return sends(server.handle(request, from: lan, now: now)).first
}

@Suite("SQLite lease store")
struct SQLiteLeaseStoreTests {
    let client = DHCPClientKey.mac(MACAddress(rawValue: 0x0600_0000_0001))

    func lease(_ last: UInt8, _ state: DHCPLease.State = .bound, client: DHCPClientKey? = nil) -> DHCPLease {
        let key = client ?? self.client
        return DHCPLease(address: IPv4Address(198, 18, 0, last), client: key, hardwareAddress: Array(key.bytes.dropFirst()),
                         hostName: "host-\(last)", state: state, start: 1_700_000_000, expires: 1_700_003_600.5,
                         leaseTime: 3600, subnet: IPv4Address(198, 18, 0, 0))
    }

    @Test func roundTripKeepsEveryField() throws {
        let path = temporaryPath()
        defer { removeDatabase(path) }
        let store = try DurableLeaseStore(journal: SQLiteLeaseJournal(path: path))
        let withID = DHCPClientKey(kind: .clientIdentifier, bytes: [0xff, 0, 1, 2, 3])
        store.save(lease(100))
        store.save(lease(101, .declined, client: withID))
        #expect(store.uncommittedCount == 2)
        #expect(try store.commit(now: 1_700_000_000).isEmpty)
        #expect(store.uncommittedCount == 0)
        let rows = try SQLiteLeaseJournal.committedLeases(path: path)
        #expect(Set(rows) == [lease(100), lease(101, .declined, client: withID)])
    }

    @Test func reopenKeepsLeasesAndEachClientsLatest() throws {
        let path = temporaryPath()
        defer { removeDatabase(path) }
        do {
            let store = try DurableLeaseStore(journal: SQLiteLeaseJournal(path: path))
            store.save(lease(100, .expired))
            store.save(lease(102))          // the client's latest record
            store.save(lease(103, .declined, client: .mac(MACAddress(rawValue: 0x0600_0000_0002))))
            store.save(lease(103, .free, client: .mac(MACAddress(rawValue: 0x0600_0000_0002))))   // deletes the row
            try store.commit(now: 1_700_000_000)
        }
        let reopened = try DurableLeaseStore(journal: SQLiteLeaseJournal(path: path))
        #expect(reopened.count == 2)
        #expect(reopened.lease(at: IPv4Address(198, 18, 0, 100)) == lease(100, .expired))
        #expect(reopened.lease(at: IPv4Address(198, 18, 0, 103)) == nil)
        #expect(reopened.latestLease(of: client)?.address == IPv4Address(198, 18, 0, 102))
    }

    @Test func uncommittedRecordsAreNotOnDisk() throws {
        let path = temporaryPath()
        defer { removeDatabase(path) }
        let store = try DurableLeaseStore(journal: SQLiteLeaseJournal(path: path))
        store.save(lease(100))
        #expect(try SQLiteLeaseJournal.committedLeases(path: path).isEmpty)
        #expect(try DurableLeaseStore(journal: SQLiteLeaseJournal(path: path)).count == 0)
    }

    @Test func ackedLeaseIsCommittedBeforeHandleReturns() throws {
        let path = temporaryPath()
        defer { removeDatabase(path) }
        var server = DHCPDurableServer(configuration: configuration(), store: try DurableLeaseStore(journal: SQLiteLeaseJournal(path: path)))
        let mac = MACAddress(rawValue: 0x0600_0000_0042)
        let ack = try #require(bind(&server, mac: mac, xid: 0x42, now: 1_700_000_000))
        #expect(ack.messageType == .ack)
        // A second connection sees the binding as soon as the ACK is handed to the caller.
        let rows = try SQLiteLeaseJournal.committedLeases(path: path)
        #expect(rows.count == 1)
        #expect(rows.first?.address == ack.yourAddress)
        #expect(rows.first?.state == .bound)
        #expect(server.store.uncommittedCount == 0)
    }

    @Test func groupCommitCoversTheWholeBatch() throws {
        let path = temporaryPath()
        defer { removeDatabase(path) }
        var server = DHCPDurableServer(configuration: configuration(), store: try DurableLeaseStore(journal: SQLiteLeaseJournal(path: path)))
        let now = 1_700_000_000.0
        let macs = (1...8).map { MACAddress(rawValue: 0x0600_0000_0100 | UInt64($0)) }
        let offers = server.handleBatch(macs.enumerated().map { (message(.discover, mac: $1, xid: UInt32($0)).serialize(), lan) }, now: now)
            .map { sends($0).first! }
        let requests = zip(macs, offers).enumerated().map { index, pair in
            (message(.request, mac: pair.0, xid: UInt32(index), options: [
                DHCPOption(.requestedAddress, pair.1.yourAddress.octets), DHCPOption(.serverIdentifier, serverID.octets),
            ]).serialize(), lan)
        }
        let acks = server.handleBatch(requests, now: now).map { sends($0).first! }
        #expect(acks.allSatisfy { $0.messageType == .ack })
        #expect(Set(try SQLiteLeaseJournal.committedLeases(path: path).map(\.address)) == Set(acks.map(\.yourAddress)))
    }

    @Test func restartedServerGivesTheClientItsAddressBack() throws {
        let path = temporaryPath()
        defer { removeDatabase(path) }
        let mac = MACAddress(rawValue: 0x0600_0000_0007)
        let now = 1_700_000_000.0
        var first = DHCPDurableServer(configuration: configuration(), store: try DurableLeaseStore(journal: SQLiteLeaseJournal(path: path)))
        // Other clients first, so that the address is not simply the first of the pool.
        for other in 1...3 { _ = bind(&first, mac: MACAddress(rawValue: 0x0600_0000_1000 | UInt64(other)), xid: UInt32(other), now: now) }
        let ack = try #require(bind(&first, mac: mac, xid: 7, now: now))

        var second = DHCPDurableServer(configuration: configuration(), store: try DurableLeaseStore(journal: SQLiteLeaseJournal(path: path)))
        let offer = try #require(sends(second.handle(message(.discover, mac: mac, xid: 8), from: lan, now: now + 10)).first)
        #expect(offer.yourAddress == ack.yourAddress)
        // A new client does not get it.
        let stranger = try #require(bind(&second, mac: MACAddress(rawValue: 0x0600_0000_2000), xid: 9, now: now + 10))
        #expect(stranger.yourAddress != ack.yourAddress)
    }

    @Test func failedCommitDropsTheSendsAndTheNextCommitRetries() throws {
        let path = temporaryPath()
        defer { removeDatabase(path) }
        var server = DHCPDurableServer(configuration: configuration(), store: try DurableLeaseStore(journal: SQLiteLeaseJournal(path: path, busyTimeout: 0.05)))
        let mac = MACAddress(rawValue: 0x0600_0000_0050)
        let offer = try #require(sends(server.handle(message(.discover, mac: mac, xid: 1), from: lan, now: 1_700_000_000)).first)
        // Another connection holds the write lock: the commit of the binding fails, so the ACK must not go out.
        var unsafe = Configuration()
        unsafe.allowsUnsafeTransactions = true   // the transaction stays open across accesses
        let blocker = try DatabaseQueue(path: path, configuration: unsafe)
        try blocker.inDatabase { try $0.execute(sql: "BEGIN EXCLUSIVE") }
        let request = message(.request, mac: mac, xid: 1, options: [
            DHCPOption(.requestedAddress, offer.yourAddress.octets), DHCPOption(.serverIdentifier, serverID.octets),
        ])
        let actions = server.handle(request, from: lan, now: 1_700_000_000)
        #expect(sends(actions).isEmpty)
        #expect(actions.contains { if case .problem(let problem) = $0 { problem.text.contains("commit failed") } else { false } })
        #expect(server.store.uncommittedCount == 1)
        try blocker.inDatabase { try $0.execute(sql: "ROLLBACK") }
        // The client retries: the binding (still queued) is committed with the new batch, and the ACK goes out.
        let retry = server.handle(request, from: lan, now: 1_700_000_001)
        #expect(sends(retry).first?.messageType == .ack)
        #expect(try SQLiteLeaseJournal.committedLeases(path: path).map(\.address) == [offer.yourAddress])
    }
}

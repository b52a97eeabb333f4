import DHCPCore
import DHCPLeaseDatabase
import DHCPProtocol
import Glibc
import Testing

private func leasesPath() -> String {
    var template = Array("/tmp/dhcpscope-leasefile-XXXXXX".utf8CString)
    let directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    return directory + "/dhcpd.leases"
}

private func remove(_ path: String) {
    unlink(path)
    unlink(path + ".new")
    rmdir(String(path[..<path.lastIndex(of: "/")!]))
}

private func contents(_ path: String) -> String {
    guard let file = fopen(path, "r") else { return "" }
    defer { fclose(file) }
    var bytes = [UInt8](repeating: 0, count: 1 << 20)
    let count = fread(&bytes, 1, bytes.count, file)
    return String(decoding: bytes[0..<count], as: UTF8.self)
}

private func append(_ text: String, to path: String) {
    guard let file = fopen(path, "a") else { return }
    fputs(text, file)
    fclose(file)
}

private func fileStore(_ path: String) throws -> DurableLeaseStore {
    try DurableLeaseStore(journal: LeasesFileJournal(path: path))
}

@Suite("dhcpd.leases journal (file:)")
struct LeasesFileJournalTests {
    let now = 1_700_000_000.0

    func lease(_ last: UInt8, _ state: DHCPLease.State = .bound, mac: UInt64 = 1, start: Double = 1_700_000_000) -> DHCPLease {
        let key = DHCPClientKey.mac(MACAddress(rawValue: 0x0600_0000_0000 | mac))
        return DHCPLease(address: IPv4Address(198, 18, 0, last), client: key, hardwareAddress: Array(key.bytes.dropFirst()),
                         hostName: "host \"\(last)\"", state: state, start: start, expires: start + 3600,
                         leaseTime: state == .bound ? 3600 : 0)
    }

    @Test func everyAcknowledgedLeaseIsInTheFileBeforeTheACKAndSurvivesARestart() throws {
        let path = leasesPath()
        defer { remove(path) }
        var server = DHCPDurableServer(configuration: configuration(), store: try fileStore(path))
        let macs = (1...5).map { MACAddress(rawValue: 0x0600_0000_0300 | UInt64($0)) }
        var acks = [DHCPMessage]()
        for (index, mac) in macs.enumerated() {
            let ack = try #require(bind(&server, mac: mac, xid: UInt32(index), now: now))
            // On disk (another reader sees it) as soon as the ACK is handed over.
            #expect(contents(path).contains("lease \(ack.yourAddress) {"))
            acks.append(ack)
        }
        let text = contents(path)
        #expect(text.hasPrefix("# The format of this file is documented in the dhcpd.leases(5) manual page."))
        #expect(text.contains("binding state active;"))
        #expect(text.contains("hardware ethernet 06:00:00:00:03:01;"))
        // A new server on the same file gives each client its address back.
        var restarted = DHCPDurableServer(configuration: configuration(), store: try fileStore(path))
        for (index, mac) in macs.enumerated() {
            let offer = try #require(sends(restarted.handle(message(.discover, mac: mac, xid: 100 + UInt32(index)), from: lan, now: now + 5)).first)
            #expect(offer.yourAddress == acks[index].yourAddress)
        }
    }

    @Test func theLastBlockOfAnAddressWinsAndEveryFieldComesBack() throws {
        let path = leasesPath()
        defer { remove(path) }
        let withID = DHCPClientKey(kind: .clientIdentifier, bytes: [0xff, 0, 1, 0x22, 0x5c])
        let declined = DHCPLease(address: IPv4Address(198, 18, 0, 9), client: withID, hardwareAddress: [6, 0, 0, 0, 0, 9],
                                 hostName: nil, state: .declined, start: now, expires: now + 86_400)
        do {
            let store = try fileStore(path)
            store.save(lease(5))
            store.save(lease(6, mac: 2))
            try store.commit(now: now)
            store.save(lease(5, .released))
            store.save(declined)
            store.save(lease(6, .free, mac: 2))
            try store.commit(now: now)
        }
        let store = try fileStore(path)
        #expect(store.count == 2)
        #expect(store.lease(at: IPv4Address(198, 18, 0, 5)) == lease(5, .released))
        #expect(store.lease(at: IPv4Address(198, 18, 0, 6)) == nil)
        #expect(store.lease(at: IPv4Address(198, 18, 0, 9)) == declined)
        #expect(contents(path).contains("binding state abandoned;"))
    }

    @Test func aLastBlockCutShortByACrashIsCutOffAndAppendingGoesOn() throws {
        let path = leasesPath()
        defer { remove(path) }
        do {
            let store = try fileStore(path)
            store.save(lease(5))
            try store.commit(now: now)
        }
        append("lease 198.18.0.7 {\n  starts 4 2023/11/14 22:13:20;\n  ends 4 2023/11", to: path)
        let store = try fileStore(path)
        #expect(store.count == 1)
        #expect(!contents(path).contains("198.18.0.7"))
        store.save(lease(8, mac: 3))
        try store.commit(now: now)
        let reread = DHCPDLeaseFile.parse(contents(path))
        #expect(reread.skipped.isEmpty)
        #expect(reread.entries.map(\.address) == [IPv4Address(198, 18, 0, 5), IPv4Address(198, 18, 0, 8)])
    }

    @Test func theFileIsRewrittenWhenItGrowsToFourTimesTheLiveLeases() throws {
        let path = leasesPath()
        defer { remove(path) }
        let store = try fileStore(path)
        // One client renewing: every renewal appends a block, until the file holds 64 and is rewritten to one.
        for renewal in 0..<63 {
            store.save(lease(5, start: now + Double(renewal)))
            try store.commit(now: now + Double(renewal))
        }
        #expect(DHCPDLeaseFile.parse(contents(path)).entries.count == 63)
        store.save(lease(5, start: now + 63))
        try store.commit(now: now + 63)
        let entries = DHCPDLeaseFile.parse(contents(path)).entries
        #expect(entries.count == 1)
        #expect(entries.first?.starts == Int64(now + 63))
        #expect(access(path + ".new", F_OK) != 0)
        // Appending goes on in the new file.
        store.save(lease(6, mac: 2))
        try store.commit(now: now + 64)
        #expect(DHCPDLeaseFile.parse(contents(path)).entries.count == 2)
        #expect(try fileStore(path).count == 2)
    }

    @Test func readsAFileISCDhcpdWrote() {
        let text = """
            # The format of this file is documented in the dhcpd.leases(5) manual page.
            # This lease file was written by isc-dhcp-4.4.3-P1

            # authoring-byte-order entry is generated, DO NOT DELETE
            authoring-byte-order little-endian;

            server-duid "\\000\\001\\000\\001-\\312\\242\\013\\006\\000\\000\\000\\000\\001";

            lease 198.18.0.100 {
              starts 3 2026/12/02 10:00:00;
              ends 3 2026/12/02 10:10:00;
              cltt 3 2026/12/02 10:00:00;
              binding state active;
              next binding state free;
              rewind binding state free;
              hardware ethernet 06:00:00:00:00:01;
              uid "\\001\\006\\000\\000\\000\\000\\001";
              set vendor-class-identifier = "udhcp 1.35.0";
              client-hostname "box";
            }
            failover peer "pair" state {
              my state normal at 3 2026/12/02 09:00:00;
            }
            """
        let contents = DHCPDLeaseFile.parse(text)
        #expect(contents.skipped.isEmpty)
        let entry = contents.entries.first
        #expect(contents.entries.count == 1)
        #expect(entry?.uid == [1, 6, 0, 0, 0, 0, 1])
        #expect(entry?.hostname == Array("box".utf8))
        #expect(entry?.starts.map { DHCPDLeaseFile.time($0) } == "3 2026/12/02 10:00:00")
        #expect(entry.map { DHCPLease($0).leaseTime } == 600)
        #expect(entry.map { DHCPLease($0).client.kind } == .clientIdentifier)
    }

    @Test func leaseDatabaseURLs() throws {
        #expect(try LeaseDatabase.parse("leases.db").get() == .sqlite(path: "leases.db"))
        #expect(try LeaseDatabase.parse("sqlite:/tmp/l.db").get() == .sqlite(path: "/tmp/l.db"))
        #expect(try LeaseDatabase.parse("file:/var/lib/dhcp/dhcpd.leases").get() == .leasesFile(path: "/var/lib/dhcp/dhcpd.leases"))
        #expect(try LeaseDatabase.parse("postgresql://dhcp@/leases?host=/tmp").get() == .postgreSQL(url: "postgresql://dhcp@/leases?host=/tmp"))
        #expect(throws: DHCPLeaseDatabaseError.self) { try LeaseDatabase.parse("mysql://x/y").get() }
        #expect(throws: DHCPLeaseDatabaseError.self) { try LeaseDatabase.parse("file:").get() }
    }
}

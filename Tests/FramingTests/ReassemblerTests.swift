import Framing
import NetworkPrimitives
import Testing

/// One fragment as a frame would carry it, parsed back to the header and payload the reassembler takes.
struct Fragment {
    var ip: IPv4Info
    var payload: [UInt8]

    init(id: UInt16 = 0x4242, offset: Int, more: Bool, _ data: ArraySlice<UInt8>, source: UInt8 = 1) {
        let bytes = ethernet(payload: ipv4(source: [10, 0, 0, source], destination: [10, 0, 0, 254], identification: id,
                                           fragmentOffset: offset, moreFragments: more, payload: Array(data)))
        guard case .ipv4Fragment(let info, let range) = parse(bytes).payload else {
            fatalError("builder did not produce a fragment")
        }
        ip = info
        payload = Array(bytes[range])
    }

    func add(to reassembler: inout IPv4Reassembler, at time: Double = 0) -> IPv4Reassembler.Outcome {
        payload.withUnsafeBytes { reassembler.add(ip, payload: $0, time: time) }
    }
}

@Suite("IPv4 reassembly")
struct ReassemblerTests {
    /// A UDP datagram of 8 + 400 bytes, cut at 8-byte boundaries.
    let whole = udp(payload: (0..<400).map { UInt8(truncatingIfNeeded: $0 * 7) })

    func pieces() -> [Fragment] {
        [Fragment(offset: 0, more: true, whole[0..<208]), Fragment(offset: 208, more: false, whole[208...])]
    }

    func expectComplete(_ outcome: IPv4Reassembler.Outcome, sourceLocation: SourceLocation = #_sourceLocation) {
        guard case .complete(let datagram) = outcome else {
            Issue.record("expected a complete datagram, got \(outcome)", sourceLocation: sourceLocation)
            return
        }
        #expect(datagram.payload == whole, sourceLocation: sourceLocation)
        #expect(datagram.ip.fragmentOffset == 0, sourceLocation: sourceLocation)
        #expect(!datagram.ip.moreFragments, sourceLocation: sourceLocation)
        #expect(!datagram.ip.isFragment, sourceLocation: sourceLocation)
        #expect(datagram.ip.identification == 0x4242, sourceLocation: sourceLocation)
        // The reassembled payload parses as the UDP datagram it was.
        let udpPayload: FramePayload = datagram.payload.withUnsafeBytes {
            FrameParser.parseUDP($0, 0..<datagram.payload.count, ip: datagram.ip)
        }
        guard case .udp(_, let info, let error) = udpPayload else {
            Issue.record("not UDP: \(udpPayload)", sourceLocation: sourceLocation)
            return
        }
        #expect(info.sourcePort == 68 && info.destinationPort == 67, sourceLocation: sourceLocation)
        #expect(info.payload == 8..<408, sourceLocation: sourceLocation)
        #expect(error == nil, sourceLocation: sourceLocation)
    }

    @Test("The parser reports fragments with their offsets")
    func fragmentsParse() {
        let fragments = pieces()
        #expect(fragments[0].ip.fragmentOffset == 0 && fragments[0].ip.moreFragments && fragments[0].ip.isFragment)
        #expect(fragments[1].ip.fragmentOffset == 208 && !fragments[1].ip.moreFragments && fragments[1].ip.isFragment)
        #expect(fragments[0].payload.count == 208)
    }

    @Test("Two fragments in order")
    func inOrder() {
        var reassembler = IPv4Reassembler()
        let fragments = pieces()
        guard case .incomplete = fragments[0].add(to: &reassembler) else { Issue.record("first fragment completed"); return }
        #expect(reassembler.pendingCount == 1)
        expectComplete(fragments[1].add(to: &reassembler))
        #expect(reassembler.pendingCount == 0)
    }

    @Test("Two fragments reversed")
    func reversed() {
        var reassembler = IPv4Reassembler()
        let fragments = pieces()
        guard case .incomplete = fragments[1].add(to: &reassembler) else { Issue.record("last fragment completed"); return }
        expectComplete(fragments[0].add(to: &reassembler))
        #expect(reassembler.pendingCount == 0)
    }

    @Test("Three fragments in every order")
    func threeFragments() {
        let fragments = [Fragment(offset: 0, more: true, whole[0..<104]), Fragment(offset: 104, more: true, whole[104..<304]),
                         Fragment(offset: 304, more: false, whole[304...])]
        for order in [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]] {
            var reassembler = IPv4Reassembler()
            var last: IPv4Reassembler.Outcome = .incomplete
            for index in order { last = fragments[index].add(to: &reassembler) }
            expectComplete(last)
        }
    }

    @Test("Overlapping fragments fail and are dropped")
    func overlap() {
        var reassembler = IPv4Reassembler()
        _ = Fragment(offset: 0, more: true, whole[0..<208]).add(to: &reassembler)
        guard case .failed(let error) = Fragment(offset: 200, more: false, whole[200...]).add(to: &reassembler) else {
            Issue.record("overlap was accepted"); return
        }
        #expect(error.code == .fragmentOverlap)
        #expect(reassembler.pendingCount == 0)
    }

    @Test("A duplicate fragment is an overlap")
    func duplicate() {
        var reassembler = IPv4Reassembler()
        _ = pieces()[0].add(to: &reassembler)
        guard case .failed = pieces()[0].add(to: &reassembler) else { Issue.record("duplicate was accepted"); return }
    }

    @Test("51 eight-byte fragments in a scrambled order reassemble")
    func manySmallPieces() {
        // Hostile captures send a datagram as thousands of 8-byte fragments (Tests/CLITests/Fixtures/hostile/
        // fragments.pcap.gz); the pieces are kept sorted so that each one costs a binary search, not a scan.
        let fragments = stride(from: 0, to: whole.count, by: 8).map {
            Fragment(offset: $0, more: $0 + 8 < whole.count, whole[$0..<min($0 + 8, whole.count)])
        }
        #expect(fragments.count == 51)
        var reassembler = IPv4Reassembler()
        // 23 and 51 are coprime: i * 23 mod 51 visits every fragment once, far out of order.
        var outcomes = (0..<51).map { fragments[$0 * 23 % 51].add(to: &reassembler) }
        guard let last = outcomes.popLast() else { Issue.record("no fragments"); return }
        #expect(outcomes.allSatisfy { if case .incomplete = $0 { true } else { false } })
        expectComplete(last)
        #expect(reassembler.pendingCount == 0)
    }

    @Test("A fragment beyond the last fragment's end fails instead of trapping")
    func beyondEnd() {
        // 0..<8, then 32..<40, then the last fragment 16..<24: the byte count equals the total length,
        // but one piece lies past it and 8..<16 is missing.
        for order in [[0, 1, 2], [2, 1, 0], [1, 2, 0]] {
            var reassembler = IPv4Reassembler()
            let fragments = [Fragment(offset: 0, more: true, whole[0..<8]), Fragment(offset: 32, more: true, whole[32..<40]),
                             Fragment(offset: 16, more: false, whole[16..<24])]
            var outcomes = [IPv4Reassembler.Outcome]()
            for index in order { outcomes.append(fragments[index].add(to: &reassembler)) }
            #expect(!outcomes.contains { if case .complete = $0 { true } else { false } })
            #expect(outcomes.contains { if case .failed = $0 { true } else { false } })
        }
    }

    @Test("Fragments of different datagrams do not mix")
    func separateDatagrams() {
        var reassembler = IPv4Reassembler()
        _ = Fragment(id: 1, offset: 0, more: true, whole[0..<208]).add(to: &reassembler)
        _ = Fragment(id: 2, offset: 208, more: false, whole[208...]).add(to: &reassembler)
        _ = Fragment(offset: 0, more: true, whole[0..<208], source: 9).add(to: &reassembler)
        #expect(reassembler.pendingCount == 3)
        guard case .complete = Fragment(id: 1, offset: 208, more: false, whole[208...]).add(to: &reassembler) else {
            Issue.record("datagram 1 did not complete"); return
        }
        #expect(reassembler.pendingCount == 2)
    }

    @Test("Pending datagrams stay bounded", arguments: [256, 10])
    func bounded(_ maximum: Int) {
        var reassembler = IPv4Reassembler(maximumPending: maximum)
        for id in 0..<1_000 {
            let outcome = Fragment(id: UInt16(id), offset: 0, more: true, whole[0..<16]).add(to: &reassembler, at: Double(id))
            guard case .incomplete = outcome else { Issue.record("\(id): \(outcome)"); return }
            #expect(reassembler.pendingCount <= reassembler.maximumPending)
        }
        #expect(reassembler.pendingCount == maximum)
        // The oldest were evicted: the newest still completes, the first does not.
        guard case .complete = Fragment(id: 999, offset: 16, more: false, whole[16..<24]).add(to: &reassembler, at: 1_000) else {
            Issue.record("the newest datagram was evicted"); return
        }
        guard case .incomplete = Fragment(id: 0, offset: 16, more: false, whole[16..<24]).add(to: &reassembler, at: 1_000) else {
            Issue.record("the oldest datagram was kept"); return
        }
    }

    @Test("expire(now:) drops datagrams older than the timeout")
    func expire() {
        var reassembler = IPv4Reassembler(timeout: 30)
        _ = Fragment(id: 1, offset: 0, more: true, whole[0..<208]).add(to: &reassembler, at: 100)
        _ = Fragment(offset: 0, more: true, whole[0..<208]).add(to: &reassembler, at: 120)
        #expect(reassembler.expire(now: 110) == 0)
        #expect(reassembler.expire(now: 130) == 0)
        #expect(reassembler.pendingCount == 2)
        #expect(reassembler.expire(now: 131) == 1)
        #expect(reassembler.pendingCount == 1)
        // The expired datagram's last fragment now starts a new incomplete datagram.
        guard case .incomplete = Fragment(id: 1, offset: 208, more: false, whole[208...]).add(to: &reassembler, at: 131) else {
            Issue.record("an expired datagram completed"); return
        }
        expectComplete(Fragment(offset: 208, more: false, whole[208...]).add(to: &reassembler, at: 140))
        #expect(reassembler.expire(now: 1_000) == 1)
        #expect(reassembler.pendingCount == 0)
    }
}

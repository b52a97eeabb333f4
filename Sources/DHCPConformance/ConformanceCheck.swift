import DHCPCore
import NetworkPrimitives

/// How strongly the RFC words the rule a check judges.
public enum ConformanceLevel: String, Sendable, CaseIterable {
    case must = "MUST", should = "SHOULD", may = "MAY"
    /// Behaviour reported, not judged (a BOOTP request answered or not).
    case info = "INFO"
}

/// A check's outcome.
public enum ConformanceResult: String, Sendable, CaseIterable {
    case pass, fail
    /// The server's configuration decides (a non-authoritative server's silence, an INFORM it may refuse).
    case notApplicable = "not-applicable"
    /// No answer came that could judge it.
    case inconclusive
}

/// One rule of the battery: a stable id, the RFC clause, its level and what it asks.
public struct ConformanceCheck: Sendable, Hashable {
    public let id: String
    public let rfc: String
    public let level: ConformanceLevel
    public let title: String

    init(_ id: String, _ rfc: String, _ level: ConformanceLevel, _ title: String) {
        self.id = id; self.rfc = rfc; self.level = level; self.title = title
    }
}

/// A check judged: its result, what was seen (for anything but a pass) and the frames it was judged from (numbered
/// as in the -w file).
public struct ConformanceVerdict: Sendable {
    public var check: ConformanceCheck
    public var result: ConformanceResult
    public var detail: String?
    public var frames: [Int]

    public init(_ check: ConformanceCheck, _ result: ConformanceResult, _ detail: String? = nil, frames: [Int] = []) {
        self.check = check; self.result = result; self.detail = detail; self.frames = frames
    }
}

extension ConformanceCheck {
    // The form of OFFER and ACK (RFC 2131 §4.3.1, Table 3).
    public static let offerServerID = Self("offer-server-id", "2131 4.3.1", .must, "an OFFER carries the server identifier (54)")
    public static let offerLeaseTime = Self("offer-lease-time", "2131 4.3.1", .must, "an OFFER carries the lease time (51)")
    public static let offerEcho = Self("offer-echo", "2131 4.3.1", .must, "an OFFER echoes xid, chaddr, flags and giaddr")
    public static let serverIDIsSource = Self("server-id-is-source", "2132 9.7", .should,
                                              "the server identifier is the address the server sends from")
    public static let requestAcked = Self("request-acked", "2131 4.3.2", .must,
                                          "a SELECTING REQUEST for the offered address gets an ACK")
    public static let ackServerID = Self("ack-server-id", "2131 4.3.1", .must, "an ACK carries the server identifier (54)")
    public static let ackLeaseTime = Self("ack-lease-time", "2131 4.3.1", .must, "an ACK to a REQUEST carries the lease time (51)")
    public static let ackEcho = Self("ack-echo", "2131 4.3.1", .must, "an ACK echoes xid, chaddr, flags and giaddr")
    public static let ackSameAddress = Self("ack-offered-address", "2131 4.3.1", .must,
                                            "the ACK to a SELECTING REQUEST gives the address requested (50)")
    public static let yiaddrOnLink = Self("yiaddr-on-link", "2131 4.3.1", .must,
                                          "yiaddr lies in the subnet (option 1) of the server's address on the link")
    public static let timersOrdered = Self("timers-ordered", "2131 4.4.5", .must, "T1 < T2 < lease time")
    public static let parametersSupplied = Self("parameters-supplied", "2131 4.3.1", .should,
                                                "the subnet mask asked for in option 55 is supplied")
    public static let clientIDEcho = Self("client-id-echo", "6842 3", .must, "the client identifier (61) is echoed")
    public static let longOptionSplit = Self("long-option-split", "3396 7", .must,
                                             "an option longer than 255 bytes is split into consecutive instances")
    public static let maximumMessageSize = Self("max-message-size", "2132 9.10", .must,
                                                "a reply fits the client's maximum message size (57): 576 bytes")
    public static let broadcastBit = Self("broadcast-bit", "2131 4.1", .should, "the broadcast bit gets broadcast replies")
    public static let unicastReply = Self("unicast-reply", "2131 4.1", .should,
                                          "without the broadcast bit the OFFER goes unicast to yiaddr at chaddr")
    public static let requestedAddress = Self("requested-address", "2131 4.3.1", .should,
                                              "a free address asked for in option 50 is offered")
    // REQUEST handling (§4.3.2).
    public static let otherServerSilence = Self("selecting-other-server", "2131 4.3.2", .must,
                                                "a SELECTING REQUEST naming another server gets no answer")
    public static let notOfferedNAK = Self("request-not-offered", "2131 4.3.2", .should,
                                           "a SELECTING REQUEST for an address never offered gets a NAK")
    public static let initRebootWrongNetwork = Self("init-reboot-wrong-network", "2131 4.3.2", .should,
                                                    "INIT-REBOOT for an address on another network gets a NAK (authoritative servers)")
    public static let initRebootUnknownClient = Self("init-reboot-unknown-client", "2131 4.3.2", .must,
                                                     "INIT-REBOOT for an address leased to another client is not ACKed")
    public static let renewExtends = Self("renew-extends", "2131 4.3.2", .must,
                                          "RENEWING by unicast is ACKed with the same address and a lease time")
    public static let rebindAcked = Self("rebind-acked", "2131 4.3.2", .should,
                                         "REBINDING by broadcast is ACKed by the server holding the lease")
    public static let nakForm = Self("nak-form", "2131 4.3.2", .must, "a NAK has yiaddr 0, no lease time, and is broadcast")
    // RELEASE, DECLINE, INFORM (§4.3.3–4.3.5).
    public static let releaseFrees = Self("release-frees", "2131 4.3.4", .should,
                                          "after a RELEASE a second client asking for the address gets it")
    public static let declineQuarantine = Self("decline-quarantine", "2131 4.3.3", .must,
                                               "a declined address is not offered again")
    public static let informAnswered = Self("inform-answered", "2131 4.3.5", .should, "an INFORM gets an ACK")
    public static let informNoLease = Self("inform-no-lease", "2131 4.3.5", .must,
                                           "the ACK to an INFORM has no lease time and yiaddr 0")
    public static let informUnicast = Self("inform-unicast", "2131 4.3.5", .should, "the ACK to an INFORM goes unicast to ciaddr")
    // Robustness.
    public static let malformedIgnored = Self("malformed-ignored", "2131 2", .should,
                                              "a malformed DISCOVER is not answered, and the server keeps answering")
    public static let sameXIDKeptApart = Self("same-xid-two-clients", "2131 4.2", .must,
                                              "two clients with the same xid each get an OFFER for their own chaddr")
    public static let bootpAnswered = Self("bootp-answered", "1542 / 951", .info, "a BOOTP request (no option 53) is answered")
    // As a relay agent (--giaddr), and the selection options.
    public static let relayReply = Self("relay-reply-to-giaddr", "2131 4.1", .must,
                                        "a relayed DISCOVER is answered to giaddr, port 67, with giaddr kept")
    public static let agentInformationEcho = Self("option82-echo", "3046 2.2", .must,
                                                  "option 82 of a relayed request is echoed unchanged")
    public static let agentInformationUnrelayed = Self("option82-only-relayed", "3046 2.2", .should,
                                                       "option 82 in a request that no relay agent passed on (giaddr 0) is not echoed")
    public static let subnetSelection = Self("subnet-selection", "3011 3", .should,
                                             "option 118 picks the subnet the address comes from (--subnet)")
    public static let linkSelection = Self("link-selection", "3527 3", .should,
                                           "option 82 suboption 5 picks the subnet the address comes from (--giaddr, --subnet)")

    /// The battery, in the order it runs.
    public static let all: [ConformanceCheck] = [
        offerServerID, offerLeaseTime, offerEcho, serverIDIsSource, requestAcked, ackServerID, ackLeaseTime, ackEcho, ackSameAddress, yiaddrOnLink, timersOrdered,
        parametersSupplied, clientIDEcho, longOptionSplit, maximumMessageSize, broadcastBit, unicastReply, requestedAddress,
        otherServerSilence, notOfferedNAK, initRebootWrongNetwork, initRebootUnknownClient, renewExtends, rebindAcked, nakForm,
        releaseFrees, declineQuarantine, informAnswered, informNoLease, informUnicast, malformedIgnored, sameXIDKeptApart,
        bootpAnswered, relayReply, agentInformationEcho, agentInformationUnrelayed, subnetSelection, linkSelection,
    ]

    public static func named(_ id: String) -> ConformanceCheck? { all.first { $0.id == id } }
}

#!/usr/bin/env python3
"""Write a large synthetic DHCPv6 capture (classic pcap, Ethernet, microsecond timestamps) for benchmarks.

usage: gen-capture6.py OUT [N]       N = number of DHCPv6 messages, default 1,000,000

Plain Python (struct only).  Frame templates are built once with placeholder bytes; for every packet a template is
copied and the transaction id, the client's MAC (in its DUID-LLT, its link-local address and the relay's peer
address), its IAID, its address and its delegated prefix are patched in place.  Deterministic output.

Traffic model
  * 50,000 clients, MAC 06:00:01:xx:xx:xx, link-local fe80::400:1ff:fexx:xxxx (EUI-64), DUID-LLT of the MAC;
    one server (DUID-LL 06:00:00:00:00:01, fe80::400:ff:fe00:1 on the clients' link, 2001:db8:ffff::1 behind relays).
  * Transactions: 70 % SOLICIT, ADVERTISE, REQUEST, REPLY (half of the clients ask IA_PD besides IA_NA, answered with a
    /56), 20 % RENEW + REPLY, 5 % INFORMATION-REQUEST + REPLY, 5 % RELEASE + REPLY.
  * One client in four sits behind one of four relay agents (link address 2001:db8:R::1, interface-id): each of its
    messages is captured on both legs, client <-> relay and relay <-> server (RELAY-FORW, RELAY-REPL).
  * Addresses from 2001:db8::/32 and link-local only.  UDP checksums are 0 (tshark and dhcpscope do not check them).
"""

import struct
import sys

from pcapfile import Writer

NCLIENTS = 50000
NRELAYS = 4
BASE_TS = 1700000000
SERVER_MAC = bytes.fromhex("060000000001")
RELAY_MAC = bytes.fromhex("060000000002")
SERVER_LL = bytes.fromhex("fe800000000000000400" "00fffe000001")
SERVER_GLOBAL = bytes.fromhex("20010db8ffff00000000000000000001")
ALL_SERVERS = bytes.fromhex("ff020000000000000000000000010002")
ALL_SERVERS_MAC = bytes.fromhex("333300010002")
SERVER_DUID = bytes.fromhex("00030001") + SERVER_MAC

# Placeholders: patched per packet.
PH_MAC3 = b"\xee\xee\xee"            # last three bytes of the client's MAC, wherever it appears
PH_XID = b"\xdd\xdd\xdd"
PH_IAID = b"\xcc\xcc\xcc\xcc"
PH_ADDR = b"\xbb\xbb\xbb\xbb"        # last four bytes of the IA address
PH_PREFIX = b"\xaa\xaa"              # bytes 4-5 of the delegated prefix
PH_RELAY = b"\x99\x99"               # the relay's number in its link address


def opt(code, data):
    return struct.pack("!HH", code, len(data)) + data


def client_mac():
    return b"\x06\x00\x01" + PH_MAC3


def client_ll():
    return bytes.fromhex("fe80000000000000040001fffe") + PH_MAC3


def client_duid():
    return bytes.fromhex("00010001") + struct.pack("!I", 0x2F000000) + bytes.fromhex("060001") + PH_MAC3


def ia_na(t1, t2, with_address):
    inner = b""
    if with_address:
        inner = opt(5, bytes.fromhex("20010db8000100000000") + b"\x00\x00" + PH_ADDR + struct.pack("!II", 3000, 4000))
    return opt(3, PH_IAID + struct.pack("!II", t1, t2) + inner)


def ia_pd(t1, t2, with_prefix):
    inner = b""
    if with_prefix:
        prefix = bytes.fromhex("20010db8") + PH_PREFIX + bytes(10)
        inner = opt(26, struct.pack("!II", 3000, 4000) + b"\x38" + prefix)
    return opt(25, PH_IAID + struct.pack("!II", t1, t2) + inner)


ORO = opt(6, struct.pack("!HHHH", 23, 24, 82, 17))


def message(kind, pd):
    """The client's or server's message of `kind`, as (type, options)."""
    client = opt(1, client_duid())
    server = opt(2, SERVER_DUID)
    elapsed = opt(8, b"\x00\x00")
    want_pd = [ia_pd(0, 0, False)] if pd else []
    give_pd = [ia_pd(1000, 1600, True)] if pd else []
    dns = opt(23, bytes.fromhex("20010db8000100000000000000000053"))
    domains = opt(24, b"\x03lab\x07example\x00")
    if kind == "solicit":
        return 1, [client, elapsed, ORO, ia_na(0, 0, False)] + want_pd
    if kind == "advertise":
        return 2, [client, server, opt(7, b"\x00"), ia_na(1000, 1600, True)] + give_pd + [dns, domains]
    if kind == "request":
        return 3, [client, server, elapsed, ORO, ia_na(0, 0, True)] + give_pd
    if kind == "renew":
        return 5, [client, server, elapsed, ORO, ia_na(0, 0, True)] + give_pd
    if kind == "information-request":
        return 11, [client, elapsed, opt(6, struct.pack("!HH", 23, 24))]
    if kind == "release":
        return 8, [client, server, elapsed, ia_na(0, 0, True)] + give_pd
    if kind == "reply":
        return 7, [client, server, ia_na(1000, 1600, True)] + give_pd + [dns, domains]
    if kind == "reply-info":
        return 7, [client, server, dns, domains]
    if kind == "reply-release":
        return 7, [client, server, opt(13, b"\x00\x00release received")]
    raise ValueError(kind)


def dhcp6(msg_type, options):
    return bytes([msg_type]) + PH_XID + b"".join(options)


def relay(msg_type, inner):
    link = bytes.fromhex("20010db8") + PH_RELAY + bytes(9) + b"\x01"
    return bytes([msg_type, 0]) + link + client_ll() + opt(9, inner) + opt(18, PH_RELAY)


def frame(src_mac, dst_mac, src_ip, dst_ip, sport, dport, payload):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!IHBB", 0x60000000, len(udp), 17, 64) + src_ip + dst_ip
    return dst_mac + src_mac + b"\x86\xdd" + ip + udp


def legs(kind, pd, relayed):
    """The frames of one message: the client's link, and behind a relay the relay-to-server leg too."""
    msg_type, options = message(kind, pd)
    payload = dhcp6(msg_type, options)
    from_server = msg_type in (2, 7)
    if from_server:
        direct = frame(RELAY_MAC if relayed else SERVER_MAC, client_mac(), SERVER_LL, client_ll(), 547, 546, payload)
        if not relayed:
            return [direct]
        relay_ip = bytes.fromhex("20010db8") + PH_RELAY + bytes(9) + b"\x01"
        upstream = frame(SERVER_MAC, RELAY_MAC, SERVER_GLOBAL, relay_ip, 547, 547, relay(13, payload))
        return [upstream, direct]
    direct = frame(client_mac(), ALL_SERVERS_MAC, client_ll(), ALL_SERVERS, 546, 547, payload)
    if not relayed:
        return [direct]
    relay_ip = bytes.fromhex("20010db8") + PH_RELAY + bytes(9) + b"\x01"
    upstream = frame(RELAY_MAC, SERVER_MAC, relay_ip, SERVER_GLOBAL, 547, 547, relay(12, payload))
    return [direct, upstream]


def marks(buf):
    """Offsets of each placeholder in `buf`."""
    found = {}
    for name, pattern in (("mac3", PH_MAC3), ("xid", PH_XID), ("iaid", PH_IAID), ("addr", PH_ADDR),
                          ("prefix", PH_PREFIX), ("relay", PH_RELAY)):
        offsets, start = [], 0
        while True:
            at = buf.find(pattern, start)
            if at < 0:
                break
            offsets.append(at)
            start = at + len(pattern)
        found[name] = tuple(offsets)
    return found


def main():
    if len(sys.argv) < 2 or len(sys.argv) > 3:
        sys.exit("usage: gen-capture6.py OUT [N]")
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) == 3 else 1_000_000
    sequences = {"sarr": ("solicit", "advertise", "request", "reply"), "renew": ("renew", "reply"),
                 "info": ("information-request", "reply-info"), "release": ("release", "reply-release")}
    templates = {}
    for kinds in sequences.values():
        for kind in kinds:
            for pd in (False, True):
                for relayed in (False, True):
                    templates[(kind, pd, relayed)] = [(bytes(b), marks(b)) for b in legs(kind, pd, relayed)]
    with open(out, "wb", buffering=1 << 20) as f:
        pcap = Writer(f, BASE_TS)
        i, t, usec = 0, 0, 0
        while i < n:
            c = (t * 7919) % NCLIENTS
            sel = (((t * 0x85EBCA6B) & 0xFFFFFFFF) >> 13) % 20
            sequence = sequences["info" if sel == 19 else "release" if sel == 9 else "renew" if sel in (3, 7, 11, 15) else "sarr"]
            h = ((c * 0x9E3779B1) & 0xFFFFFFFF) >> 11
            pd = (h & 1) == 0
            relayed = ((h >> 1) & 3) == 0
            mac3 = bytes([(c >> 16) & 0xFF, (c >> 8) & 0xFF, c & 0xFF])
            xids = [(0x5EED00 + t * 2654435761) & 0xFFFFFF, (0x5EED00 + t * 2654435761 + 1) & 0xFFFFFF]
            iaid = struct.pack("!I", c + 1)
            addr = struct.pack("!I", 0x10000 + c)
            prefix = struct.pack("!H", c + 1)
            relay_id = struct.pack("!H", 1 + (h >> 3) % NRELAYS)
            for index, kind in enumerate(sequence):
                # SARR: SOLICIT and ADVERTISE share one xid, REQUEST and REPLY another.
                xid = (xids[1] if index >= 2 else xids[0]).to_bytes(3, "big")
                for template, where in templates[(kind, pd, relayed)]:
                    if i >= n:
                        break
                    b = bytearray(template)
                    for o in where["mac3"]:
                        b[o:o + 3] = mac3
                    for o in where["xid"]:
                        b[o:o + 3] = xid
                    for o in where["iaid"]:
                        b[o:o + 4] = iaid
                    for o in where["addr"]:
                        b[o:o + 4] = addr
                    for o in where["prefix"]:
                        b[o:o + 2] = prefix
                    for o in where["relay"]:
                        b[o:o + 2] = relay_id
                    usec += 997 if kind in ("solicit", "renew", "information-request", "release") else 13
                    pcap.add(usec, b)
                    i += 1
            t += 1
        pcap.flush()


if __name__ == "__main__":
    main()

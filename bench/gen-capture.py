#!/usr/bin/env python3
"""Write a large synthetic DHCPv4 capture (classic pcap, Ethernet, microsecond timestamps) for benchmarks.

usage: gen-capture.py OUT [N]        N = number of DHCP messages, default 1,000,000

Plain Python (struct only), no scapy.  A few dozen frame templates are built once; for every
packet a template is copied and xid, client MAC, client IP, hostname digits, relay address,
IP id and IP header checksum are patched in place.  The output is deterministic.

Traffic model
  * 50,000 distinct clients, MAC 06:00:00:xx:xx:xx, IP 198.18.1.0 + client index
    (all inside 198.18.0.0/15); server 198.18.0.1 (06:00:00:00:00:01).
  * Transactions: 90% DORA (DISCOVER, OFFER, REQUEST, ACK), 5% INFORM + ACK, 5% RELEASE.
  * One client in four sits behind one of four relay agents (giaddr 198.19.R.1, hops 1,
    option 82 with circuit-id, remote-id and link-selection, server<->relay on port 67).
  * Two option "flavours" per message type: a rich one (81 FQDN, 119 domain search with
    compression, 121 classless routes, 6, 3, 42 ...) and a lean one.
UDP checksums are 0 (allowed for IPv4); IPv4 header checksums are correct.
"""

import struct
import sys

from pcapfile import Writer

SERVER_MAC = bytes.fromhex("060000000001")
RELAY_MAC = bytes.fromhex("060000000002")
BCAST_MAC = b"\xff" * 6
SERVER_IP = bytes([198, 18, 0, 1])
ZERO_IP = b"\x00" * 4
BCAST_IP = b"\xff" * 4
NCLIENTS = 50000
NRELAYS = 4
BASE_TS = 1700000000

MAGIC = b"\x63\x82\x53\x63"

# Placeholder values written into templates; their positions are recorded as patch points.
PH_MAC = b"\xee" * 6
PH_IP = b"\xee" * 4
PH_GI = b"\xdd" * 4
PH_DIGITS = b"00000"


def ip_of(n):
    return bytes([198, 18 + ((n >> 16) & 1), (n >> 8) & 0xFF, n & 0xFF])


class Msg:
    """Builds a BOOTP message and remembers where placeholders landed."""

    def __init__(self, op, flags=0x8000, hops=0, ciaddr=ZERO_IP, yiaddr=ZERO_IP, giaddr=ZERO_IP):
        self.buf = bytearray(struct.pack("!BBBBIHH4s4s4s4s16s64s128s", op, 1, 6, hops, 0, 0, flags,
                                         ciaddr, yiaddr, ZERO_IP, giaddr, PH_MAC, b"", b""))
        self.buf += MAGIC
        self.marks = [("xid", 4), ("mac", 28)]
        if ciaddr == PH_IP:
            self.marks.append(("ip", 12))
        if yiaddr == PH_IP:
            self.marks.append(("ip", 16))
        if giaddr == PH_GI:
            self.marks.append(("gi", 24))

    def opt(self, code, *parts):
        """parts: bytes, or ('mac'|'ip'|'gi'|'digits', placeholder) tuples."""
        data = bytearray()
        marks = []
        for p in parts:
            if isinstance(p, tuple):
                marks.append((p[0], len(data)))
                data += p[1]
            else:
                data += p
        assert len(data) < 256
        start = len(self.buf) + 2
        self.buf += bytes([code, len(data)]) + data
        self.marks += [(k, start + o) for k, o in marks]
        return self

    def end(self, minlen=300):
        self.buf.append(255)
        if len(self.buf) < minlen:
            self.buf += b"\x00" * (minlen - len(self.buf))
        return self


def u8(v): return struct.pack("!B", v)
def u16(v): return struct.pack("!H", v)
def u32(v): return struct.pack("!I", v)


def dns_name(labels):
    return b"".join(u8(len(l)) + l for l in labels) + b"\x00"


SEARCH = (b"\x07example\x04test\x00" + b"\x04corp\xc0\x00" + b"\x03lab\xc0\x0d"
          + b"\x03eng\xc0\x00")                                # RFC 3397 with pointers
ROUTES = (u8(16) + bytes([198, 19]) + bytes([198, 18, 0, 2])   # RFC 3442
          + u8(20) + bytes([198, 18, 128]) + bytes([198, 18, 0, 2])
          + u8(0) + SERVER_IP)
PRL_RICH = bytes([1, 3, 6, 15, 12, 28, 42, 51, 54, 58, 59, 119, 121, 252])
PRL_LEAN = bytes([1, 3, 6, 15, 51, 54])


def relay_opt(m):
    return m.opt(82, b"\x01\x0d", b"ge-0/0/", ("digits", PH_DIGITS), b"\x00",   # circuit-id "ge-0/0/NNNNN\0"
                 b"\x02\x07\x00", ("mac", PH_MAC),                           # remote-id: 0 + MAC
                 b"\x05\x04", bytes([198, 18, 0, 0]))                        # link selection


def server_common(m, rich, lease=True):
    m.opt(54, SERVER_IP)
    if lease:
        m.opt(51, u32(86400)).opt(58, u32(43200)).opt(59, u32(75600))
    m.opt(1, bytes([255, 254, 0, 0])).opt(3, SERVER_IP).opt(6, bytes([198, 18, 0, 53, 198, 18, 0, 54]))
    m.opt(15, b"example.test")
    if rich:
        m.opt(42, bytes([198, 18, 0, 42])).opt(119, SEARCH).opt(121, ROUTES)
    return m


def bootp_msg(kind, rich, relayed):
    gi = PH_GI if relayed else ZERO_IP
    hops = 1 if relayed else 0
    if kind == "discover":
        m = Msg(1, hops=hops, giaddr=gi).opt(53, u8(1)).opt(61, b"\x01", ("mac", PH_MAC))
        if rich:
            m.opt(50, ("ip", PH_IP))
        m.opt(57, u16(1500)).opt(12, b"host-", ("digits", PH_DIGITS))
        m.opt(55, PRL_RICH if rich else PRL_LEAN)
        if rich:
            m.opt(60, b"dhcpcd-9.4.1:Linux-6.1.0:x86_64")
    elif kind == "offer" or kind == "ack":
        m = Msg(2, hops=hops, yiaddr=PH_IP, giaddr=gi).opt(53, u8(2 if kind == "offer" else 5))
        server_common(m, rich)
        if rich and kind == "ack":
            m.opt(81, b"\x05\xff\xff", dns_name([b"host-00000", b"example", b"test"]))
            m.marks.append(("digits", len(m.buf) - 19))        # the 5 digits inside the FQDN
    elif kind == "request":
        m = Msg(1, hops=hops, giaddr=gi).opt(53, u8(3)).opt(61, b"\x01", ("mac", PH_MAC))
        m.opt(50, ("ip", PH_IP)).opt(54, SERVER_IP).opt(12, b"host-", ("digits", PH_DIGITS))
        if rich:
            m.opt(81, b"\x05\x00\x00", dns_name([b"host-00000", b"example", b"test"]))
            m.marks.append(("digits", len(m.buf) - 19))
        m.opt(55, PRL_RICH if rich else PRL_LEAN)
    elif kind == "inform":
        m = Msg(1, flags=0, hops=hops, ciaddr=PH_IP, giaddr=gi).opt(53, u8(8))
        m.opt(61, b"\x01", ("mac", PH_MAC)).opt(12, b"host-", ("digits", PH_DIGITS)).opt(55, PRL_RICH)
    elif kind == "inform-ack":
        m = Msg(2, flags=0, hops=hops, ciaddr=PH_IP, giaddr=gi).opt(53, u8(5))
        server_common(m, True, lease=False)
    elif kind == "release":
        m = Msg(1, flags=0, hops=hops, ciaddr=PH_IP, giaddr=gi).opt(53, u8(7)).opt(54, SERVER_IP)
        m.opt(61, b"\x01", ("mac", PH_MAC))
    else:
        raise ValueError(kind)
    if relayed:
        relay_opt(m)
    return m.end()


CLIENT_SENDS = {"discover", "request", "inform", "release"}


def template(kind, rich, relayed):
    """Full Ethernet frame + list of (kind, absolute offset) patch points."""
    m = bootp_msg(kind, rich, relayed)
    from_client = kind in CLIENT_SENDS
    unicast = kind in ("inform", "inform-ack", "release")
    marks = []
    if relayed:
        if from_client:
            esrc, edst, sport, dport = RELAY_MAC, SERVER_MAC, 67, 67
            isrc, idst = PH_GI, SERVER_IP
        else:
            esrc, edst, sport, dport = SERVER_MAC, RELAY_MAC, 67, 67
            isrc, idst = SERVER_IP, PH_GI
    elif from_client:
        esrc, sport, dport = PH_MAC, 68, 67
        edst, isrc, idst = (SERVER_MAC, PH_IP, SERVER_IP) if unicast else (BCAST_MAC, ZERO_IP, BCAST_IP)
    else:
        esrc, sport, dport = SERVER_MAC, 67, 68
        edst, isrc, idst = (PH_MAC, SERVER_IP, PH_IP) if unicast else (BCAST_MAC, SERVER_IP, BCAST_IP)
    eth = edst + esrc + b"\x08\x00"
    for off, v in ((0, edst), (6, esrc)):
        if v == PH_MAC:
            marks.append(("mac", off))
    udp = struct.pack("!HHHH", sport, dport, 8 + len(m.buf), 0)
    iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + 8 + len(m.buf), 0, 0, 64, 17, 0, isrc, idst)
    for off, v in ((26, isrc), (30, idst)):
        if v == PH_IP:
            marks.append(("ip", off))
        elif v == PH_GI:
            marks.append(("gi", off))
    frame = bytearray(eth + iph + udp + m.buf)
    base = 14 + 20 + 8
    marks += [(k, base + o) for k, o in m.marks]
    return bytes(frame), marks


def main():
    if len(sys.argv) < 2 or len(sys.argv) > 3:
        sys.exit("usage: gen-capture.py OUT [N]")
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) == 3 else 1_000_000

    kinds = ["discover", "offer", "request", "ack", "inform", "inform-ack", "release"]
    tmpl = {}
    for k in kinds:
        for rich in (False, True):
            for relayed in (False, True):
                frame, marks = template(k, rich, relayed)
                # group patch offsets by kind for the hot loop
                g = {"xid": [], "mac": [], "ip": [], "gi": [], "digits": []}
                for kk, off in marks:
                    g[kk].append(off)
                tmpl[(k, rich, relayed)] = (frame, tuple(g["xid"]), tuple(g["mac"]), tuple(g["ip"]),
                                            tuple(g["gi"]), tuple(g["digits"]))

    seqs = {"dora": ("discover", "offer", "request", "ack"),
            "inform": ("inform", "inform-ack"),
            "release": ("release",)}

    pack_xid = struct.Struct("!I").pack_into
    pack_id_ck = struct.Struct("!H").pack_into
    unpack_iph = struct.Struct("!10H").unpack_from
    gi_addrs = [bytes([198, 19, r + 1, 1]) for r in range(NRELAYS)]

    with open(out, "wb", buffering=1 << 20) as f:
        pcap = Writer(f, BASE_TS)
        i = 0          # packet index
        t = 0          # transaction index
        usec_total = 0
        while i < n:
            c = (t * 7919) % NCLIENTS
            sel = (((t * 0x85EBCA6B) & 0xFFFFFFFF) >> 13) % 20       # decorrelate from c
            seq = seqs["inform" if sel == 19 else "release" if sel == 9 else "dora"]
            h = ((c * 0x9E3779B1) & 0xFFFFFFFF) >> 11                # per-client properties
            rich = (h & 1) == 0
            relayed = ((h >> 1) & 3) == 0
            xid = (0x5EED0000 + t * 2654435761) & 0xFFFFFFFF
            mac = b"\x06\x00\x00" + bytes([(c >> 16) & 0xFF, (c >> 8) & 0xFF, c & 0xFF])
            cip = ip_of(256 + c)
            gi = gi_addrs[(h >> 3) % NRELAYS]
            digits = b"%05d" % c
            for kind in seq:
                if i >= n:
                    break
                frame, xo, mo, io, go, do = tmpl[(kind, rich, relayed)]
                b = bytearray(frame)
                for o in xo:
                    pack_xid(b, o, xid)
                for o in mo:
                    b[o:o + 6] = mac
                for o in io:
                    b[o:o + 4] = cip
                for o in go:
                    b[o:o + 4] = gi
                for o in do:
                    b[o:o + 5] = digits
                pack_id_ck(b, 18, i & 0xFFFF)
                s = sum(unpack_iph(b, 14))
                s = (s & 0xFFFF) + (s >> 16)
                s = (s & 0xFFFF) + (s >> 16)
                pack_id_ck(b, 24, ~s & 0xFFFF)
                usec_total += 997 if kind in ("discover", "inform", "release") else 13
                pcap.add(usec_total, b)
                i += 1
            t += 1
        pcap.flush()


if __name__ == "__main__":
    main()

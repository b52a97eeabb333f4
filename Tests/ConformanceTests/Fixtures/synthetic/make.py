#!/usr/bin/python3
"""Generate the synthetic DHCP captures in this folder, plus a TShark reference for each.

Run with Debian's python3 (it has scapy):   /usr/bin/python3 make.py

Everything is deterministic: fixed timestamps, fixed MACs (06:00:00:00:00:xx, locally
administered), IPv4 addresses only from 198.18.0.0/15 (RFC 2544 benchmarking range) and
IPv6 addresses only from fe80::/10 and 2001:db8::/32.  The DHCP (BOOTP) payloads are built
by hand with struct so every byte is under our control; scapy is only used for the
Ethernet/VLAN/IPv4/IPv6/UDP/ICMP/DHCPv6 layers and for IPv4 fragmentation.  Capture files
(pcap and pcapng) are written by hand with struct, so link type, byte order and timestamp
resolution are exactly as named.

Nothing is ever sent on a network interface.
"""

import os
import struct
import subprocess
import sys

from scapy.all import (Ether, Dot1Q, Dot1AD, IP, IPv6, UDP, ICMP, Raw, raw,
                       fragment, IPOption_Router_Alert)
from scapy.layers.dhcp6 import (DHCP6_Solicit, DHCP6_Advertise, DHCP6OptClientId,
                                DHCP6OptServerId, DHCP6OptElapsedTime, DHCP6OptIA_NA,
                                DHCP6OptIAAddress, DHCP6OptOptReq, DUID_LLT, DUID_LL)

HERE = os.path.dirname(os.path.abspath(__file__))

# ---------------------------------------------------------------------------
# Addresses
# ---------------------------------------------------------------------------
SERVER_MAC = "06:00:00:00:00:01"
RELAY_MAC = "06:00:00:00:00:02"
BCAST_MAC = "ff:ff:ff:ff:ff:ff"
SERVER_IP = "198.18.0.1"
RELAY_IP = "198.19.1.1"          # giaddr on relayed messages (other half of the /15)
DNS1, DNS2 = "198.18.0.53", "198.18.0.54"
NETMASK = "255.255.255.0"
BCAST_IP = "198.18.0.255"


def client_mac(n):
    return "06:00:00:00:01:%02x" % n


def client_ip(n):
    return "198.18.0.%d" % (100 + n)


def mac_bytes(m):
    return bytes(int(x, 16) for x in m.split(":"))


def ip4(a):
    return bytes(int(x) for x in a.split("."))


BASE_TS = 1700000000             # 2023-11-14T22:13:20Z

# ---------------------------------------------------------------------------
# DHCP option encoding
# ---------------------------------------------------------------------------
def u8(v): return struct.pack("!B", v)
def u16(v): return struct.pack("!H", v)
def u32(v): return struct.pack("!I", v)
def i32(v): return struct.pack("!i", v)
def ips(*a): return b"".join(ip4(x) for x in a)


def dns_name(name):
    """Uncompressed DNS wire-format name."""
    out = b""
    for label in name.strip(".").split("."):
        out += u8(len(label)) + label.encode()
    return out + b"\x00"


def opt(code, data):
    """One option; values longer than 255 are split into several instances (RFC 3396)."""
    if code in (0, 255):
        return u8(code)
    out = b""
    if len(data) == 0:
        return u8(code) + b"\x00"
    while data:
        chunk, data = data[:255], data[255:]
        out += u8(code) + u8(len(chunk)) + chunk
    return out


def opts(*pairs, end=True):
    out = b"".join(opt(c, d) for c, d in pairs)
    if end:
        out += b"\xff"
    return out


MAGIC = b"\x63\x82\x53\x63"


def bootp(op, xid, chaddr, options, ciaddr="0.0.0.0", yiaddr="0.0.0.0",
          siaddr="0.0.0.0", giaddr="0.0.0.0", flags=0, secs=0, hops=0,
          sname=b"", file=b"", minlen=300):
    """BOOTP/DHCP message.  `options` is the raw bytes after the magic cookie."""
    hdr = struct.pack("!BBBBIHH4s4s4s4s16s64s128s",
                      op, 1, 6, hops, xid, secs, flags,
                      ip4(ciaddr), ip4(yiaddr), ip4(siaddr), ip4(giaddr),
                      mac_bytes(chaddr), sname, file)
    msg = hdr + MAGIC + options
    if len(msg) < minlen:
        msg += b"\x00" * (minlen - len(msg))
    return msg


PRL = bytes([1, 3, 6, 15, 12, 28, 42, 51, 54, 58, 59, 119, 121, 252])


def client_opts(mtype, n, requested=None, server=False, extra=()):
    mac = client_mac(n)
    pairs = [(53, u8(mtype)), (61, b"\x01" + mac_bytes(mac))]
    if requested:
        pairs.append((50, ip4(requested)))
    if server:
        pairs.append((54, ip4(SERVER_IP)))
    pairs += [(57, u16(1500)), (12, ("host-%d" % n).encode()), (55, PRL)]
    pairs += list(extra)
    return opts(*pairs)


def server_opts(mtype, extra=()):
    pairs = [(53, u8(mtype)), (54, ip4(SERVER_IP)), (51, u32(86400)),
             (58, u32(43200)), (59, u32(75600)), (1, ip4(NETMASK)),
             (28, ip4(BCAST_IP)), (3, ip4(SERVER_IP)), (6, ips(DNS1, DNS2)),
             (15, b"example.test")]
    pairs += list(extra)
    return opts(*pairs)


def dora_payloads(n, xid):
    """The four BOOTP payloads of a DORA exchange for client n."""
    mac, cip = client_mac(n), client_ip(n)
    return [
        ("c2s", bootp(1, xid, mac, client_opts(1, n, requested=cip), flags=0x8000)),
        ("s2c", bootp(2, xid, mac, server_opts(2), yiaddr=cip, siaddr=SERVER_IP, flags=0x8000)),
        ("c2s", bootp(1, xid, mac, client_opts(3, n, requested=cip, server=True), flags=0x8000, secs=1)),
        ("s2c", bootp(2, xid, mac, server_opts(5), yiaddr=cip, siaddr=SERVER_IP, flags=0x8000)),
    ]


def ip_udp(direction, payload, n=0, ipid=0, **ipkw):
    """IPv4/UDP around a BOOTP payload.  Broadcast flag set, so replies go to 255.255.255.255."""
    if direction == "c2s":
        p = IP(src="0.0.0.0", dst="255.255.255.255", id=ipid, ttl=64, **ipkw) / UDP(sport=68, dport=67)
    elif direction == "s2c":
        p = IP(src=SERVER_IP, dst="255.255.255.255", id=ipid, ttl=64, **ipkw) / UDP(sport=67, dport=68)
    else:
        raise ValueError(direction)
    return raw(p / Raw(payload))


def eth(direction, n, l3, **kw):
    if direction == "c2s":
        src, dst = client_mac(n), BCAST_MAC
    else:
        src, dst = SERVER_MAC, BCAST_MAC
    return Ether(src=src, dst=dst, **kw)


def dora_ip(n, xid):
    return [(d, ip_udp(d, p, ipid=i + 1)) for i, (d, p) in enumerate(dora_payloads(n, xid))]


# ---------------------------------------------------------------------------
# Capture file writers
# ---------------------------------------------------------------------------
LINKTYPE_NULL, LINKTYPE_ETHERNET, LINKTYPE_RAW = 0, 1, 101
LINKTYPE_LOOP, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2 = 108, 113, 276


def ts(i, frac_us=None):
    """Timestamp of the i-th packet: (seconds, microseconds, nanoseconds)."""
    sec = BASE_TS + i
    usec = 123456 + i * 1000 if frac_us is None else frac_us
    nsec = 123456789 + i * 1000
    return sec, usec, nsec


def write_pcap(name, linktype, frames, nano=False, endian="<", snaplen=65535):
    """frames: list of bytes (timestamps from ts()) or of (sec, frac, bytes)."""
    path = os.path.join(HERE, name)
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    with open(path, "wb") as f:
        f.write(struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype))
        for i, fr in enumerate(frames):
            if isinstance(fr, tuple):
                sec, frac, data = fr
            else:
                sec, usec, nsec = ts(i)
                frac = nsec if nano else usec
                data = fr
            f.write(struct.pack(endian + "IIII", sec, frac, len(data), len(data)))
            f.write(data)
    return path


# pcapng ---------------------------------------------------------------------
def pad4(b):
    return b + b"\x00" * (-len(b) % 4)


def ng_opt(e, code, value):
    return struct.pack(e + "HH", code, len(value)) + pad4(value)


def ng_opts(e, items):
    if not items:
        return b""
    return b"".join(ng_opt(e, c, v) for c, v in items) + struct.pack(e + "HH", 0, 0)


def ng_block(e, btype, body):
    body = pad4(body)
    total = len(body) + 12
    return struct.pack(e + "II", btype, total) + body + struct.pack(e + "I", total)


def ng_shb(e, options=()):
    body = struct.pack(e + "IHHq", 0x1A2B3C4D, 1, 0, -1) + ng_opts(e, options)
    return ng_block(e, 0x0A0D0D0A, body)


def ng_idb(e, linktype, snaplen=0, options=()):
    return ng_block(e, 0x00000001, struct.pack(e + "HHI", linktype, 0, snaplen) + ng_opts(e, options))


def ng_epb(e, ifid, tsval, data, options=()):
    body = struct.pack(e + "IIIII", ifid, tsval >> 32, tsval & 0xFFFFFFFF, len(data), len(data))
    body += pad4(data) + ng_opts(e, options)
    return ng_block(e, 0x00000006, body)


def ng_spb(e, data):
    return ng_block(e, 0x00000003, struct.pack(e + "I", len(data)) + pad4(data))


def ng_custom(e, data, pen=32473, btype=0x00000BAD):
    # Custom Block: Private Enterprise Number then custom data.  32473 = RFC 5612 example PEN.
    return ng_block(e, btype, struct.pack(e + "I", pen) + data)


# ---------------------------------------------------------------------------
# Link-layer helpers
# ---------------------------------------------------------------------------
def sll(pkttype, mac, l3, proto=0x0800):
    addr = mac_bytes(mac) + b"\x00\x00"
    return struct.pack("!HHH8sH", pkttype, 1, 6, addr, proto) + l3


def sll2(pkttype, mac, l3, ifindex=2, proto=0x0800):
    addr = mac_bytes(mac) + b"\x00\x00"
    return struct.pack("!HHIHBB8s", proto, 0, ifindex, 1, pkttype, 6, addr) + l3


# SLL packet types, as seen on the server (198.18.0.1) capturing on its own interface.
PACKET_BROADCAST, PACKET_OUTGOING = 1, 4


# ---------------------------------------------------------------------------
# The files
# ---------------------------------------------------------------------------
def make_vlan():
    frames = []
    for d, l3 in dora_ip(0, 0x10000001):
        frames.append(raw(eth(d, 0, l3) / Dot1Q(vlan=100, prio=0) / IP(l3)))
    return write_pcap("vlan-8021q.pcap", LINKTYPE_ETHERNET, frames)


def make_qinq():
    frames = []
    for d, l3 in dora_ip(1, 0x10000002)[:2]:
        frames.append(raw(eth(d, 1, l3, type=0x88A8) / Dot1AD(vlan=200) / Dot1Q(vlan=300) / IP(l3)))
    return write_pcap("qinq-8021ad.pcap", LINKTYPE_ETHERNET, frames)


def make_sll():
    f1, f2 = [], []
    for d, l3 in dora_ip(2, 0x10000003):
        if d == "c2s":
            f1.append(sll(PACKET_BROADCAST, client_mac(2), l3))
            f2.append(sll2(PACKET_BROADCAST, client_mac(2), l3))
        else:
            f1.append(sll(PACKET_OUTGOING, SERVER_MAC, l3))
            f2.append(sll2(PACKET_OUTGOING, SERVER_MAC, l3))
    return [write_pcap("linux-sll.pcap", LINKTYPE_LINUX_SLL, f1),
            write_pcap("linux-sll2.pcap", LINKTYPE_LINUX_SLL2, f2)]


def ether_dora(n, xid):
    return [raw(eth(d, n, l3) / IP(l3)) for d, l3 in dora_ip(n, xid)]


def make_nano():
    return write_pcap("nanosecond.pcap", LINKTYPE_ETHERNET, ether_dora(3, 0x10000004), nano=True)


def make_big_endian():
    return write_pcap("big-endian.pcap", LINKTYPE_ETHERNET, ether_dora(4, 0x10000005), endian=">")


def make_null_loop():
    l3s = [l3 for _, l3 in dora_ip(5, 0x10000006)]
    a = write_pcap("null-loopback.pcap", LINKTYPE_NULL, [struct.pack("<I", 2) + l3 for l3 in l3s])
    l3s = [l3 for _, l3 in dora_ip(6, 0x10000007)]
    b = write_pcap("loop.pcap", LINKTYPE_LOOP, [struct.pack(">I", 2) + l3 for l3 in l3s])
    return [a, b]


def make_raw():
    l3s = [l3 for _, l3 in dora_ip(7, 0x10000008)]
    return write_pcap("raw-ipv4.pcap", LINKTYPE_RAW, l3s)


def make_pcapng():
    out = []
    for name, e in (("multi-interface.pcapng", "<"), ("big-endian.pcapng", ">")):
        frames = ether_dora(8 if e == "<" else 9, 0x10000009 if e == "<" else 0x1000000A)
        blocks = ng_shb(e, [(4, b"dhcpscope synthetic/make.py"),          # shb_userappl
                            (1, b"synthetic test capture")])               # opt_comment
        blocks += ng_idb(e, LINKTYPE_ETHERNET, 0, [(2, b"eth0")])          # if 0: usec (default)
        if e == "<":
            blocks += ng_idb(e, LINKTYPE_ETHERNET, 0, [(2, b"eth1"), (9, b"\x09")])   # if 1: nsec
            sec, usec, nsec = ts(0)
            blocks += ng_epb(e, 0, sec * 1000000 + usec, frames[0],
                             [(1, b"DISCOVER on if 0 (usec)")])
            blocks += ng_custom(e, b"readers must skip this block")
            sec, usec, nsec = ts(1)
            blocks += ng_epb(e, 1, sec * 1000000000 + nsec, frames[1])      # OFFER on if 1 (nsec)
            blocks += ng_spb(e, frames[2])                                 # REQUEST: Simple Packet Block, if 0
            sec, usec, nsec = ts(3)
            blocks += ng_epb(e, 1, sec * 1000000000 + nsec, frames[3])      # ACK on if 1 (nsec)
        else:
            for i, fr in enumerate(frames):
                sec, usec, nsec = ts(i)
                blocks += ng_epb(e, 0, sec * 1000000 + usec, fr)
        path = os.path.join(HERE, name)
        with open(path, "wb") as f:
            f.write(blocks)
        out.append(path)
    return out


def make_ip_options():
    n, xid = 10, 0x1000000B
    payload = bootp(1, xid, client_mac(n), client_opts(1, n), flags=0x8000)
    l3 = raw(IP(src="0.0.0.0", dst="255.255.255.255", id=1, ttl=1,
                options=[IPOption_Router_Alert()]) / UDP(sport=68, dport=67) / Raw(payload))
    assert l3[0] == 0x46, hex(l3[0])
    return write_pcap("ip-options.pcap", LINKTYPE_ETHERNET, [raw(Ether(src=client_mac(n), dst=BCAST_MAC) / IP(l3))])


def domain_search(names):
    """RFC 3397 option 119 value with DNS compression pointers (offsets from option data start)."""
    out = b""
    known = {}            # suffix -> offset
    for name in names:
        labels = name.strip(".").split(".")
        for i in range(len(labels)):
            suffix = ".".join(labels[i:])
            if suffix in known:
                out += struct.pack("!H", 0xC000 | known[suffix])
                break
            known[suffix] = len(out)
            out += u8(len(labels[i])) + labels[i].encode()
        else:
            out += b"\x00"
    return out


def classless_routes(routes):
    """RFC 3442 option 121: [(prefix, width, router)]."""
    out = b""
    for prefix, width, router in routes:
        sig = (width + 7) // 8
        out += u8(width) + ip4(prefix)[:sig] + ip4(router)
    return out


def make_fragmented():
    n, xid = 11, 0x1000000C
    mac, cip = client_mac(n), client_ip(n)
    disc = bootp(1, xid, mac, client_opts(1, n), flags=0x8000)
    search = domain_search(["example.test", "corp.example.test", "lab.corp.example.test",
                            "eng.example.test", "ops.example.test", "build.eng.example.test"]
                           + ["zone%02d.example.test" % i for i in range(20)])
    routes = classless_routes([("198.19.%d.0" % i, 24, SERVER_IP) for i in range(28)]
                              + [("198.18.128.0", 17, SERVER_IP), ("0.0.0.0", 0, SERVER_IP)])
    ack = bootp(2, xid, mac, server_opts(5, [(119, search), (121, routes)]),
                yiaddr=cip, siaddr=SERVER_IP, flags=0x8000)
    assert len(ack) > 600, len(ack)
    full = IP(raw(IP(src=SERVER_IP, dst="255.255.255.255", id=0x4242, ttl=64, flags=0)
                  / UDP(sport=67, dport=68) / Raw(ack)))
    frags = fragment(full, fragsize=512)
    assert len(frags) == 2, len(frags)
    frames = [raw(Ether(src=mac, dst=BCAST_MAC) / IP(ip_udp("c2s", disc, ipid=1)))]
    frames += [raw(Ether(src=SERVER_MAC, dst=BCAST_MAC) / fr) for fr in frags]
    return write_pcap("fragmented.pcap", LINKTYPE_ETHERNET, frames)


def make_icmp_quote():
    n, xid = 12, 0x1000000D
    mac, cip = client_mac(n), client_ip(n)
    disc = bootp(1, xid, mac, client_opts(1, n), flags=0)
    # A unicast OFFER to a client that has no socket on port 68 yet ...
    offer = bootp(2, xid, mac, server_opts(2), yiaddr=cip, siaddr=SERVER_IP, flags=0)
    offer_l3 = raw(IP(src=SERVER_IP, dst=cip, id=2, ttl=64) / UDP(sport=67, dport=68) / Raw(offer))
    # ... which answers with ICMP port unreachable, quoting the whole offending datagram.
    icmp = IP(src=cip, dst=SERVER_IP, id=3, ttl=64) / ICMP(type=3, code=3) / Raw(offer_l3)
    frames = [
        raw(Ether(src=mac, dst=BCAST_MAC) / IP(ip_udp("c2s", disc, ipid=1))),
        raw(Ether(src=mac, dst=SERVER_MAC) / icmp),
    ]
    return write_pcap("icmp-quote.pcap", LINKTYPE_ETHERNET, frames)


def make_dhcpv6():
    cmac, smac = "06:00:00:00:01:0d", SERVER_MAC
    cll, sll_ = "fe80::400:ff:fe00:10d", "fe80::400:ff:fe00:1"
    duid_c = DUID_LLT(lladdr=cmac, timeval=700000000)
    duid_s = DUID_LL(lladdr=smac)
    sol = (Ether(src=cmac, dst="33:33:00:01:00:02") / IPv6(src=cll, dst="ff02::1:2", hlim=1)
           / UDP(sport=546, dport=547)
           / DHCP6_Solicit(trid=0x0A0B0C)
           / DHCP6OptClientId(duid=duid_c) / DHCP6OptElapsedTime(elapsedtime=0)
           / DHCP6OptOptReq(reqopts=[23, 24])
           / DHCP6OptIA_NA(iaid=0x0D, T1=0, T2=0))
    adv = (Ether(src=smac, dst=cmac) / IPv6(src=sll_, dst=cll, hlim=255)
           / UDP(sport=547, dport=546)
           / DHCP6_Advertise(trid=0x0A0B0C)
           / DHCP6OptServerId(duid=duid_s) / DHCP6OptClientId(duid=duid_c)
           / DHCP6OptIA_NA(iaid=0x0D, T1=3600, T2=5400,
                           ianaopts=[DHCP6OptIAAddress(addr="2001:db8::10d", preflft=7200, validlft=10800)]))
    n, xid = 13, 0x1000000E
    disc = bootp(1, xid, client_mac(n), client_opts(1, n), flags=0x8000)
    v4 = Ether(src=client_mac(n), dst=BCAST_MAC) / IP(ip_udp("c2s", disc, ipid=1))
    return write_pcap("dhcpv6.pcap", LINKTYPE_ETHERNET, [raw(sol), raw(adv), raw(v4)])


def relay_info(*subs):
    return b"".join(u8(c) + u8(len(v)) + v for c, v in subs)


def make_long_options():
    frames = []
    # 1. Relayed OFFER whose option 82 is split into two instances in the middle of a sub-option.
    n, xid = 14, 0x1000000F
    mac, cip = client_mac(n), client_ip(n)
    ri = relay_info((1, b"ge-0/0/14.100:vlan100"), (2, b"remote-id-0600000001" + b"0e"),
                    (5, ip4("198.18.0.0")))
    cut = 10
    o = server_opts(2)[:-1] + u8(82) + u8(cut) + ri[:cut] + u8(82) + u8(len(ri) - cut) + ri[cut:] + b"\xff"
    p = bootp(2, xid, mac, o, yiaddr=cip, siaddr=SERVER_IP, giaddr=RELAY_IP, hops=1)
    frames.append(raw(Ether(src=SERVER_MAC, dst=RELAY_MAC) / IP(src=SERVER_IP, dst=RELAY_IP, id=1)
                      / UDP(sport=67, dport=67) / Raw(p)))
    # 2. OFFER with option 119 longer than 255 bytes, so it is carried as two instances (255 + rest).
    n, xid = 15, 0x10000010
    mac, cip = client_mac(n), client_ip(n)
    search = domain_search(["site%02d.region-%d.example.test" % (i, i % 3) for i in range(30)])
    assert len(search) > 255, len(search)
    p = bootp(2, xid, mac, server_opts(2, [(119, search)]), yiaddr=cip, siaddr=SERVER_IP, flags=0x8000)
    frames.append(raw(Ether(src=SERVER_MAC, dst=BCAST_MAC) / IP(ip_udp("s2c", p, ipid=2))))
    # 3. OFFER with option 52 overload = 3: options continue in 'file', then in 'sname'.
    n, xid = 16, 0x10000011
    mac, cip = client_mac(n), client_ip(n)
    main = opts((53, u8(2)), (52, u8(3)), (54, ip4(SERVER_IP)), (51, u32(86400)))
    filef = opts((1, ip4(NETMASK)), (3, ip4(SERVER_IP)), (6, ips(DNS1, DNS2)),
                 (15, b"overload.example.test"))
    snamef = opts((58, u32(43200)), (59, u32(75600)), (12, b"overloaded-host"))
    assert len(filef) <= 128 and len(snamef) <= 64
    p = bootp(2, xid, mac, main, yiaddr=cip, siaddr=SERVER_IP, flags=0x8000,
              sname=snamef, file=filef)
    frames.append(raw(Ether(src=SERVER_MAC, dst=BCAST_MAC) / IP(ip_udp("s2c", p, ipid=3))))
    return write_pcap("long-options.pcap", LINKTYPE_ETHERNET, frames)


def make_all_options():
    frames = []
    n = 17
    mac, cip = client_mac(n), client_ip(n)
    # 1. Client REQUEST with the client-side options: 50, 55, 57, 60, 61, 77, 81, 93, 94, 97, 116, 118, 124.
    xid = 0x10000012
    user_class = b"".join(u8(len(x)) + x for x in (b"lab-class", b"dhcpscope"))      # RFC 3004
    fqdn = u8(0x05) + b"\x00\x00" + dns_name("host-17.example.test")              # S|E, wire format
    vivc = u32(3561) + u8(len(b"\x06ABC-01\x05modem")) + b"\x06ABC-01\x05modem"   # RFC 3925
    req = opts((53, u8(3)), (50, ip4(cip)), (54, ip4(SERVER_IP)), (61, b"\x01" + mac_bytes(mac)),
               (57, u16(1500)), (12, b"host-17"), (60, b"PXEClient:Arch:00007:UNDI:003016"),
               (77, user_class), (81, fqdn), (93, u16(7)), (94, b"\x01\x03\x10"),
               (97, b"\x00" + bytes(range(0x10, 0x20))), (116, u8(1)), (118, ip4("198.18.0.0")),
               (124, vivc),
               (55, bytes(list(range(1, 50)) + [66, 67, 119, 121, 150, 252])))
    frames.append(raw(Ether(src=mac, dst=BCAST_MAC)
                      / IP(ip_udp("c2s", bootp(1, xid, mac, req, flags=0x8000, secs=3), ipid=1))))
    # 2. Relayed ACK (server -> relay) with options 1..76 that make sense in an ACK, plus 81, 82, 119, 121, 125, 150, 252.
    s = [
        (53, u8(5)), (54, ip4(SERVER_IP)), (51, u32(86400)), (58, u32(43200)), (59, u32(75600)),
        (1, ip4(NETMASK)), (2, i32(-18000)), (3, ips(SERVER_IP, "198.18.0.2")),
        (4, ip4("198.18.0.4")), (5, ip4("198.18.0.5")), (6, ips(DNS1, DNS2)), (7, ip4("198.18.0.7")),
        (8, ip4("198.18.0.8")), (9, ip4("198.18.0.9")), (10, ip4("198.18.0.10")), (11, ip4("198.18.0.11")),
        (12, b"host-17"), (13, u16(128)), (14, b"/var/dump/host-17"), (15, b"example.test"),
        (16, ip4("198.18.0.16")), (17, b"/export/root/host-17"), (18, b"/export/ext"),
        (19, u8(0)), (20, u8(0)), (21, ips("198.18.0.0", "255.255.0.0")), (22, u16(1500)),
        (23, u8(64)), (24, u32(600)), (25, u16(68) + u16(296) + u16(508) + u16(1006) + u16(1492)),
        (26, u16(1500)), (27, u8(1)), (28, ip4(BCAST_IP)), (29, u8(0)), (30, u8(0)), (31, u8(1)),
        (32, ip4("198.18.0.32")), (33, ips("198.19.33.0", SERVER_IP)), (34, u8(0)), (35, u32(60)),
        (36, u8(0)), (37, u8(64)), (38, u32(7200)), (39, u8(1)), (40, b"nis.example.test"),
        (41, ip4("198.18.0.41")), (42, ips("198.18.0.42", "198.18.0.43")),
        (43, b"\x01\x04\xc6\x12\x00\x2b\x02\x03abc"), (44, ip4("198.18.0.44")), (45, ip4("198.18.0.45")),
        (46, u8(8)), (47, b"scope.example.test"), (48, ip4("198.18.0.48")), (49, ip4("198.18.0.49")),
        (56, b"lease granted"), (60, b"dhcpscope-server"),
        (62, b"nwip.example.test"), (63, b"\x05\x01\x01"), (64, b"nisplus.example.test"),
        (65, ip4("198.18.0.65")), (66, b"tftp.example.test"), (67, b"pxelinux.0"), (68, b""),
        (69, ip4("198.18.0.69")), (70, ip4("198.18.0.70")), (71, ip4("198.18.0.71")),
        (72, ip4("198.18.0.72")), (73, ip4("198.18.0.73")), (74, ip4("198.18.0.74")),
        (75, ip4("198.18.0.75")), (76, ip4("198.18.0.76")),
        (81, u8(0x05) + b"\xff\xff" + dns_name("host-17.example.test")),
        (116, u8(1)),
        (119, domain_search(["example.test", "corp.example.test", "lab.corp.example.test"])),
        (121, classless_routes([("198.19.0.0", 16, "198.18.0.2"), ("198.18.128.0", 20, "198.18.0.2"),
                                ("0.0.0.0", 0, SERVER_IP)])),
        (125, u32(3561) + u8(14) + b"\x01\x04ABCD" + b"\x02\x06serial"),
        (150, ips("198.18.0.150", "198.18.0.151")),
        (252, b"http://wpad.example.test/wpad.dat"),
        (82, relay_info((1, b"eth1/1/17:100"), (2, mac_bytes(mac)), (5, ip4("198.18.0.0")),
                        (9, u32(3561) + u8(8) + b"\x01\x06abcdef"), (11, ip4(RELAY_IP)),
                        (151, b"\x00vpn-blue"), (152, b""))),
    ]
    ack = bootp(2, xid, mac, opts(*s), yiaddr=cip, siaddr=SERVER_IP, giaddr=RELAY_IP, hops=1,
                flags=0x8000)
    frames.append(raw(Ether(src=SERVER_MAC, dst=RELAY_MAC) / IP(src=SERVER_IP, dst=RELAY_IP, id=2)
                      / UDP(sport=67, dport=67) / Raw(ack)))
    # 3. RFC 4388 DHCPLEASEQUERY (type 10) from the relay, by IP address (ciaddr).
    xid = 0x10000013
    lq = bootp(1, xid, "00:00:00:00:00:00", opts((53, u8(10)), (55, bytes([51, 61, 82, 91, 92]))),
               ciaddr=cip, giaddr=RELAY_IP)
    # RFC 4388 6.1: query by IP address -> htype, hlen and chaddr are zero.
    lq = lq[:28] + b"\x00" * 16 + lq[44:]
    lq = lq[:1] + b"\x00\x00" + lq[3:]
    frames.append(raw(Ether(src=RELAY_MAC, dst=SERVER_MAC) / IP(src=RELAY_IP, dst=SERVER_IP, id=3)
                      / UDP(sport=67, dport=67) / Raw(lq)))
    # 4. DHCPLEASEACTIVE (type 13) answer with 91 (client last transaction time) and 92 (associated IPs).
    la = bootp(2, xid, mac, opts((53, u8(13)), (54, ip4(SERVER_IP)), (51, u32(80000)),
                                 (61, b"\x01" + mac_bytes(mac)), (91, u32(6400)),
                                 (92, ips(cip, "198.18.0.200")),
                                 (82, relay_info((1, b"eth1/1/17:100"), (2, mac_bytes(mac))))),
               ciaddr=cip, giaddr=RELAY_IP)
    frames.append(raw(Ether(src=SERVER_MAC, dst=RELAY_MAC) / IP(src=SERVER_IP, dst=RELAY_IP, id=4)
                      / UDP(sport=67, dport=67) / Raw(la)))
    return write_pcap("all-options.pcap", LINKTYPE_ETHERNET, frames)


MAKERS = [make_vlan, make_qinq, make_sll, make_nano, make_big_endian, make_null_loop, make_raw,
          make_pcapng, make_ip_options, make_fragmented, make_icmp_quote, make_dhcpv6,
          make_long_options, make_all_options]


def main():
    paths = []
    for m in MAKERS:
        r = m()
        paths += r if isinstance(r, list) else [r]
    env = dict(os.environ, TZ="UTC", LC_ALL="C")
    for p in paths:
        with open(p + ".tshark.json", "wb") as out:
            subprocess.run(["tshark", "-r", p, "-Y", "dhcp || dhcpv6", "-T", "json"],
                           stdout=out, stderr=subprocess.DEVNULL, check=True, env=env)
        print("%-28s %6d bytes" % (os.path.basename(p), os.path.getsize(p)))


if __name__ == "__main__":
    main()

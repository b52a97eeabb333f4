#!/usr/bin/env python3
"""Makes two-servers.pcap: two DHCP servers answer one client, a second client is served through a relay.

Synthetic, deterministic, no dependencies: Ethernet/IPv4/UDP and the DHCP payloads are built byte by byte.
Addresses follow Tests/ConformanceTests/Fixtures/synthetic/README.md: 198.18.0.0/15, MACs 06:00:00:...

  1-5   client 06:00:00:00:01:01 (hostname `lab "pc", 1`, client-id 01:06:00:00:00:01:01) broadcasts DISCOVER;
        server A 198.18.0.1 offers 198.18.0.100 (lease 3600, T1 1800, T2 3150, router, 2 DNS, domain),
        server B 198.18.0.2 offers 198.18.0.200 (lease 600); the client REQUESTs A's offer and A ACKs it.
  6-13  client 06:00:00:00:01:02 through relay 198.19.1.1: both legs of DISCOVER, OFFER, REQUEST, ACK;
        A grants 198.19.1.50 with an infinite lease (0xffffffff).
  14    the second client RELEASEs 198.19.1.50 to A, unicast.
"""
import os
import struct

here = os.path.dirname(os.path.abspath(__file__))
BASE = 1700000000  # 2023-11-14T22:13:20Z

SERVER_A = ("198.18.0.1", "06:00:00:00:00:01")
SERVER_B = ("198.18.0.2", "06:00:00:00:00:03")
RELAY = ("198.19.1.1", "06:00:00:00:00:02")
CLIENT1 = "06:00:00:00:01:01"
CLIENT2 = "06:00:00:00:01:02"
BROADCAST = ("255.255.255.255", "ff:ff:ff:ff:ff:ff")
ZERO = "0.0.0.0"


def ip(text):
    return bytes(int(part) for part in text.split("."))


def mac(text):
    return bytes(int(part, 16) for part in text.split(":"))


def option(code, data):
    return bytes([code, len(data)]) + data


def dhcp(op, xid, chaddr, msgtype, options, yiaddr=ZERO, ciaddr=ZERO, giaddr=ZERO, hops=0, flags=0):
    header = struct.pack("!BBBBIHH", op, 1, 6, hops, xid, 0, flags)
    header += ip(ciaddr) + ip(yiaddr) + ip(ZERO) + ip(giaddr)
    header += mac(chaddr) + bytes(10) + bytes(64) + bytes(128)
    body = b"\x63\x82\x53\x63" + option(53, bytes([msgtype])) + b"".join(options) + b"\xff"
    return header + body


def checksum(data):
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def frame(src, dst, sport, dport, payload):
    (src_ip, src_mac), (dst_ip, dst_mac) = src, dst
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, ip(src_ip), ip(dst_ip))
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return mac(dst_mac) + mac(src_mac) + b"\x08\x00" + header + udp


client_id = option(61, bytes([1]) + mac(CLIENT1))
hostname = option(12, b'lab "pc", 1')
prl = option(55, bytes([1, 3, 6, 15]))


def server_options(server, lease, t1=None, t2=None, extra=True):
    options = [option(54, ip(server)), option(51, struct.pack("!I", lease))]
    if t1 is not None:
        options += [option(58, struct.pack("!I", t1)), option(59, struct.pack("!I", t2))]
    if extra:
        options += [option(1, ip("255.255.255.0")), option(3, ip(server)),
                    option(6, ip("198.18.0.53") + ip("198.18.0.54")), option(15, b"example.test")]
    return options


X1, X2 = 0x11110001, 0x22220001
C1 = (ZERO, CLIENT1)
C2 = (ZERO, CLIENT2)
relay_prl = option(55, bytes([1, 3, 6]))
offer_a = server_options(SERVER_A[0], 3600, 1800, 3150)
offer_b = server_options(SERVER_B[0], 600)
relayed = server_options(SERVER_A[0], 0xFFFFFFFF, extra=False) + [option(1, ip("255.255.255.0")), option(3, ip(RELAY[0])),
                                                                    option(6, ip("198.18.0.53"))]
packets = [
    (0.000, frame(C1, BROADCAST, 68, 67, dhcp(1, X1, CLIENT1, 1, [client_id, hostname, prl]))),
    (0.010, frame(SERVER_A, BROADCAST, 67, 68, dhcp(2, X1, CLIENT1, 2, offer_a, yiaddr="198.18.0.100"))),
    (0.020, frame(SERVER_B, BROADCAST, 67, 68, dhcp(2, X1, CLIENT1, 2, offer_b, yiaddr="198.18.0.200"))),
    (1.000, frame(C1, BROADCAST, 68, 67, dhcp(1, X1, CLIENT1, 3, [client_id, hostname, prl, option(50, ip("198.18.0.100")),
                                                                   option(54, ip(SERVER_A[0]))]))),
    (1.010, frame(SERVER_A, BROADCAST, 67, 68, dhcp(2, X1, CLIENT1, 5, offer_a, yiaddr="198.18.0.100"))),
    (2.000, frame(C2, BROADCAST, 68, 67, dhcp(1, X2, CLIENT2, 1, [relay_prl]))),
    (2.001, frame(RELAY, SERVER_A, 67, 67, dhcp(1, X2, CLIENT2, 1, [relay_prl], giaddr=RELAY[0], hops=1))),
    (2.010, frame(SERVER_A, RELAY, 67, 67, dhcp(2, X2, CLIENT2, 2, relayed, yiaddr="198.19.1.50", giaddr=RELAY[0]))),
    (2.011, frame(RELAY, BROADCAST, 67, 68, dhcp(2, X2, CLIENT2, 2, relayed, yiaddr="198.19.1.50", giaddr=RELAY[0]))),
    (3.000, frame(C2, BROADCAST, 68, 67, dhcp(1, X2, CLIENT2, 3, [relay_prl, option(50, ip("198.19.1.50")),
                                                                   option(54, ip(SERVER_A[0]))]))),
    (3.001, frame(RELAY, SERVER_A, 67, 67, dhcp(1, X2, CLIENT2, 3, [relay_prl, option(50, ip("198.19.1.50")),
                                                                     option(54, ip(SERVER_A[0]))], giaddr=RELAY[0], hops=1))),
    (3.010, frame(SERVER_A, RELAY, 67, 67, dhcp(2, X2, CLIENT2, 5, relayed, yiaddr="198.19.1.50", giaddr=RELAY[0]))),
    (3.011, frame(RELAY, BROADCAST, 67, 68, dhcp(2, X2, CLIENT2, 5, relayed, yiaddr="198.19.1.50", giaddr=RELAY[0]))),
    (10.000, frame(("198.19.1.50", CLIENT2), (SERVER_A[0], RELAY[1]), 68, 67,
                   dhcp(1, 0x22220002, CLIENT2, 7, [option(54, ip(SERVER_A[0]))], ciaddr="198.19.1.50"))),
]

with open(os.path.join(here, "two-servers.pcap"), "wb") as out:
    out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for offset, data in packets:
        seconds = BASE + int(offset)
        micros = round((offset - int(offset)) * 1_000_000)
        out.write(struct.pack("<IIII", seconds, micros, len(data), len(data)) + data)

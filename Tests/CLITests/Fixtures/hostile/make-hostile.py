#!/usr/bin/env python3
"""Makes the hostile captures beside this script: damaged files and messages built to break parsers.
Standard library only; deterministic (same bytes on every run). Run it from anywhere:
    python3 Tests/CLITests/Fixtures/hostile/make-hostile.py
Files over a few KiB are written gzip-compressed (.pcap.gz), which decode and analyse read directly."""
import gzip
import os
import random
import struct

here = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(0x5EED)
CLIENT_MAC = bytes.fromhex("060000000a01")
SERVER_MAC = bytes.fromhex("060000000a02")


def write(name, data):
    if name.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    with open(os.path.join(here, name), "wb") as f:
        f.write(data)


def pcap(frames, linktype=1, snaplen=262144):
    """A little-endian microsecond pcap; frames are bytes or (caplen, wirelen, bytes) to lie about lengths."""
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype)
    for index, frame in enumerate(frames):
        caplen, wirelen, data = frame if isinstance(frame, tuple) else (len(frame), len(frame), frame)
        out += struct.pack("<IIII", 1_700_000_000 + index // 1000, index % 1000 * 1000, caplen, wirelen) + data  # 1 ms apart
    return out


def bootp(op=1, hlen=6, xid=0x0BAD0001, sname=b"", file=b"", options=b"", cookie=True):
    header = struct.pack(">BBBBIHH", op, 1, hlen, 0, xid, 0, 0) + bytes(16)
    header += CLIENT_MAC.ljust(16, b"\0") + sname.ljust(64, b"\0")[:64] + file.ljust(128, b"\0")[:128]
    return header + (b"\x63\x82\x53\x63" if cookie else b"") + options


def ipv4(payload, protocol=17, ihl=5, total=None, ident=1, fragment=0, options=b""):
    header = struct.pack(">BBHHHBBH4s4s", 0x40 | ihl, 0, total if total is not None else 20 + len(options) + len(payload),
                         ident, fragment, 64, protocol, 0, bytes([198, 18, 60, 1]), bytes([198, 18, 60, 255]))
    return header + options + payload


def udp(payload, length=None, sport=68, dport=67):
    return struct.pack(">HHHH", sport, dport, length if length is not None else 8 + len(payload), 0) + payload


def ether(payload, ethertype=0x0800, tags=()):
    out = b"\xff" * 6 + CLIENT_MAC
    for tpid, vid in tags:
        out += struct.pack(">HH", tpid, vid)
    return out + struct.pack(">H", ethertype) + payload


def dhcp_frame(message, **ip):
    return ether(ipv4(udp(message), **ip))


DISCOVER = bootp(options=b"\x35\x01\x01\x3d\x07\x01" + CLIENT_MAC + b"\xff")
good = dhcp_frame(DISCOVER)

# Capture files that lie about themselves.
write("truncated-record.pcap", pcap([good, good])[:-100])
write("caplen-over-file.pcap", pcap([good, (4000, 4000, good)]))
write("caplen-huge.pcap", pcap([good, (0x7FFFFFF0, 0x7FFFFFF0, good)]))
write("snaplen-0.pcap", pcap([good], snaplen=0))
write("snaplen-2g.pcap", pcap([good], snaplen=0x80000000))
write("unsupported-linktype.pcap", pcap([good], linktype=147))


def block(kind, body, length=None, trailer=None):
    body = body + bytes(-len(body) % 4)
    total = 12 + len(body)
    return struct.pack("<II", kind, length if length is not None else total) + body + \
        struct.pack("<I", trailer if trailer is not None else total)


SHB = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
IDB = block(1, struct.pack("<HHI", 1, 0, 262144))


def epb(frame, caplen=None):
    return block(6, struct.pack("<IIIII", 0, 0, 0, caplen if caplen is not None else len(frame), len(frame)) + frame)


write("pcapng-block-length-short.pcapng", SHB + IDB + epb(good) + block(6, bytes(40), length=8))
write("pcapng-block-length-past-end.pcapng", SHB + IDB + epb(good) + block(6, bytes(40), length=0x10000000))
write("pcapng-block-length-mismatch.pcapng", SHB + IDB + epb(good) + block(6, bytes(40), trailer=999) + epb(good))
write("pcapng-block-length-unaligned.pcapng", SHB + IDB + epb(good) + block(6, bytes(40), length=57))
write("pcapng-epb-caplen-past-block.pcapng", SHB + IDB + epb(good) + epb(good, caplen=60000))

# Headers that lie: IPv4 header length and total length, UDP length, link layers cut short, VLAN stacks.
write("ipv4-header-length-lies.pcap", pcap([
    ether(ipv4(udp(DISCOVER), ihl=15)[:40]),          # IHL 60 bytes, 40 present
    ether(ipv4(udp(DISCOVER), ihl=2)),                # IHL 8 bytes: shorter than the minimum
    dhcp_frame(DISCOVER, ihl=15, options=bytes(40)),  # IHL 60 with 40 option bytes: consistent, kept
    dhcp_frame(DISCOVER, total=10),                   # total length shorter than the header
    dhcp_frame(DISCOVER, total=65535),                # total length past the frame
    good,
]))
write("udp-length-lies.pcap", pcap([
    ether(ipv4(udp(DISCOVER, length=3))),
    ether(ipv4(udp(DISCOVER, length=65535))),
    ether(ipv4(udp(DISCOVER, length=100))),           # shorter than the message: the message is cut
    ether(ipv4(udp(b"", length=8))),
    ether(ipv4(b"\x00\x43\x00")),                     # 3 bytes of UDP header
    good,
]))
write("link-layers-cut-short.pcap", pcap([good[:5], good[:14], good[:20], good[:34], good[:41], good]))
write("vlan-stack.pcap", pcap([ether(ipv4(udp(DISCOVER)), tags=[(0x8100, n) for n in range(100)]),
                               ether(b"", ethertype=0x8100), good]))

# DHCP messages that lie.
write("hlen-over-16.pcap", pcap([dhcp_frame(bootp(hlen=255, options=b"\x35\x01\x01\xff")),
                                 dhcp_frame(bootp(hlen=17, options=b"\x35\x01\x01\xff"))]))
write("option-length-past-end.pcap", pcap([
    dhcp_frame(bootp(options=b"\x35\x01\x01\x0c\xff" + b"abc")),  # hostname of 255 bytes, 3 present
    dhcp_frame(bootp(options=b"\x35\x01\x01\x0c")),              # no length byte
    dhcp_frame(bootp(options=b"\x35\x05\x01")),                  # message type of 5 bytes, 1 present
    dhcp_frame(bootp()[:237]),                                     # one byte of magic cookie
    dhcp_frame(bootp()[:100]),                                     # BOOTP header cut short
]))
garbage_sname, garbage_file = bytes(rng.randrange(256) for _ in range(64)), bytes(rng.randrange(256) for _ in range(128))
write("overload-garbage.pcap", pcap([
    dhcp_frame(bootp(op=2, sname=garbage_sname, file=garbage_file, options=b"\x35\x01\x02\x34\x01\x03\xff")),
    dhcp_frame(bootp(op=2, sname=b"\xff" * 64, file=b"\x01" * 128, options=b"\x35\x01\x02\x34\x01\x03\xff")),
    dhcp_frame(bootp(op=2, options=b"\x35\x01\x02\x34\x01\x07\xff")),          # overload value 7
    dhcp_frame(bootp(op=2, options=b"\x35\x01\x02\x34\x02\x01\x01\xff")),      # overload of length 2
    dhcp_frame(bootp(op=2, options=b"\x35\x01\x02\x34\x00\xff")),              # overload of length 0
]))
write("overload-in-sname.pcap", pcap([
    dhcp_frame(bootp(op=2, sname=b"\x34\x01\x03\x0c\x03abc\xff", file=b"\x34\x01\x02\xff",
                     options=b"\x35\x01\x02\x34\x01\x03\xff")),
]))
write("endless-pad.pcap.gz", pcap([ether(ipv4(udp(bootp(options=b"\x35\x01\x01" + bytes(65_000)))))]))
write("missing-end.pcap", pcap([dhcp_frame(bootp(options=b"\x35\x01\x01\x3d\x07\x01" + CLIENT_MAC)),
                                dhcp_frame(bootp(options=b""))]))


def repeated(code, chunk, count):
    return bootp(options=b"\x35\x01\x01" + (bytes([code, len(chunk)]) + chunk) * count + b"\xff")


def split(code, data):
    """One long option as RFC 3396 instances of 255 bytes (the last one shorter)."""
    return bootp(options=b"\x35\x01\x01" + b"".join(bytes([code, len(data[i:i + 255])]) + data[i:i + 255]
                                                     for i in range(0, len(data), 255)) + b"\xff")


# RFC 3396: 252 instances of 255 bytes concatenate to 64,260 bytes of one option (UDP carries 65,507 at most).
name = (b"\x3f" + b"a" * 63) * 3 + b"\x3d" + b"b" * 61 + b"\0"   # one 255-byte name: 119 splits it in the middle
write("rfc3396-64k.pcap.gz", pcap([
    ether(ipv4(udp(repeated(43, bytes(rng.randrange(256) for _ in range(255)), 252)))),
    ether(ipv4(udp(repeated(119, name, 252)))),
    ether(ipv4(udp(repeated(82, (b"\x01\xfd" + b"c" * 253), 252)))),
    ether(ipv4(udp(split(121, bytes([32, 198, 18, 60, 1, 198, 18, 60, 254]) * 7140)))),  # routes cut across instances
    ether(ipv4(udp(repeated(12, b"h" * 255, 252)))),
]))

# IPv4 fragments: overlapping, past 65,535 bytes, one datagram in 8-byte pieces, and more datagrams than the
# reassembler holds at once.
whole = udp(DISCOVER)
pieces = [whole[i:i + 8] for i in range(0, len(whole), 8)]
tiny = [ether(ipv4(p, ident=7, fragment=(i | (0x2000 if i + 1 < len(pieces) else 0))))
        for i, p in enumerate(pieces)]
write("fragments.pcap.gz", pcap(
    [ether(ipv4(whole[:64], ident=1, fragment=0x2000)), ether(ipv4(whole[32:], ident=1, fragment=4))] +   # overlap
    [ether(ipv4(whole[:64], ident=2, fragment=0x2000)), ether(ipv4(whole[64:], ident=2, fragment=8190))] + # > 64 KiB
    tiny +
    [ether(ipv4(whole[:16], ident=1000 + n, fragment=0x2000)) for n in range(2000)] +                     # never end
    [ether(ipv4(b"\0" * 8, ident=9, fragment=0x2000 | n)) for n in range(8000)] +                         # 8,000 pieces
    [good]))
write("random-bytes.pcap", pcap([bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400))) for _ in range(60)]))

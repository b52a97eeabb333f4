#!/usr/bin/env python3
"""Seed corpora for the fuzz targets, from the capture files committed in the repository.

    fuzz/seeds.py OUT_DIR CAPTURE...

Writes OUT_DIR/FuzzFrame (a link-type selector byte, then the frame after a 16-bit length, as FuzzFrame reads it),
OUT_DIR/FuzzMessage (each DHCP payload: the 236 bytes before the magic cookie and all that follows) and
OUT_DIR/FuzzOptions (mode 0: each option's code and data; modes 1 and 2: each message's options field) and
OUT_DIR/FuzzDHCPv6 (each DHCPv6 message: the UDP payload of IPv6 over Ethernet to or from ports 546 and 547).
Reads pcap (micro- and nanosecond, either byte order), pcapng (EPB, SPB) and their gzip-compressed forms.
Standard library only."""
import gzip
import hashlib
import os
import struct
import sys

# FuzzFrame's selector: index in its linkTypes list (ethernet, SLL, SLL2, null, loop, raw 101, raw 12, raw 14, ipv4).
SELECTOR = {1: 0, 113: 1, 276: 2, 0: 3, 108: 4, 101: 5, 12: 6, 14: 7, 228: 8}
COOKIE = b"\x63\x82\x53\x63"


def frames(path):
    """(linktype, frame bytes) for each record of a pcap or pcapng file; stops quietly at damage."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError):
            return
    if len(data) < 24:
        return
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = "<" if magic[0] in (0xD4, 0x4D) else ">"
        linktype = struct.unpack(endian + "I", data[20:24])[0] & 0xFFFF
        offset = 24
        while offset + 16 <= len(data):
            caplen = struct.unpack(endian + "I", data[offset + 8:offset + 12])[0]
            if offset + 16 + caplen > len(data):
                return
            yield linktype, data[offset + 16:offset + 16 + caplen]
            offset += 16 + caplen
    elif magic == b"\x0a\x0d\x0d\x0a":
        offset, endian, linktypes = 0, "<", []
        while offset + 12 <= len(data):
            if data[offset:offset + 4] == b"\x0a\x0d\x0d\x0a":
                endian = "<" if data[offset + 8:offset + 12] == b"\x4d\x3c\x2b\x1a" else ">"
                linktypes = []
            kind, length = struct.unpack(endian + "II", data[offset:offset + 8])
            if length < 12 or offset + length > len(data):
                return
            body = data[offset + 8:offset + length - 4]
            if kind == 1 and len(body) >= 2:
                linktypes.append(struct.unpack(endian + "H", body[:2])[0])
            elif kind == 6 and len(body) >= 20:
                interface, _, _, caplen = struct.unpack(endian + "IIII", body[:16])[0:4]
                if interface < len(linktypes):
                    yield linktypes[interface], body[20:20 + caplen]
            elif kind == 3 and linktypes and len(body) >= 4:
                yield linktypes[0], body[4:]
            offset += length


def options(area):
    """(code, data) for each option of an options field, up to the end option or damage."""
    index = 0
    while index < len(area):
        code = area[index]
        if code == 0:
            index += 1
            continue
        if code == 255 or index + 1 >= len(area) or index + 2 + area[index + 1] > len(area):
            return
        yield code, area[index + 2:index + 2 + area[index + 1]]
        index += 2 + area[index + 1]


def main():
    out, paths = sys.argv[1], sys.argv[2:]
    seeds = {"FuzzFrame": set(), "FuzzMessage": set(), "FuzzOptions": set(), "FuzzDHCPv6": set()}
    for path in paths:
        for linktype, frame in frames(path):
            if linktype in SELECTOR and len(frame) <= 0xFFFF:
                seeds["FuzzFrame"].add(bytes([SELECTOR[linktype]]) + struct.pack(">H", len(frame)) + frame)
            # IPv6 (no extension header) over Ethernet, UDP to or from 546/547: the DHCPv6 message.
            if linktype == 1 and frame[12:14] == b"\x86\xdd" and len(frame) >= 62 and frame[20] == 17:
                ports = struct.unpack(">HH", frame[54:58])
                if 546 in ports or 547 in ports:
                    seeds["FuzzDHCPv6"].add(frame[62:])
            cookie = frame.find(COOKIE, 236)
            if cookie < 0:
                continue
            payload = frame[cookie - 236:]
            seeds["FuzzMessage"].add(payload)
            area = payload[240:]
            seeds["FuzzOptions"].add(b"\x02" + area[:200])
            seeds["FuzzOptions"].add(b"\x01" + b"".join(bytes([c]) + struct.pack(">H", len(d)) + d for c, d in options(area)))
            for code, data in options(area):
                seeds["FuzzOptions"].add(b"\x00" + bytes([code]) + data)
    for target, items in seeds.items():
        folder = os.path.join(out, target)
        os.makedirs(folder, exist_ok=True)
        for item in items:
            with open(os.path.join(folder, hashlib.sha1(item).hexdigest()), "wb") as f:
                f.write(item)
        print(f"{target}: {len(items)} seeds", file=sys.stderr)


if __name__ == "__main__":
    main()

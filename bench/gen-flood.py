#!/usr/bin/env python3
"""A DISCOVER flood: N DISCOVERs, each from its own MAC with its own xid, none answered (DHCPig-style starvation
as a capture would show it). Classic pcap, Ethernet, 10 µs apart so that every transaction is still open when the
next arrives. Plain Python, deterministic.

usage: gen-flood.py OUT [N]        N defaults to 1,000,000 (about 330 MB)"""
import struct
import sys

out, count = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
options = b"\x63\x82\x53\x63\x35\x01\x01\x37\x04\x01\x03\x06\x0f\xff"
with open(out, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for index in range(count):
        mac = b"\x06" + index.to_bytes(5, "big")
        bootp = struct.pack(">BBBBIHH", 1, 1, 6, 0, 0x10000000 + index, 0, 0) + bytes(16) + mac + bytes(10 + 192)
        payload = bootp + options
        udp = struct.pack(">HHHH", 68, 67, 8 + len(payload), 0) + payload
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, bytes(4), b"\xff" * 4) + udp
        frame = b"\xff" * 6 + mac + b"\x08\x00" + ip
        micros = index * 10
        f.write(struct.pack("<IIII", 1_700_000_000 + micros // 1_000_000, micros % 1_000_000, len(frame), len(frame)))
        f.write(frame)

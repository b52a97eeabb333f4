#!/usr/bin/env python3
"""Makes the damaged capture files the CLI tests read, from zeek-dhcp.pcap beside this script."""
import os

here = os.path.dirname(os.path.abspath(__file__))
good = open(os.path.join(here, "zeek-dhcp.pcap"), "rb").read()

def write(name, data):
    with open(os.path.join(here, name), "wb") as f:
        f.write(data)

# Cut in the middle of the fourth record: three messages decode, then the reader stops with an offset.
offset = 24
for _ in range(3):
    caplen = int.from_bytes(good[offset + 8:offset + 12], "little")
    offset += 16 + caplen
write("truncated.pcap", good[:offset + 40])
write("not-a-capture.pcap", b"this is not a capture file\n" * 4)
write("empty.pcap", b"")
write("header-only.pcap", good[:24])

# gzip-compressed copies: whole, and cut in the middle of the compressed stream.
import gzip
compressed = gzip.compress(good, mtime=0)
write("zeek-dhcp.pcap.gz", compressed)
write("truncated.pcap.gz", compressed[: len(compressed) * 2 // 3])

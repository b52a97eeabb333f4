#!/usr/bin/env python3
"""The gaps between a generator's DISCOVERs in a capture: percentiles and a histogram, in microseconds.

usage: bench/send-gaps.py CAPTURE.pcap NAME RATE

Reads a classic pcap (micro- or nanosecond timestamps, Ethernet) of what the generator sent and keeps the
BOOTREQUESTs to port 67 whose option 53 is DISCOVER: one per exchange started. An open-loop generator asked for
RATE exchanges a second sends one every 1/RATE s; the histogram shows how far each gap is from that."""
import struct
import sys


def discover_times(path):
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    scale = 1e9 if magic == 0xA1B23C4D else 1e6
    offset, times = 24, []
    while offset + 16 <= len(data):
        seconds, fraction, captured, _ = struct.unpack("<IIII", data[offset:offset + 16])
        frame = data[offset + 16:offset + 16 + captured]
        offset += 16 + captured
        if len(frame) < 14 + 20 + 8 + 240 or frame[12:14] != b"\x08\x00":
            continue
        udp = 14 + (frame[14] & 15) * 4
        dhcp = frame[udp + 8:]
        if struct.unpack(">H", frame[udp + 2:udp + 4])[0] != 67 or dhcp[0] != 1 or len(dhcp) < 240:
            continue
        index, kind = 240, None
        while index + 1 < len(dhcp) and dhcp[index] != 255:
            if dhcp[index] == 0:
                index += 1
                continue
            if dhcp[index] == 53 and index + 2 < len(dhcp):
                kind = dhcp[index + 2]
                break
            index += 2 + dhcp[index + 1]
        if kind == 1:
            times.append(seconds + fraction / scale)
    return times


def main():
    path, name, rate = sys.argv[1], sys.argv[2], float(sys.argv[3])
    times = discover_times(path)
    gaps = sorted((later - earlier) * 1e6 for earlier, later in zip(times, times[1:]))
    if not gaps:
        print("%-9s no DISCOVERs captured" % name)
        return
    count = len(gaps)
    ideal = 1e6 / rate

    def percentile(q):
        return gaps[min(count - 1, int(q * count))]

    print("%-9s %6d DISCOVERs, gap µs (ideal %.0f): p1 %.0f  p10 %.0f  p50 %.0f  p90 %.0f  p99 %.0f  max %.0f" % (
        name, count + 1, ideal, percentile(.01), percentile(.1), percentile(.5), percentile(.9), percentile(.99),
        gaps[-1]))
    edges = [0, 0.2, 0.5, 0.9, 1.1, 1.5, 2, 5, 10, float("inf")]
    cells = []
    for low, high in zip(edges, edges[1:]):
        share = sum(1 for gap in gaps if low * ideal <= gap < high * ideal) * 100 / count
        label = "%.0f-%s" % (low * ideal, "" if high == float("inf") else "%.0f" % (high * ideal))
        cells.append("%s %.1f%%" % (label, share))
    print("          " + "  ".join(cells))


main()

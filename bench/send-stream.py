#!/usr/bin/env python3
"""A long synthetic DHCP stream on a raw socket, for bench/sniff-long-run: DORA after DORA (DISCOVER, OFFER,
REQUEST, ACK), each from a client never seen before (MAC 06:01:xx:xx:xx:xx, as randomised MACs are), the address
cycling through 198.18.0.0/16 so that addresses are leased again and again to new clients; one DISCOVER in ten is
left unanswered. Frames go out on IFACE, which must be one end of a veth pair inside a test namespace.

usage: send-stream.py IFACE RATE SECONDS      RATE in messages a second
Prints the number of messages sent."""
import socket
import struct
import sys
import time

iface, rate, seconds = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
server_mac, server_ip = bytes.fromhex("060100000001"), bytes([198, 18, 0, 1])
broadcast_mac, broadcast_ip, zero_ip = b"\xff" * 6, b"\xff" * 4, bytes(4)


def checksum(header):
    total = sum(struct.unpack(">10H", header))
    total = (total & 0xFFFF) + (total >> 16)
    total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


def frame(source_mac, destination_mac, source_ip, destination_ip, source_port, destination_port, payload):
    udp = struct.pack(">HHHH", source_port, destination_port, 8 + len(payload), 0) + payload
    header = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, source_ip, destination_ip)
    header = header[:10] + struct.pack(">H", checksum(header)) + header[12:]
    return destination_mac + source_mac + b"\x08\x00" + header + udp


def dhcp(op, xid, mac, yiaddr, options):
    return (struct.pack(">BBBBIHH4s4s4s4s", op, 1, 6, 0, xid, 0, 0, zero_ip, yiaddr, zero_ip, zero_ip)
            + mac + bytes(10 + 192) + b"\x63\x82\x53\x63" + options + b"\xff")


def exchange(index):
    """The frames of client `index`'s DORA (only its DISCOVER, one time in ten)."""
    mac = b"\x06\x01" + index.to_bytes(4, "big")
    host = 10 + index % 65000
    address = bytes([198, 18, host >> 8, host & 255])
    xid = (0x20000000 + index) & 0xFFFFFFFF
    # 10 s leases: an address comes round again (every 65,000 clients) after its lease ended, as on a real network.
    lease = b"\x33\x04\x00\x00\x00\x0a\x36\x04" + server_ip + b"\x01\x04\xff\xff\x00\x00\x03\x04" + server_ip
    discover = frame(mac, broadcast_mac, zero_ip, broadcast_ip, 68, 67, dhcp(1, xid, mac, zero_ip, b"\x35\x01\x01\x37\x03\x01\x03\x06"))
    if index % 10 == 9:
        return [discover]
    return [
        discover,
        frame(server_mac, broadcast_mac, server_ip, broadcast_ip, 67, 68, dhcp(2, xid, mac, address, b"\x35\x01\x02" + lease)),
        frame(mac, broadcast_mac, zero_ip, broadcast_ip, 68, 67,
              dhcp(1, xid, mac, zero_ip, b"\x35\x01\x03\x32\x04" + address + b"\x36\x04" + server_ip)),
        frame(server_mac, broadcast_mac, server_ip, broadcast_ip, 67, 68, dhcp(2, xid, mac, address, b"\x35\x01\x05" + lease)),
    ]


sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
sock.bind((iface, 0))
start = time.monotonic()
end = start + seconds
sent = index = 0
while True:
    now = time.monotonic()
    if now >= end:
        break
    due = int((now - start) * rate)
    if sent >= due:
        time.sleep(min(0.005, end - now))
        continue
    while sent < due:
        for packet in exchange(index):
            sock.send(packet)
            sent += 1
        index += 1
print(sent)

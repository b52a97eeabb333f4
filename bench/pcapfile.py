"""Classic pcap writing for the benchmark generators: Ethernet, microsecond timestamps, records buffered in chunks."""

import struct

_RECORD = struct.Struct("<IIII").pack


class Writer:
    """Writes a pcap file header, then one record per `add`, in chunks of 10,000 records."""

    def __init__(self, f, base_seconds):
        self.f = f
        self.base = base_seconds
        self.chunk = []
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))

    def add(self, usec, frame):
        """One frame captured `usec` microseconds after the base time."""
        self.chunk.append(_RECORD(self.base + usec // 1000000, usec % 1000000, len(frame), len(frame)))
        self.chunk.append(frame)
        if len(self.chunk) >= 20000:
            self.flush()

    def flush(self):
        self.f.write(b"".join(self.chunk))
        self.chunk.clear()

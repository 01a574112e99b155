#!/usr/bin/env python3
"""Draws the app and tray icons as RGBA PNGs (no dependencies beyond the standard library).

Run from the repo root: python3 tools/make_icons.py
"""
import math
import struct
import zlib
from pathlib import Path


def png(path, size, pixel):
    rows = []
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            row.extend(pixel(x + 0.5, y + 0.5, size))
        rows.append(bytes(row))
    raw = b"".join(rows)

    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    data = b"\x89PNG\r\n\x1a\n"
    data += chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0))
    data += chunk(b"IDAT", zlib.compress(raw, 9))
    data += chunk(b"IEND", b"")
    Path(path).write_bytes(data)


def badge(fill, dot=None):
    """A filled circle with a white check-like bar; `dot` adds an attention dot."""

    def pixel(x, y, size):
        cx = cy = size / 2
        r = size * 0.46
        d = math.hypot(x - cx, y - cy)
        a = max(0.0, min(1.0, r - d + 0.5))
        color = fill
        # three pipeline bars
        u, v = x / size, y / size
        for i, (x0, x1) in enumerate([(0.22, 0.38), (0.42, 0.58), (0.62, 0.78)]):
            top = 0.62 - 0.12 * i
            if x0 <= u <= x1 and top <= v <= 0.72:
                color = (255, 255, 255)
        if dot is not None:
            dd = math.hypot(x - size * 0.78, y - size * 0.22)
            if dd <= size * 0.2:
                color, a = dot, 1.0
        return bytes([color[0], color[1], color[2], int(a * 255)])

    return pixel


OK = (46, 125, 200)
ALERT = (214, 69, 65)
out = Path("icons")
out.mkdir(exist_ok=True)
for s in (32, 64, 128, 256, 512):
    png(out / f"{s}x{s}.png", s, badge(OK))
png(out / "icon.png", 512, badge(OK))
png(out / "tray.png", 64, badge(OK))
png(out / "tray-attention.png", 64, badge(OK, dot=ALERT))

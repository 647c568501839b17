#!/usr/bin/env python3
"""mk_npy.py OUT.npy ROWS COLS [nan ROW COL] — a float64 .npy, standard library only.

Row i, column j holds ((i * 7919 + j * 104729) % 1000) / 1000 + i % 3, so rows
differ; with `nan ROW COL` that one cell is NaN.
"""
import struct, sys

out, rows, cols = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
nan = (int(sys.argv[5]), int(sys.argv[6])) if len(sys.argv) > 4 and sys.argv[4] == "nan" else None
header = "{'descr': '<f8', 'fortran_order': False, 'shape': (%d, %d), }" % (rows, cols)
header += " " * (63 - (10 + len(header)) % 64) + "\n"
with open(out, "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
    for i in range(rows):
        for j in range(cols):
            v = float("nan") if nan == (i, j) else ((i * 7919 + j * 104729) % 1000) / 1000 + i % 3
            f.write(struct.pack("<d", v))

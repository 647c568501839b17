#!/usr/bin/env python3
"""gen_shapes.py — input generator for the hardening end-to-end tests
(test_crash.sh, test_extreme.sh); pure Python, no numpy.

  gen_shapes.py binary PREFIX N   PREFIX_p.npy (N x 2 float32) and PREFIX_l.npy
                                  (N int64): rows alternate class 0 (0.9, 0.1) and
                                  class 1 (0.2, 0.8); every 10th label is flipped,
                                  so exactly ceil(N / 10) labels are wrong.
  gen_shapes.py manyk PREFIX N K  PREFIX_p.npy (N x K float32), PREFIX_l.npy: row i
                                  has label i % K and 0.5 on it, the rest spread;
                                  every 7th row puts its 0.5 on the next class.
"""
import array, struct, sys

def npy_header(descr, shape):
    h = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape)
    pad = (64 - (10 + len(h) + 1) % 64) % 64
    h = h + ' ' * pad + '\n'
    return b'\x93NUMPY\x01\x00' + struct.pack('<H', len(h)) + h.encode()

def binary(prefix, n):
    chunk = 1 << 20
    with open(prefix + '_p.npy', 'wb') as f:
        f.write(npy_header('<f4', '(%d, 2)' % n))
        for c0 in range(0, n, chunk):
            m = min(chunk, n - c0)   # chunk is even, so row parity = local parity
            array.array('f', ([0.9, 0.1, 0.2, 0.8] * ((m + 1) // 2))[:2 * m]).tofile(f)
    with open(prefix + '_l.npy', 'wb') as f:
        f.write(npy_header('<i8', '(%d,)' % n))
        for c0 in range(0, n, chunk):
            m = min(chunk, n - c0)
            a = array.array('q', ([0, 1] * ((m + 1) // 2))[:m])
            for i in range(0, m, 10):
                a[i] = 1 - a[i]
            a.tofile(f)

def manyk(prefix, n, k):
    rest = 0.5 / (k - 1)
    p = array.array('f', [rest]) * (n * k)
    lab = array.array('q', [0]) * n
    for i in range(n):
        y = i % k
        lab[i] = y
        p[i * k + ((y + 1) % k if i % 7 == 0 else y)] = 0.5
    with open(prefix + '_p.npy', 'wb') as f:
        f.write(npy_header('<f4', '(%d, %d)' % (n, k)))
        p.tofile(f)
    with open(prefix + '_l.npy', 'wb') as f:
        f.write(npy_header('<i8', '(%d,)' % n))
        lab.tofile(f)

if __name__ == '__main__':
    if sys.argv[1] == 'binary':
        binary(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == 'manyk':
        manyk(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit('usage: gen_shapes.py binary|manyk PREFIX N [K]')

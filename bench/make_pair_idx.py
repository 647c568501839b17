#!/usr/bin/env python3
"""make_pair_idx.py -- an imbalanced two-class Fashion-MNIST task as IDX files.

usage: make_pair_idx.py FM_DIR OUT_DIR MAJOR MINOR N_MAJOR N_MINOR SEED

Training set: N_MAJOR images of class MAJOR and N_MINOR of class MINOR drawn
(seeded) from the Fashion-MNIST training split; test set: every image of the
two classes in the test split. Labels are 0 (MAJOR) and 1 (MINOR); OUT_DIR
gets train-images-idx3-ubyte / train-labels-idx1-ubyte, t10k-* and
classes.txt (the two names). Standard library only.
"""
import gzip, os, random, struct, sys

def read_idx(path):
    with gzip.open(path, 'rb') as f:
        data = f.read()
    magic = struct.unpack('>I', data[:4])[0]
    nd = magic & 0xff
    dims = struct.unpack('>' + 'I' * nd, data[4:4 + 4 * nd])
    return dims, data[4 + 4 * nd:]

def write_idx(path, dims, payload, ndim_code):
    with open(path, 'wb') as f:
        f.write(struct.pack('>I', 0x0800 | len(dims)))
        f.write(struct.pack('>' + 'I' * len(dims), *dims))
        f.write(payload)

def split(fm, prefix, major, minor, n_major, n_minor, rng):
    dims, img = read_idx(os.path.join(fm, prefix + '-images-idx3-ubyte.gz'))
    _, lab = read_idx(os.path.join(fm, prefix + '-labels-idx1-ubyte.gz'))
    sz = dims[1] * dims[2]
    a = [i for i, l in enumerate(lab) if l == major]
    b = [i for i, l in enumerate(lab) if l == minor]
    if n_major is not None:
        a = sorted(rng.sample(a, n_major))
        b = sorted(rng.sample(b, n_minor))
    rows = sorted([(i, 0) for i in a] + [(i, 1) for i in b])
    images = b''.join(img[i * sz:(i + 1) * sz] for i, _ in rows)
    labels = bytes(l for _, l in rows)
    return (len(rows), dims[1], dims[2]), images, labels

def main():
    fm, out, major, minor, n_major, n_minor, seed = sys.argv[1:8]
    major, minor, n_major, n_minor = int(major), int(minor), int(n_major), int(n_minor)
    rng = random.Random(int(seed))
    os.makedirs(out, exist_ok=True)
    names = [l.strip() for l in open(os.path.join(fm, 'classes.txt'))]
    for prefix, nm, nn in (('train', n_major, n_minor), ('t10k', None, None)):
        dims, images, labels = split(fm, prefix, major, minor, nm, nn, rng)
        write_idx(os.path.join(out, prefix + '-images-idx3-ubyte'), dims, images, 3)
        write_idx(os.path.join(out, prefix + '-labels-idx1-ubyte'), (dims[0],), labels, 1)
    with open(os.path.join(out, 'classes.txt'), 'w') as f:
        f.write(names[major] + '\n' + names[minor] + '\n')

main()

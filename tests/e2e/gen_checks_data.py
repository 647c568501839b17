#!/usr/bin/env python3
"""gen_checks_data.py OUTDIR IMAGES.gz LABELS.gz — planted problems for test_checks.sh.

Standard library only. From the first 150 Fashion-MNIST images of the given
IDX files (the training split) and the next 50 (the test split) it writes:
  train-images-idx3-ubyte / train-labels-idx1-ubyte, with appended:
    150 = copy of 3 (exact duplicate, same label)
    151 = copy of 5 with another label (label conflict)
    152 = 10 shifted right 1 px, 153 = 11 shifted down 1 px,
    154 = 12 brighter (+40, clipped), 155 = 13 shifted left 1 px and contrast 0.8,
    156 = 14 with +-2 noise (a lossy re-encoding)
    157 = 20 x 0.12 (dark), 158 = 255 - (255 - 21) x 0.1 (bright),
    159 = 22 box-blurred twice (blurry), 160 = flat gray 128 (low information)
  test-images-idx3-ubyte / test-labels-idx1-ubyte: images 150..199, then
    50 = copy of train 30 (exact leak), 51 = train 31 shifted 1 px (image leak)
  png/: a manifest (manifest.csv) of 12 PNGs: 0..7 from train 0..7,
    dup.png = byte copy of 0.png, recode.png = 1's pixels compressed at
    another level (same pixels, other bytes), wide.png = 56 x 20, rgb.png = 2 as RGB.
  planted.txt: what is where (for people).
"""
import gzip, os, struct, sys, zlib

W = H = 28

def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    ndim = magic & 0xff
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return dims, data[4 + 4 * ndim:]

def write_idx_images(path, imgs):
    with open(path, "wb") as f:
        f.write(struct.pack(">IIII", 0x803, len(imgs), H, W))
        for im in imgs:
            f.write(bytes(im))

def write_idx_labels(path, labels):
    with open(path, "wb") as f:
        f.write(struct.pack(">II", 0x801, len(labels)))
        f.write(bytes(labels))

def shift(im, dx, dy):
    out = [0] * (W * H)
    for y in range(H):
        for x in range(W):
            sx, sy = x - dx, y - dy
            if 0 <= sx < W and 0 <= sy < H:
                out[y * W + x] = im[sy * W + sx]
    return out

def clip(v):
    return 0 if v < 0 else 255 if v > 255 else int(round(v))

def blur(im):
    out = [0] * (W * H)
    for y in range(H):
        for x in range(W):
            s = n = 0
            for yy in range(max(0, y - 1), min(H, y + 2)):
                for xx in range(max(0, x - 1), min(W, x + 2)):
                    s += im[yy * W + xx]; n += 1
            out[y * W + x] = s // n
    return out

def png(path, pix, w, h, channels, level):
    raw = b"".join(b"\x00" + bytes(pix[y * w * channels:(y + 1) * w * channels]) for y in range(h))
    def chunk(t, d):
        c = struct.pack(">I", len(d)) + t + d
        return c + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    color = 0 if channels == 1 else 2
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, level)))
        f.write(chunk(b"IEND", b""))

def main():
    out, images, labels = sys.argv[1:4]
    os.makedirs(os.path.join(out, "png"), exist_ok=True)
    (n, _, _), pix = read_idx(images)
    _, lab = read_idx(labels)
    imgs = [list(pix[i * W * H:(i + 1) * W * H]) for i in range(n)]
    tr, trl = [im[:] for im in imgs[:150]], list(lab[:150])
    seed = 12345
    def noise():
        nonlocal seed
        seed = (seed * 1103515245 + 12345) & 0x7fffffff
        return seed % 5 - 2
    planted = [
        (imgs[3], lab[3]),
        (imgs[5], (lab[5] + 1) % 10),
        (shift(imgs[10], 1, 0), lab[10]),
        (shift(imgs[11], 0, 1), lab[11]),
        ([clip(v + 40) for v in imgs[12]], lab[12]),
        ([clip(v * 0.8) for v in shift(imgs[13], -1, 0)], lab[13]),
        ([clip(v + noise()) if v else 0 for v in imgs[14]], lab[14]),
        ([clip(v * 0.12) for v in imgs[20]], lab[20]),
        ([clip(255 - (255 - v) * 0.1) for v in imgs[21]], lab[21]),
        (blur(blur(imgs[22])), lab[22]),
        ([128] * (W * H), lab[23]),
    ]
    for im, l in planted:
        tr.append(im); trl.append(l)
    write_idx_images(os.path.join(out, "train-images-idx3-ubyte"), tr)
    write_idx_labels(os.path.join(out, "train-labels-idx1-ubyte"), trl)
    te, tel = [im[:] for im in imgs[150:200]], list(lab[150:200])
    te.append(imgs[30]); tel.append(lab[30])
    te.append(shift(imgs[31], 1, 0)); tel.append(lab[31])
    write_idx_images(os.path.join(out, "test-images-idx3-ubyte"), te)
    write_idx_labels(os.path.join(out, "test-labels-idx1-ubyte"), tel)
    d = os.path.join(out, "png")
    rows = []
    for i in range(8):
        png(os.path.join(d, "%d.png" % i), imgs[i], W, H, 1, 6)
        rows.append(("%d" % i, "%d.png" % i, lab[i]))
    with open(os.path.join(d, "0.png"), "rb") as f:
        b = f.read()
    with open(os.path.join(d, "dup.png"), "wb") as f:
        f.write(b)
    rows.append(("dup", "dup.png", lab[0]))
    png(os.path.join(d, "recode.png"), imgs[1], W, H, 1, 1)
    rows.append(("recode", "recode.png", lab[1]))
    wide = [imgs[4][(y * H // 20) * W + (x * W // 56)] for y in range(20) for x in range(56)]
    png(os.path.join(d, "wide.png"), wide, 56, 20, 1, 6)
    rows.append(("wide", "wide.png", lab[4]))
    png(os.path.join(d, "rgb.png"), [v for v in imgs[2] for _ in range(3)], W, H, 3, 6)
    rows.append(("rgb", "rgb.png", lab[2]))
    with open(os.path.join(d, "manifest.csv"), "w") as f:
        f.write("id,path,label\n")
        for r in rows:
            f.write("%s,%s,%d\n" % r)
    with open(os.path.join(out, "planted.txt"), "w") as f:
        f.write(__doc__)

main()

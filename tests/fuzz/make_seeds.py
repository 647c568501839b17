#!/usr/bin/env python3
"""make_seeds.py — writes the seed corpora of tests/fuzz/corpus/<target>/.
Run from anywhere: python3 tests/fuzz/make_seeds.py [SHARED_DATA_DIR]. The
seeds are committed; rerun only to change them. Small on purpose (< 4 KB)."""
import gzip, os, struct, sys, zlib

here = os.path.dirname(os.path.abspath(__file__))
data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, '../../../shared/data')

def put(target, name, b):
    d = os.path.join(here, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    if isinstance(b, str):
        b = b.encode()
    with open(os.path.join(d, name), 'wb') as f:
        f.write(b)

def head(path, n):
    with open(os.path.join(data, path), 'rb') as f:
        return b''.join(f.readlines()[:n])

# CSV tables
put('csv_table', 'iris', head('tabular/iris.csv', 8))
put('csv_table', 'penguins_raw', head('tabular/penguins_raw.csv', 5))
put('csv_table', 'penguins_missing', head('tabular/penguins.csv', 6))
put('csv_table', 'bom_crlf', head('bad/bom_crlf.csv', 5))
put('csv_table', 'ragged', head('bad/ragged_row.csv', 3) + b'iris-9,1,2,3,setosa\n')
put('csv_table', 'quote', b'id,"a,b",label\n1,"x""y",c\n2,"multi\nline",d\n')
put('csv_table', 'categorical', b'id,color,size,label\na,red,1,x\nb,blue,,y\nc,red,3,x\n')
put('csv_table', 'escaping', head('bad/escaping_labels.csv', 4))

# labels and probabilities (CSV)
put('labels', 'ids_names', 'id,label\na,cat\nb,dog\nc,bird\n')
put('labels', 'indices', 'label\n0\n1\n2\n1\n')
put('labels', 'probs_p', 'p0,p1,p2\n0.1,0.2,0.7\n0.5,0.25,0.25\n1e-3,0.999,0\n')
put('labels', 'probs_names', 'cat,dog,bird\n0.2,0.3,0.5\n1,0,0\n')
put('labels', 'probs_ids', 'id,cat,dog\ns2,0.1,0.9\ns0,0.5,0.5\ns1,1,0\n')
put('labels', 'classes', 'cat\r\ndog\n\nbird\n')
put('labels', 'hostile', 'id,label\n1,"<script>alert(1)</script>"\n2,"Robert\'); DROP TABLE labels;--"\n')

# .npy
def npy(descr, shape, payload, version=1):
    hdr = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape)
    pre = 10 if version == 1 else 12
    pad = (64 - (pre + len(hdr) + 1) % 64) % 64
    hdr = hdr + ' ' * pad + '\n'
    if version == 1:
        return b'\x93NUMPY\x01\x00' + struct.pack('<H', len(hdr)) + hdr.encode() + payload
    return b'\x93NUMPY' + bytes([version, 0]) + struct.pack('<I', len(hdr)) + hdr.encode() + payload
put('npy', 'f32_2x3', npy('<f4', '(2, 3)', struct.pack('<6f', .1, .2, .7, .3, .3, .4)))
put('npy', 'f64_3x2', npy('<f8', '(3, 2)', struct.pack('<6d', .5, .5, 1, 0, .25, .75)))
put('npy', 'i8_4', npy('<i8', '(4,)', struct.pack('<4q', 0, 1, 2, 1)))
put('npy', 'u1_3', npy('|u1', '(3,)', bytes([0, 1, 2])))
put('npy', 'i4_col', npy('<i4', '(3, 1)', struct.pack('<3i', 2, 0, 1)))
put('npy', 'v2_f32', npy('<f4', '(1, 2)', struct.pack('<2f', .4, .6), version=2))
put('npy', 'nan', npy('<f8', '(1, 2)', struct.pack('<2d', float('nan'), float('inf'))))

# IDX: flags, u16 length of the images part, images, labels
def idx(flags, n, h, w, pix, labels):
    im = struct.pack('>I', 0x803) + struct.pack('>3I', n, h, w) + bytes(pix)
    lb = struct.pack('>I', 0x801) + struct.pack('>I', n) + bytes(labels)
    return bytes([flags]) + struct.pack('>H', len(im)) + im + lb
put('idx', 'plain', idx(0, 2, 2, 2, range(8), [0, 1]))
put('idx', 'gzip', idx(1, 3, 2, 2, range(0, 240, 20), [2, 0, 1]))
put('idx', 'classes', idx(4, 2, 1, 3, [0, 128, 255, 1, 2, 3], [0, 2]))
im = struct.pack('>I', 0x803) + struct.pack('>3I', 1, 1, 1) + b'\x07'
lb = struct.pack('>I', 0x801) + struct.pack('>I', 1) + b'\x00'
gi, gl = gzip.compress(im), gzip.compress(lb)
put('idx', 'rawgz', bytes([2]) + struct.pack('>H', len(gi)) + gi + gl)

# manifests (the harness provides a.png b.png c.png sub/d.png out.png)
put('manifest', 'ok', 'id,path,label\n1,a.png,x\n2,b.png,y\n3,sub/d.png,x\n')
put('manifest', 'sizes', 'id,path,label\n1,a.png,x\n2,c.png,y\n')
put('manifest', 'escape', 'id,path,label\n1,../a.png,x\n2,/etc/passwd,y\n3,out.png,x\n')
put('manifest', 'missing', 'path,label\nnope.png,x\na.png,y\n')

# images
def png(w, h, depth=8, ctype=0, rows=None):
    def chunk(t, d):
        return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
    ch = {0: 1, 2: 3, 4: 2, 6: 4}[ctype]
    if rows is None:
        rows = b''.join(b'\x00' + bytes((x * 37) & 255 for x in range(w * ch)) for _ in range(h))
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, depth, ctype, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(rows)) + chunk(b'IEND', b''))
put('image', 'gray4x4.png', png(4, 4))
put('image', 'rgb3x2.png', png(3, 2, ctype=2))
put('image', 'rgba2x2.png', png(2, 2, ctype=6))
put('image', 'huge.png', png(100000, 100000, rows=b'\x00' * 16))
put('image', 'pgm', b'P5 3 2 255\n' + bytes(range(6)))
put('image', 'ppm', b'P6 2 1 255\n' + bytes(range(6)))
bmp_px = b'\x00\x00\xff\x00' * 2
put('image', 'bmp', b'BM' + struct.pack('<IHHI', 54 + len(bmp_px), 0, 0, 54)
    + struct.pack('<IiiHHIIiiII', 40, 2, 1, 1, 32, 0, len(bmp_px), 0, 0, 0, 0) + bmp_px)
put('image', 'gif', bytes.fromhex('47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b'))
for name in ('truncated.png', 'not_an_image.png', 'huge_dimensions.png', 'images/digits-0000-8x8.png'):
    with open(os.path.join(data, 'bad', name), 'rb') as f:
        put('image', os.path.basename(name), f.read())

# summaries
for name in ('summary_base.json', 'summary_noisy.json', 'summary_other_classes.json'):
    with open(os.path.join(here, '../data/check', name), 'rb') as f:
        put('summary', name, f.read())

# HTTP requests ({{CSRF}} becomes the app's CSRF token in the harness)
put('serve', 'page', 'GET / HTTP/1.1\r\nHost: localhost:8080\r\n\r\n')
put('serve', 'state', 'GET /api/state?class=0&status=pending&min=0&max=1&offset=0&limit=5 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
put('serve', 'decide', 'POST /api/decide HTTP/1.1\r\nHost: localhost\r\nX-CSRF-Token: {{CSRF}}\r\n'
    'Content-Type: application/json\r\nOrigin: http://localhost\r\n\r\n'
    '{"qid": 1, "version": 0, "decision": "relabel", "new_label": 1, "reviewer": "fz", "note": "n"}')
put('serve', 'undo', 'POST /api/undo HTTP/1.1\r\nHost: localhost\r\nX-CSRF-Token: {{CSRF}}\r\n'
    'Content-Type: application/json\r\n\r\n{"reviewer": "fz"}')
put('serve', 'img', 'GET /img/images/fm-t10k-00000.png HTTP/1.1\r\nHost: [::1]:9\r\n\r\n')
put('serve', 'img_escape', 'GET /img/..%2f..%2fetc/passwd HTTP/1.1\r\nHost: localhost\r\n\r\n')
put('serve', 'token_query', 'GET /?token=fuzz-token HTTP/1.1\r\nX-Fuzz-App: token\r\nHost: example.com\r\n\r\n')
put('serve', 'token_cookie', 'GET /api/state HTTP/1.1\r\nX-Fuzz-App: token\r\nCookie: a=b; la_token=fuzz-token\r\n\r\n')
put('serve', 'token_bearer', 'POST /api/decide HTTP/1.1\r\nX-Fuzz-App: token\r\nAuthorization: Bearer fuzz-token\r\n'
    'X-CSRF-Token: {{CSRF}}\r\nContent-Type: application/json\r\n\r\n{"qid": 2, "version": 0, "decision": "keep", "reviewer": "r"}')
put('serve', 'bad_version', 'GET / HTTP/2.0\r\n\r\n')

# multi-annotator labels (consensus --labels): wide and long, indices and names
put('consensus', 'wide_golden', head('../golden-multiannotator/three_annotators_k3_n200_majority/labels.csv', 12))
put('consensus', 'wide_ids_names', 'id,ann,bob,cy\na,cat,cat,\nb,dog,,dog\nc,bird,cat,bird\nd,,dog,dog\n')
put('consensus', 'wide_pandas', ',a0,a1\n0,1.0,1.0\n1,,2.0\n2,0.0,NaN\n3,2.0,2.0\n')
put('consensus', 'long', 'id,annotator,label\nx,ann,0\nx,bob,1\ny,ann,2\ny,bob,2\nz,bob,1\nz,cy,1\n')
put('consensus', 'long_task', 'task,label,annotator\n1,cat,"a,b"\n2,dog,"a,b"\n1,dog,c\n')
put('consensus', 'label_quality', head('../golden-multiannotator/three_annotators_k3_n200_majority/label_quality.csv', 6))

# decisions --import (ids of the hostile-names manifest the fuzz database queues)
put('decisions', 'all_kinds', 'id,decision,new_label,reviewer,note\n'
    'fm-t10k-00000,relabel,<script>alert(1)</script>,ann,\n'
    'fm-t10k-00008,drop,,ann,"blurry, dark"\n'
    'fm-t10k-00009,keep,,bob,\n'
    'fm-t10k-00011,skip,,bob,"multi\nline"\n')
put('decisions', 'hostile_label', '\ufeffnote,id,new_label,decision\r\n'
    '"x""y",fm-t10k-00012,"Robert\'); DROP TABLE labels;--",relabel\r\n')
put('decisions', 'unknown_id', 'id,decision\nnope,keep\n')
put('decisions', 'export_cols', 'id,decision,new_label,reviewer,note,given,suggested,score,rank,decided_at\n'
    'fm-t10k-00021,relabel,"Bob\'s ""best"", boot",r,,x,y,0.5,1,2026-01-01T00:00:00Z\n')

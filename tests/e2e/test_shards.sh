# test_shards.sh — sharded inputs: `audit --pred-probs 'DIR/part*.npy'
# --labels 'DIR/lab*.npy'` (a glob the program expands, sorted byte-wise) or
# comma-separated lists must give the outputs of the audit on the
# concatenated files, byte for byte (summary.json's *_path lines aside: they
# record the arguments as given):
#   - every golden case cut into 4 shards (one of them empty, the cuts
#     uneven), labels as .npy shards and as CSV shards, with --scores;
#   - a comma-separated list in an order that is not the name order;
#   - float32 + float64 shards (= the float64 concatenation) and float32 +
#     float16 shards (= the float32 concatenation), as np.concatenate types them;
#   - a 600,000 x 10 float32 matrix in 7 shards whose boundaries fall inside
#     the reader's 8 MB chunks;
#   - the refusals: a pattern matching nothing, a shard with another K, a
#     label shard with the wrong row count (naming the shard and both
#     counts), a different number of label shards, float32 with integers,
#     --db; each exits 2 and writes nothing.
. tests/e2e/lib.sh
PY=/usr/bin/python3

# same_cat NAME DIR ARGS...: the sharded audit (ARGS) against the one on
# DIR/cat_p.npy + DIR/cat_l.npy (the concatenation), --scores both
same_cat() {
    name=$1; cat_dir=$2; shift 2
    rm -rf "$TMP/o1" "$TMP/o2"
    la audit --labels "$cat_dir/cat_l.npy" --pred-probs "$cat_dir/cat_p.npy" --scores --quiet --out "$TMP/o1"; r1=$RC
    la audit "$@" --scores --quiet --out "$TMP/o2"; r2=$RC
    if [ "$r1" != 0 ] || [ "$r2" != 0 ]; then fail "$name" "exit $r2 (concatenated $r1): $(head -c 300 "$ERR")"
    elif diff -r -I '_path": ' "$TMP/o1" "$TMP/o2" >"$TMP/d" 2>&1; then pass "$name"
    else fail "$name" "outputs differ: $(head -c 300 "$TMP/d")"; fi
}

# shard SRC_DIR DEST: cat_p/cat_l (the concatenation), part0..3 and lab0..3 (.npy, .csv)
shard() {
    $PY - "$1" "$2" <<'EOF'
import os, sys, numpy as np
src, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
P = np.load(src + "/pred_probs.npy"); L = np.load(src + "/labels.npy")
n = len(L); cuts = [0, n // 5, n // 5, n // 2 + 1, n]   # shard 1 is empty
for i in range(4):
    a, b = cuts[i], cuts[i + 1]
    np.save(f"{out}/part{i}.npy", P[a:b]); np.save(f"{out}/lab{i}.npy", L[a:b])
    with open(f"{out}/lab{i}.csv", "w") as f:
        f.write("label\n" + "".join(f"{v}\n" for v in L[a:b]))
np.save(out + "/cat_p.npy", P); np.save(out + "/cat_l.npy", L)
EOF
}

ncases=0
for case in "$GOLDEN"/*/; do
    case=${case%/}
    [ -f "$case/case.json" ] || continue
    c=$(basename "$case"); ncases=$((ncases + 1))
    d="$TMP/$c"
    shard "$case" "$d"
    same_cat "$c: 4 .npy shards, .npy label shards" "$d" --labels "$d/lab*.npy" --pred-probs "$d/part*.npy"
    same_cat "$c: .npy shards, CSV label shards" "$d" --labels "$d/lab?.csv" --pred-probs "$d/part[0-3].npy"
    same_cat "$c: shards, one label file" "$d" --labels "$d/cat_l.npy" --pred-probs "$d/part*.npy"
done
check "golden cases found ($ncases)" test "$ncases" -ge 1

# a comma-separated list keeps its order (not the names')
d="$TMP/list"
$PY - "$d" <<'EOF'
import os, sys, numpy as np
d = sys.argv[1]; os.makedirs(d)
rng = np.random.default_rng(7)
n, k = 3000, 4
y = rng.integers(0, k, n)
lg = rng.normal(0, 1, (n, k)); lg[np.arange(n), y] += 1.5
p = np.exp(lg); p /= p.sum(1, keepdims=True)
np.save(d + "/z.npy", p[:1000]); np.save(d + "/a.npy", p[1000:])
np.save(d + "/lz.npy", y[:1000]); np.save(d + "/la.npy", y[1000:])
np.save(d + "/cat_p.npy", p); np.save(d + "/cat_l.npy", y)
# dtypes: float32 + float64 is float64, float32 + float16 is float32 (np.concatenate)
m = d + "/mix"; os.makedirs(m)
p32, p64, p16 = p[:1200].astype(np.float32), p[1200:], p[1200:].astype(np.float16)
np.save(m + "/a.npy", p32); np.save(m + "/b64.npy", p64); np.save(m + "/b16.npy", p16)
np.save(m + "/cat_p.npy", np.concatenate([p32, p64])); np.save(m + "/cat_l.npy", y)
h = d + "/half"; os.makedirs(h)
np.save(h + "/cat_p.npy", np.concatenate([p32, p16])); np.save(h + "/cat_l.npy", y)
assert np.concatenate([p32, p16]).dtype == np.float32
np.save(d + "/ints.npy", np.zeros((10, k), dtype=np.int64))
np.save(d + "/k3.npy", p[:10, :3])
np.save(d + "/lbad.npy", y[:999])
EOF
same_cat "comma list in its own order (z before a)" "$d" --labels "$d/lz.npy,$d/la.npy" --pred-probs "$d/z.npy,$d/a.npy"
same_cat "float32 + float64 shards = the float64 concatenation" "$d/mix" --labels "$d/cat_l.npy" \
    --pred-probs "$d/mix/a.npy,$d/mix/b64.npy"
same_cat "float32 + float16 shards = the float32 concatenation" "$d/half" --labels "$d/cat_l.npy" \
    --pred-probs "$d/mix/a.npy,$d/mix/b16.npy"

# a multi-chunk matrix: 8 MB chunks are 209,715 rows; shard cuts inside them
N=${LA_SHARD_N:-600000}
s="$TMP/syn"
$PY - "$s" "$N" <<'EOF'
import os, sys, numpy as np
out, n = sys.argv[1], int(sys.argv[2]); os.makedirs(out)
rng = np.random.default_rng(18)
k = 10
y = rng.integers(0, k, n)
lg = rng.normal(0, 1.5, (n, k)); lg[np.arange(n), y] += 2.0
p = np.exp(lg); p /= p.sum(1, keepdims=True)
p = (np.round(p * 32) / 32).astype(np.float32)
flip = rng.random(n) < 0.2          # 20% of labels changed
y[flip] = rng.integers(0, k, flip.sum())
cuts = sorted(set([0, 1, 100000, 209714, 209716, 400000, n - 3, n]))
for i in range(len(cuts) - 1):
    np.save(f"{out}/part{i:02d}.npy", p[cuts[i]:cuts[i + 1]])
np.save(out + "/cat_p.npy", p); np.save(out + "/cat_l.npy", y)
EOF
same_cat "${N} x 10 float32 in 7 shards across chunk boundaries" "$s" --labels "$s/cat_l.npy" --pred-probs "$s/part*.npy"

# ---- refusals -----------------------------------------------------------
refused() {   # refused NAME REGEX ARGS...
    name=$1; re=$2; shift 2
    rm -rf "$TMP/r"
    la audit "$@" --out "$TMP/r"
    expect_rc 2 "$name: exit 2"
    expect_err "$re" "$name: the message"
    check "$name: no output" test ! -e "$TMP/r"
}
refused "no match" "nope/\\*\\.npy: the pattern matches no file" --labels "$d/cat_l.npy" --pred-probs "$d/nope/*.npy"
refused "another K" "k3.npy: this shard has 3 columns but .*z.npy has 4" --labels "$d/cat_l.npy" \
    --pred-probs "$d/z.npy,$d/k3.npy"
refused "label shard rows" "lbad.npy: 999 labels but probability shard .*z.npy has 1000 rows" \
    --labels "$d/lbad.npy,$d/la.npy" --pred-probs "$d/z.npy,$d/a.npy"
refused "label shard count" "1 label shards but .* has 2 probability shards" --labels "$d/lz*.npy" \
    --pred-probs "$d/z.npy,$d/a.npy"
refused "empty list entry" "entry 2 of the comma-separated file list is empty" --labels "$d/lz.npy,,$d/la.npy" \
    --pred-probs "$d/z.npy,$d/a.npy"
refused "float32 with integers" "ints.npy: this shard holds integers while other shards are float32" \
    --labels "$d/cat_l.npy" --pred-probs "$d/mix/a.npy,$d/ints.npy"
refused "--db" "--db records one probability file, not shards" --labels "$d/cat_l.npy" \
    --pred-probs "$d/z.npy,$d/a.npy" --db "$TMP/r.db"

#!/bin/sh
# test_interop.sh — files as pandas and numpy write them mean what they meant
# (issue 14): probability and label CSVs with a pandas index column, a 0..K-1
# header or an id column; float16 and Fortran-order .npy; dataset CSVs with
# pandas' unnamed index, an id column not named `id`, very many categories;
# labels with stray whitespace; numbers that overflow a double. Every file is
# made here by Debian's numpy/pandas (/usr/bin/python3); the bad variants must
# exit 2 naming file, line and reason. Skipped without numpy and pandas.
. "$(dirname "$0")/lib.sh"
need_python numpy pandas
D="$TMP/d"
mkdir -p "$D"
"$PY" - "$D" <<'PYEOF'
import sys
import numpy as np
import pandas as pd
d = sys.argv[1]
rng = np.random.default_rng(7)
n, k = 300, 4
t = rng.integers(0, k, size=n)
z = rng.normal(size=(n, k)); z[np.arange(n), t] += 1.5
p = np.exp(z); p /= p.sum(1, keepdims=True)
y = t.copy(); flip = rng.random(n) < 0.1; y[flip] = rng.integers(0, k, size=flip.sum())
np.save(f"{d}/y.npy", y)
np.save(f"{d}/y2.npy", y % 2)
np.save(f"{d}/p.npy", p)
np.save(f"{d}/p_f.npy", np.asfortranarray(p))
np.save(f"{d}/p32.npy", p.astype(np.float32))
np.save(f"{d}/p32_f.npy", np.asfortranarray(p.astype(np.float32)))
h = p.astype(np.float16)
np.save(f"{d}/p16.npy", h)
np.save(f"{d}/p16_f.npy", np.asfortranarray(h))
np.save(f"{d}/p16_as64.npy", h.astype(np.float64))
pd.DataFrame(p).to_csv(f"{d}/p_index.csv")                  # ,0,1,2,3 + index
pd.DataFrame(p).to_csv(f"{d}/p_header.csv", index=False)    # 0,1,2,3
pd.DataFrame(p[:, :2] / p[:, :2].sum(1, keepdims=True)).to_csv(f"{d}/p_k2.csv", index=False)
ids = [f"ex{i:04d}" for i in range(n)]
df = pd.DataFrame(p, columns=[f"p{j}" for j in range(k)]); df.insert(0, "id", ids)
df.to_csv(f"{d}/p_id.csv", index=False)
df.sample(frac=1, random_state=3).to_csv(f"{d}/p_id_shuffled.csv", index=False)
bad = df.copy(); bad.loc[5, "id"] = bad.loc[4, "id"]; bad.to_csv(f"{d}/p_id_dup.csv", index=False)
pd.DataFrame({"label": y}).to_csv(f"{d}/y_index.csv")        # ,label + index
pd.Series(y).to_csv(f"{d}/y_series.csv")                     # ,0 + index
pd.DataFrame({"id": ids, "label": y}).to_csv(f"{d}/y_id.csv", index=False)
s = pd.DataFrame({"label": y}, index=pd.Index(ids)); s.to_csv(f"{d}/y_named_index.csv")
# dataset CSVs
m = 200
cls = rng.choice(["Barolo", "Grignolino", "Barbera"], m)
tab = pd.DataFrame({"x1": rng.normal(size=m), "x2": rng.normal(size=m),
                    "color": rng.choice(["red", "white"], m), "label": cls})
tab.to_csv(f"{d}/tab_plain.csv", index=False)
tab.to_csv(f"{d}/tab_index.csv")
pd.read_csv(f"{d}/tab_index.csv").to_csv(f"{d}/tab_unnamed.csv", index=False)   # "Unnamed: 0"
sid = tab.copy(); sid.insert(0, "sample_id", [f"s{i}" for i in range(m)])
sid.to_csv(f"{d}/tab_sample_id.csv", index=False)
both = sid.copy(); both.insert(0, "id", range(m)); both.to_csv(f"{d}/tab_sample_id_and_id.csv", index=False)
near = sid.copy(); near.loc[:5, "sample_id"] = "s0"; near.to_csv(f"{d}/tab_near_unique.csv", index=False)
many = pd.DataFrame({"x": rng.normal(size=3000), "zip": [f"z{i % 1500}" for i in range(3000)],
                     "label": rng.choice(["a", "b"], 3000)})
many.to_csv(f"{d}/tab_many_levels.csv", index=False)
sp = tab.copy(); sp.loc[[3, 8, 9], "label"] = sp.loc[[3, 8, 9], "label"] + " "
sp.to_csv(f"{d}/tab_spaces.csv", index=False)
PYEOF
[ -s "$D/y.npy" ] || { fail "interop: fixtures" "numpy/pandas could not write them"; exit 0; }

# ---- probabilities: every spelling audits exactly like the C-order float64 .npy
la audit --labels "$D/y.npy" --pred-probs "$D/p.npy" --out "$TMP/ref" --quiet
expect_rc 0 "interop: reference audit (C-order float64 .npy)"
same_audit() {   # name, then audit arguments: the mask and the ranking equal the reference's
    name=$1; ref=$2; shift 2
    la audit "$@" --out "$TMP/cmp" --quiet
    if [ "$RC" != 0 ]; then fail "$name" "exit $RC: $(head -c 400 "$ERR")"; return; fi
    if cmp -s "$ref/is_label_issue.csv" "$TMP/cmp/is_label_issue.csv" && cmp -s "$ref/ranked.csv" "$TMP/cmp/ranked.csv"
    then pass "$name"; else fail "$name" "results differ from $ref"; fi
    rm -rf "$TMP/cmp"
}
same_audit "interop: Fortran-order float64 .npy = C order" "$TMP/ref" --labels "$D/y.npy" --pred-probs "$D/p_f.npy"
same_audit "interop: pandas df.to_csv() (index column, 0..K-1 header) = .npy" "$TMP/ref" \
    --labels "$D/y.npy" --pred-probs "$D/p_index.csv"
same_audit "interop: to_csv(index=False) (header 0..K-1 is a header, not data) = .npy" "$TMP/ref" \
    --labels "$D/y.npy" --pred-probs "$D/p_header.csv"
same_audit "interop: probability CSV with an id column (in label order) = .npy" "$TMP/ref" \
    --labels "$D/y_id.csv" --pred-probs "$D/p_id.csv"
la audit --labels "$D/y.npy" --pred-probs "$D/p32.npy" --out "$TMP/ref32" --quiet
same_audit "interop: Fortran-order float32 .npy = C order" "$TMP/ref32" --labels "$D/y.npy" --pred-probs "$D/p32_f.npy"
la audit --labels "$D/y.npy" --pred-probs "$D/p16_as64.npy" --out "$TMP/ref16" --quiet
same_audit "interop: float16 .npy = its exact float64 conversion" "$TMP/ref16" --labels "$D/y.npy" --pred-probs "$D/p16.npy"
same_audit "interop: Fortran-order float16 .npy = its exact conversion" "$TMP/ref16" \
    --labels "$D/y.npy" --pred-probs "$D/p16_f.npy"
la audit --labels "$D/y2.npy" --pred-probs "$D/p_k2.csv" --out "$TMP/k2" --quiet
expect_rc 0 "interop: K = 2 CSV with header 0,1 loads"
check "interop: K = 2 header 0,1 is not a data row (300 rows)" \
    sh -c "[ \$(wc -l < '$TMP/k2/is_label_issue.csv') -eq 301 ]"
la audit --labels "$D/y.npy" --pred-probs "$D/p_id_dup.csv" --out "$TMP/dup" --quiet
expect_rc 2 "interop: duplicate id in a probability CSV refused"
expect_err "p_id_dup\\.csv:7: duplicate id 'ex0004' \\(also on line 6\\)" "interop: duplicate id named with both lines"

# ---- labels: pandas spellings = the .npy
same_audit "interop: labels df.to_csv() (index column) = .npy" "$TMP/ref" --labels "$D/y_index.csv" --pred-probs "$D/p.npy"
same_audit "interop: labels Series.to_csv() (index, column '0') = .npy" "$TMP/ref" \
    --labels "$D/y_series.csv" --pred-probs "$D/p.npy"
same_audit "interop: labels with a named index (ids) = .npy" "$TMP/ref" \
    --labels "$D/y_named_index.csv" --pred-probs "$D/p.npy"

# ---- dataset CSVs
la inspect "$D/tab_plain.csv" --format json
cp "$OUT" "$TMP/plain.json"
la inspect "$D/tab_index.csv" --format json
expect_rc 0 "interop: dataset df.to_csv() loads"
check "interop: pandas index column is the id, not a feature (D = 4)" grep -q '"d": 4' "$OUT"
check "interop: pandas index column typed id" sh -c "tr -d ' \\n' < '$OUT' | grep -q '{\"name\":\"\",\"type\":\"id\"'"
la inspect "$D/tab_unnamed.csv" --format json
check "interop: 'Unnamed: 0' column is the id (D = 4)" grep -q '"d": 4' "$OUT"
la inspect "$D/tab_sample_id.csv"
expect_rc 0 "interop: unique string column without an id column loads"
expect_out "sample_id +id " "interop: unique string column taken as the id (inspect says so)"
expect_err "tab_sample_id\\.csv: column 'sample_id' has a different value in every row: used as the id column" \
    "interop: taking sample_id as the id is a warning"
expect_out "features  4" "interop: sample_id not one-hot encoded"
la inspect "$D/tab_sample_id_and_id.csv"
expect_rc 2 "interop: unique string column beside an id column refused"
expect_err "tab_sample_id_and_id\\.csv:1: column 'sample_id': 200 distinct values in 200 rows: .*--id-col sample_id.*--features" \
    "interop: refusal names the column, --id-col and --features"
la inspect "$D/tab_near_unique.csv"
expect_rc 2 "interop: nearly unique string column refused"
expect_err "column 'sample_id': 195 distinct values in 200 rows" "interop: nearly unique column named with its counts"
la inspect "$D/tab_sample_id_and_id.csv" --features x1,x2,color
expect_rc 0 "interop: --features leaves the id-like column out"
la inspect "$D/tab_many_levels.csv"
expect_rc 0 "interop: 1500-level categorical column loads"
expect_err "column 'zip' has 1500 distinct values: one-hot encoding makes 1500 features" "interop: many levels warned"

# ---- whitespace: one rule (trim, warn naming the first lines)
la inspect "$D/tab_spaces.csv" --format json
expect_rc 0 "interop: labels with trailing spaces load"
check "interop: 'Barolo ' and 'Barolo' are one class (3 classes)" grep -q '"k": 3' "$OUT"
expect_err "tab_spaces\\.csv: 3 labels had leading or trailing whitespace, trimmed \\(first on lines 5, 10, 11\\)" \
    "interop: trimmed labels named by line"
printf 'cat\n dog\ndog \n' >"$TMP/ws_classes.txt"
la inspect "$D/tab_plain.csv" --classes "$TMP/ws_classes.txt"
expect_rc 2 "interop: class list names differing only by spaces refused"
expect_err "ws_classes\\.txt:3: class 'dog' listed twice \\(also on line 2\\)" "interop: class list duplicate after trimming named"

# ---- numbers beyond a double
printf 'x,label\n1.5,a\n1e999,b\n2,a\n' >"$TMP/big.csv"
la inspect "$TMP/big.csv"
expect_rc 2 "interop: 1e999 refused"
expect_err "big\\.csv:3: column 'x': number '1e999' \\(5 characters\\) is too large for a double" "interop: 1e999 named by line and column"
"$PY" -c "
import sys
sys.stdout.write('label,a,x\nq,1,2\nr,2,' + '9' * 5000000 + '\nq,3,4\n')" >"$TMP/digits.csv"
la inspect "$TMP/digits.csv"
expect_rc 2 "interop: a 5 MB run of digits refused"
expect_err "digits\\.csv:3: column 'x': number '9{24}\\.\\.\\.' \\(5000000 characters\\) is too large" \
    "interop: long number named by line and column"

# ---- the wiring (issue 14, command side) ------------------------------------
W="$TMP/w"
mkdir -p "$W/np"
"$PY" - "$W" <<'PYEOF'
import sys
import numpy as np
import pandas as pd
w = sys.argv[1]
rng = np.random.default_rng(11)
n, k = 240, 12
y = np.arange(n) % k
X = rng.normal(size=(n, 3)) + y[:, None] * 0.8
# integer class names 0..11: cv must keep label k = column k
pd.DataFrame({"id": [f"r{i}" for i in range(n)], "a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "label": y}) \
    .to_csv(f"{w}/ints.csv", index=False)
names = np.array(["cat", "dog", "eel"])
z = rng.normal(size=(n, 3)); t = np.arange(n) % 3; z[np.arange(n), t] += 2
p = np.exp(z); p /= p.sum(1, keepdims=True)
ids = [f"s{i:03d}" for i in range(n)]
pd.DataFrame({"id": ids, "label": names[t]}).to_csv(f"{w}/names.csv", index=False)
np.save(f"{w}/np/p.npy", p)
pd.DataFrame(p, columns=names).to_csv(f"{w}/p_named.csv", index=False)
# the same probabilities with an id column, rows shuffled
perm = rng.permutation(n)
q = pd.DataFrame(p[perm], columns=names); q.insert(0, "id", np.array(ids)[perm])
q.to_csv(f"{w}/p_ids.csv", index=False)
q.iloc[1:].to_csv(f"{w}/p_ids_short.csv", index=False)
np.save(f"{w}/y.npy", t)
# a dataset whose labels are trimmed (warning), with a missing cell and
# custom label/id column names
d = pd.DataFrame({"sid": ids, "x": X[:, 0], "v": X[:, 1], "species": [s + (" " if i % 50 == 0 else "")
                  for i, s in enumerate(names[t])]})
d.loc[3, "v"] = np.nan
d.to_csv(f"{w}/custom.csv", index=False)
PYEOF

# class order: integer names by value; cv's columns are the classes 0..11
la cv --data "$W/ints.csv" --model logreg --folds 3 --out "$W/cvi/pp.npy" --quiet --format json
expect_rc 0 "class order: cv on integer labels 0..11"
check "class order: classes.txt is 0,1,...,11 (not 0,1,10,11,2,...)" \
    test "$(tr '\n' , < "$W/cvi/classes.txt")" = "0,1,2,3,4,5,6,7,8,9,10,11,"
check "class order: argmax of pred_probs against the file's labels = cv's accuracy" "$PY" -c '
import json, sys, numpy as np, pandas as pd
p = np.load(sys.argv[1]); y = pd.read_csv(sys.argv[2])["label"].values
acc = json.load(open(sys.argv[3]))["accuracy"]
sys.exit(not abs((p.argmax(1) == y).mean() - acc) < 1e-9)' "$W/cvi/pp.npy" "$W/ints.csv" "$W/cvi/metrics.json"
la inspect "$W/ints.csv" --format json
check "class order: inspect lists 0..11 by value" "$PY" -c '
import json, sys; d = json.load(open(sys.argv[1])); sys.exit([c["name"] for c in d["classes"]] != [str(i) for i in range(12)])' "$OUT"

# names against unnamed columns: refused, with how to give the order
la audit --labels "$W/names.csv" --pred-probs "$W/np/p.npy" --out "$W/a_bad"
expect_rc 2 "names vs .npy columns: refused"
expect_err "names\.csv.*class names .*carry no names.*--classes FILE" "names vs .npy columns: says how to give the order"
la metrics --labels "$W/names.csv" --pred-probs "$W/np/p.npy"
expect_rc 2 "metrics: names vs .npy columns refused"
printf 'cat\ndog\neel\n' > "$W/np/classes.txt"
la audit --labels "$W/names.csv" --pred-probs "$W/np/p.npy" --out "$W/a_beside" --quiet
expect_rc 0 "classes.txt beside the .npy gives the column order"
la audit --labels "$W/names.csv" --pred-probs "$W/p_named.csv" --out "$W/a_named" --quiet
expect_rc 0 "a class-name header gives the column order"
check "classes.txt beside = named header: same flags" cmp -s "$W/a_beside/label_issues.csv" "$W/a_named/label_issues.csv"
check "audit writes classes.txt" test "$(tr '\n' , < "$W/a_named/classes.txt")" = "cat,dog,eel,"
printf 'a\nb\n' > "$W/np/classes.txt"
la audit --labels "$W/y.npy" --pred-probs "$W/np/p.npy" --out "$W/a_stale" --quiet
expect_rc 0 "a classes.txt of another length is not used"
expect_err "classes\.txt lists 2 classes but .*p\.npy has 3 columns: not used" "... and says so"

# id matching: rows of a probability CSV matched to the labels' ids
la audit --labels "$W/names.csv" --pred-probs "$W/p_ids.csv" --out "$W/a_ids" --quiet
expect_rc 0 "probability CSV with ids in another order"
check "ids matched: the same flags as the aligned file" cmp -s "$W/a_ids/label_issues.csv" "$W/a_named/label_issues.csv"
la audit --labels "$W/names.csv" --pred-probs "$W/p_ids_short.csv" --out "$W/a_short"
expect_rc 2 "an id of the labels without a probability row: refused"
expect_err "p_ids_short\.csv: 1 id of .*names\.csv has no row here: 's" "refusal names the file and the id"
la metrics --labels "$W/names.csv" --pred-probs "$W/p_ids.csv" --format json
expect_rc 0 "metrics matches ids too"
la metrics --labels "$W/names.csv" --pred-probs "$W/p_named.csv" --format json
cp "$OUT" "$W/m_named.json"
la metrics --labels "$W/names.csv" --pred-probs "$W/p_ids.csv" --format json
check "metrics: id-matched = aligned" "$PY" -c '
import json, sys; a, b = (json.load(open(f)) for f in sys.argv[1:]); sys.exit(a["accuracy"] != b["accuracy"])' "$OUT" "$W/m_named.json"
la audit --labels "$W/y.npy" --pred-probs "$W/p_ids.csv" --out "$W/a_noids" --quiet
expect_rc 0 ".npy labels with an id-carrying probability CSV"
expect_err "p_ids\.csv has an id column, but .*y\.npy has no ids to match it by" "... warns that rows go by order"

# outputs are what their names say
la cv --data "$W/ints.csv" --model logreg --folds 3 --out "$W/cvc/pp.csv" --quiet
expect_rc 0 "cv --out p.csv"
check "cv --out p.csv writes CSV with the class names as header" "$PY" -c '
import sys, pandas as pd; d = pd.read_csv(sys.argv[1]); sys.exit(list(d.columns) != [str(i) for i in range(12)] or len(d) != 240)' "$W/cvc/pp.csv"
la cv --data "$W/ints.csv" --model logreg --folds 3 --out "$W/cvc/pp.txt" --quiet
expect_rc 2 "cv --out p.txt: refused"
expect_err "pp\.txt: the probabilities are written as \.npy .* or \.csv" "... naming the accepted names"
la audit --labels "$W/names.csv" --pred-probs "$W/p_named.csv" --out "$W/a_rerun" --scores --quiet
check "audit --scores wrote score files" test -e "$W/a_rerun/label_quality_self_confidence.csv"
la audit --labels "$W/names.csv" --pred-probs "$W/p_named.csv" --out "$W/a_rerun" --quiet
expect_rc 0 "audit rerun without --scores"
check "the rerun's directory holds no previous label_quality_*.csv" \
    test -z "$(ls "$W/a_rerun" | grep label_quality_)"

# warnings printed by every command; loader options reused from the run; clean without --missing
la cv --data "$W/custom.csv" --label-col species --id-col sid --missing mean --model logreg --folds 3 \
    --out "$W/cvu/pp.npy" --quiet
expect_rc 0 "cv with --label-col/--id-col/--missing"
expect_err "custom\.csv: 5 labels had leading or trailing whitespace, trimmed" "cv prints the loader's warnings"
la audit --data "$W/custom.csv" --label-col species --id-col sid --missing mean --pred-probs "$W/cvu/pp.npy" \
    --out "$W/au" --db "$W/u.db" --quiet
expect_rc 0 "audit --db records the loader options"
expect_err "trimmed" "audit prints the loader's warnings"
la clean --db "$W/u.db" --data "$W/custom.csv" --auto drop --out "$W/clu"
expect_rc 0 "clean reuses --label-col/--id-col from the run and needs no --missing"
check "clean copied the row with a missing cell byte for byte" sh -c "grep -Fx \"\$(grep '^s003,' '$W/custom.csv')\" '$W/clu/custom.csv' || ! grep -q '^s003,' '$W/clu/custom.csv'"
la retrain --data "$W/clu/custom.csv" --test "$W/custom.csv" --missing mean --db "$W/u.db" --model logreg \
    --out "$W/rtu" --quiet
expect_rc 0 "retrain --db reuses --label-col/--id-col"
la clean --db "$W/u.db" --data "$W/custom.csv" --label-col nope --auto drop --out "$W/clu2"
expect_rc 2 "an option given again overrides the recorded one"
expect_err "custom\.csv.*nope" "... and the refusal names the file and the column"

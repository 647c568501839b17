#!/bin/sh
# bench_loop.sh — proves the feedback loop pays, on Fashion-MNIST from Debian's
# dataset-fashion-mnist (/usr/share/datasets/fashion-mnist: 60000 train,
# 10000 t10k). Every step runs under nice; figures go to $W/results.md.
#
#  1. noise: 20% and 40% asymmetric label noise (bench/make_noise.py, the rule
#     of shared/data/README "noise/", seed 1) on all 60000 training labels;
#     test accuracy on the clean t10k set of the same final model (FINAL: mlp,
#     hidden 256, dropout 0.2, early stopping on its inner validation split)
#     trained on
#       (a) the noisy labels,
#       (b) labels cleaned automatically: cv (5 folds) + audit + clean
#           --auto drop, and --auto relabel; cv once per entry of CVS:
#             mlp     = the FINAL model's settings (plain cross-entropy)
#             coteach = mlp with --coteach, 10 epochs, --forget-epochs 5,
#                       --forget-rate = the noise rate estimated by the
#                       audit of the cv mlp run (its error_rate; Han et al.
#                       2018 use the known rate: FORGET=R fixes it)
#       (c) the true labels;
#     each final model trained once per seed of SEEDS ("0 1 2"; mean and
#     per seed reported); plus the audit's precision/recall against the
#     injected flips, and (REF=1)
#     a reference row: `retrain --coteach` on the noisy labels (a different
#     final model). SUB < 60000 = a seeded stratified subsample.
#  2. imbalance: a 99:1 binary task from T-shirt/top (majority) and Shirt
#     (rare), bench/loop_data.py imbalance, seeds 1 2 3; rare-class recall,
#     precision, F1, PR-AUC at argmax, and recall at the threshold chosen for
#     precision >= 0.5 (labelaudit metrics --min-precision 0.5), for plain CE,
#     class-balanced loss, focal (gamma 2), oversampling with augmentation,
#     focal + oversampling, and decoupled rebalancing. Model: mlp (hidden 128,
#     20 epochs).
#
# diag (after noise, same W): the kept examples of cv coteach + --auto
# drop with their true labels, --auto drop --min-quality MINQ (0.05), and
# --auto drop --relabel-below MINQ (relabel the surest, drop the rest).
# round2 (after noise, same W): the whole loop again on that output.
# lrfinal (after noise, same W): the same labels with logreg as the final model.
#
# Environment: LA (binary, default ./labelaudit), W (work dir, default
# /tmp/la-bench-loop), FM (dataset dir), PARTS ("noise diag round2 lrfinal
# imbalance"; diag, round2 and lrfinal alone reuse a finished noise part in W), SUB
# (60000), RATES ("20 40"), CVS ("mlp coteach"; coteach needs mlp's audit in
# W), FORGET (unset), SEEDS ("0 1 2"), REF (1), NICE (nice level, 10).
# CPU seconds (user + sys) of every cv and retrain go to $W/cpu.txt.
set -eu
LA=${LA:-$(pwd)/labelaudit}
W=${W:-/tmp/la-bench-loop}
FM=${FM:-/usr/share/datasets/fashion-mnist}
PARTS=${PARTS:-"noise diag round2 lrfinal imbalance"}
PY=/usr/bin/python3
HERE=$(cd "$(dirname "$0")" && pwd)
N="nice -n ${NICE:-10}"
if [ ! -f "$FM/train-images-idx3-ubyte.gz" ]; then
    echo "bench_loop: $FM not found (apt-get install dataset-fashion-mnist); skipped"; exit 0
fi
if ! $PY -c 'import numpy' 2>/dev/null; then
    echo "bench_loop: needs python3-numpy; skipped"; exit 0
fi
mkdir -p "$W"
R="$W/results.md"
: > "$R"
SUB=${SUB:-60000}
TRAIN="$FM/train-images-idx3-ubyte.gz"
TRAIN_LABELS="$FM/train-labels-idx1-ubyte.gz"
TEST="$FM/t10k-images-idx3-ubyte.gz"
# examples in an uncompressed Fashion-MNIST IDX image file (16-byte header, 28 x 28 bytes each)
nimg() { echo $(( ( $(stat -c %s "$1") - 16 ) / 784 )); }
acc() { $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.4f %.4f" % (d["accuracy"], d["macro_f1"]))' "$1"; }
log() { echo "$*"; echo "$*" >> "$R"; }
t0=$(date +%s)

FINAL="--model mlp --hidden 256 --dropout 0.2"
CV_mlp="$FINAL"
CV_coteach="--model mlp --hidden 256 --coteach --epochs 10 --forget-epochs 5"
CVS=${CVS:-"mlp coteach"}
# timed NAME CMD...: runs CMD under nice, appends "NAME cpu_s wall_s" to cpu.txt
timed() {
    name=$1; shift
    /usr/bin/time -f "%U %S %e" -o "$W/time.tmp" $N "$@"
    awk -v n="$name" '{printf "%s %.1f %.1f\n", n, $1 + $2, $3}' "$W/time.tmp" >> "$W/cpu.txt"
}
SEEDS=${SEEDS:-"0 1 2"}
# final TAG ARGS...: the FINAL model on the training set ARGS, once per seed
# of SEEDS (initialization, minibatch order, dropout, inner validation
# split), into $W/TAG/sS; prints "mean_accuracy mean_macro_f1 acc_s0/acc_s1/..."
final() {
    tag=$1; shift
    for s in $SEEDS; do
        timed "retrain-$tag-seed$s" "$LA" retrain "$@" --test "$TEST" --out "$W/$tag/s$s" $FINAL --seed $s \
            --quiet >/dev/null
    done
    $PY - "$W/$tag" $SEEDS <<'PYEOF'
import json, sys
m = [json.load(open("%s/s%s/metrics.json" % (sys.argv[1], s))) for s in sys.argv[2:]]
acc = [d["accuracy"] for d in m]
print("%.4f %.4f %s" % (sum(acc) / len(acc), sum(d["macro_f1"] for d in m) / len(m),
                        "/".join("%.4f" % a for a in acc)))
PYEOF
}
if [ "$SUB" -lt 60000 ]; then
    $PY "$HERE/loop_data.py" subsample "$FM" "$SUB" 1 "$W/sub"
    TRAIN="$W/sub/train-images-idx3-ubyte"; TRAIN_LABELS="$W/sub/train-labels-idx1-ubyte"
fi
case " $PARTS " in *" noise "*)
: > "$W/cpu.txt"; rm -f "$W/cvacc.txt"
$PY "$HERE/loop_data.py" labels "$TRAIN_LABELS" "$W/true.csv"
NTR=$(($(wc -l < "$W/true.csv") - 1))
log "## 1. label noise: Fashion-MNIST, $NTR training images, 10000 test; final model: $FINAL, seeds $SEEDS"
log ""
log "| noise | labels trained on | audit flagged | flagged that were flipped (precision) | flips flagged (recall) | label accuracy vs truth | examples | test accuracy (mean) | test macro F1 (mean) | test accuracy per seed |"
log "|---|---|---|---|---|---|---|---|---|---|"
set -- $(final true --data "$TRAIN")
TRUE_ROW="$1 | $2 | $3"
for rate in ${RATES:-20 40}; do
    $PY "$HERE/make_noise.py" "$W/true.csv" "fashion-mnist-$NTR" 1 $rate "$W/noise$rate.csv"
    $PY "$HERE/loop_data.py" noisy "$W/noise$rate.csv" "$W/noisy$rate.csv"
    nacc=$(awk -F, 'NR>1{n++; if ($2==$3) s++} END {printf "%.4f", s/n}' "$W/noise$rate.csv")
    set -- $(final a$rate --data "$TRAIN" --labels "$W/noisy$rate.csv")
    log "| $rate% | (a) noisy | - | - | - | $nacc | $NTR | $1 | $2 | $3 |"
    for cvm in $CVS; do
        eval "cvopts=\$CV_$cvm"
        what="cv $cvm"
        if [ "$cvm" = coteach ]; then
            # the forget rate: the noise rate the plain mlp's audit estimated
            # (error_rate in its summary.json; so run "mlp" first), or FORGET
            if [ -n "${FORGET:-}" ]; then
                fr=$FORGET; src="given"
            else
                fr=$($PY -c 'import json,sys; print("%.2f" % json.load(open(sys.argv[1]))["error_rate"])' \
                    "$W/auditmlp$rate/summary.json"); src="estimated by the cv mlp audit"
            fi
            cvopts="$cvopts --forget-rate $fr"; what="cv coteach (forget rate $fr, $src)"
        fi
        tag="${cvm}$rate"
        rm -f "$W/db$tag.sqlite"
        timed "cv-$tag" "$LA" cv --data "$TRAIN" --labels "$W/noisy$rate.csv" --out "$W/cv$tag/pred_probs.npy" \
            --audit "$W/audit$tag" --db "$W/db$tag.sqlite" $cvopts --quiet >/dev/null
        cvacc=$($PY -c 'import json,sys; print("%.4f" % json.load(open(sys.argv[1]))["accuracy"])' "$W/cv$tag/metrics.json")
        echo "$rate% $what: out-of-fold accuracy against the noisy labels $cvacc" >> "$W/cvacc.txt"
        set -- $($PY "$HERE/loop_data.py" detect "$W/noise$rate.csv" "$W/audit$tag")
        flagged=$1; prec="$3 ($4)"; rec="$3 of $2 ($5)"
        for pol in drop relabel; do
            out="$W/clean${tag}_$pol"
            "$LA" clean --db "$W/db$tag.sqlite" --data "$TRAIN" --labels "$W/noisy$rate.csv" \
                --out "$out" --auto $pol --quiet >/dev/null
            img="$out/train-images-idx3-ubyte"
            nex=$(nimg "$img")
            set -- $(final b${tag}_$pol --data "$img")
            res="$1 | $2 | $3"
            if [ $pol = relabel ]; then
                lacc=$($PY "$HERE/loop_data.py" labelacc "$W/true.csv" "$out/train-labels-idx1-ubyte")
            else
                lacc=$($PY "$HERE/loop_data.py" keptacc "$W/noise$rate.csv" "$out/changes.csv")
            fi
            log "| $rate% | (b) $what, --auto $pol | $flagged | $prec | $rec | $lacc | $nex | $res |"
        done
    done
    log "| $rate% | (c) true | - | - | - | 1.0000 | $NTR | $TRUE_ROW |"
    if [ "${REF:-1}" = 1 ]; then
        fr=${FORGET:-$($PY -c 'import json,sys; print("%.2f" % json.load(open(sys.argv[1]))["error_rate"])' \
            "$W/auditmlp$rate/summary.json")}
        timed "retrain-coteach$rate" "$LA" retrain --data "$TRAIN" --labels "$W/noisy$rate.csv" --test "$TEST" \
            --out "$W/ref_coteach$rate" $CV_coteach --forget-rate $fr --quiet >/dev/null
        set -- $(acc "$W/ref_coteach$rate/metrics.json")
        log "| $rate% | reference: noisy, retrain $CV_coteach --forget-rate $fr (seed 0 only) | - | - | - | $nacc | $NTR | $1 | $2 | $1 |"
    fi
done
log ""
if [ -f "$W/cvacc.txt" ]; then while read -r l; do log "- $l"; done < "$W/cvacc.txt"; rm -f "$W/cvacc.txt"; fi
log ""
log "CPU seconds (user + sys) and wall seconds:"
while read -r l; do log "- $l"; done < "$W/cpu.txt"
log ""
;; esac

case " $PARTS " in *" diag "*)
# Diagnostics on a finished noise part in the same W (needs cv coteach's
# database and clean output per rate): (1) the examples `--auto drop` kept,
# with their TRUE labels: what the drop costs in examples alone; (2) a
# milder drop, only flagged examples with label quality < MINQ (0.05);
# (3) --relabel-below MINQ.
MINQ=${MINQ:-0.05}
log "## diagnostics: final model $FINAL, seeds $SEEDS"
log ""
log "| noise | labels trained on | label accuracy vs truth | examples | test accuracy (mean) | test macro F1 (mean) | test accuracy per seed |"
log "|---|---|---|---|---|---|---|"
# diag_clean SUFFIX OPTS...: clean cv coteach's run with --auto drop OPTS,
# the FINAL model on it, one table row
diag_clean() {
    sfx=$1; shift
    what="$*"
    out="$W/clean${tag}_$sfx"
    "$LA" clean --db "$W/db$tag.sqlite" --data "$TRAIN" --labels "$W/noisy$rate.csv" --out "$out" \
        --auto drop "$@" --quiet >/dev/null
    lacc=$($PY "$HERE/loop_data.py" keptacc "$W/noise$rate.csv" "$out/changes.csv")
    set -- $(final b${tag}_$sfx --data "$out/train-images-idx3-ubyte")
    log "| $rate% | cv coteach, --auto drop $what | $lacc | $(nimg "$out/train-images-idx3-ubyte") | $1 | $2 | $3 |"
}
for rate in ${RATES:-20 40}; do
    tag=coteach$rate
    drop="$W/clean${tag}_drop"
    $PY "$HERE/loop_data.py" keptlabels "$W/noise$rate.csv" "$drop/changes.csv" "$W/kept$rate.csv"
    nex=$(nimg "$drop/train-images-idx3-ubyte")
    set -- $(final kepttrue$rate --data "$drop/train-images-idx3-ubyte" --labels "$W/kept$rate.csv")
    log "| $rate% | the $nex examples cv coteach + --auto drop kept, with their true labels | 1.0000 | $nex | $1 | $2 | $3 |"
    # (2) drop only flags with label quality < MINQ; (3) drop, but relabel
    # those below MINQ (the model sure the given label is wrong) instead
    diag_clean dropq --min-quality "$MINQ"
    diag_clean droprb --relabel-below "$MINQ"
done
log ""
;; esac

case " $PARTS " in *" round2 "*)
# The loop run a second time on its own output (after noise, same W): the
# cv coteach + --auto drop set of each rate goes through cv mlp + audit (its
# error_rate estimates the noise left), cv coteach with that forget rate +
# audit, clean --auto drop, and the FINAL model. Flags are judged against the
# flips still in the set.
log "## second round on the cv coteach + --auto drop output: final model $FINAL, seeds $SEEDS"
log ""
log "| noise | round 2 | flagged | precision | recall | label accuracy vs truth | examples | test accuracy (mean) | test macro F1 (mean) | test accuracy per seed |"
log "|---|---|---|---|---|---|---|---|---|---|"
for rate in ${RATES:-20 40}; do
    D="$W/cleancoteach${rate}_drop"
    $PY "$HERE/loop_data.py" keptlabels "$W/noise$rate.csv" "$D/changes.csv" "$W/kept$rate.csv"
    for cvm in mlp coteach; do
        tag="r2${cvm}$rate"
        eval "cvopts=\$CV_$cvm"
        if [ $cvm = coteach ]; then cvopts="$cvopts --forget-rate $fr"; fi
        rm -f "$W/db$tag.sqlite"
        timed "cv-$tag" "$LA" cv --data "$D/train-images-idx3-ubyte" --out "$W/cv$tag/pred_probs.npy" \
            --audit "$W/audit$tag" --db "$W/db$tag.sqlite" $cvopts --quiet >/dev/null
        if [ $cvm = mlp ]; then
            fr=$($PY -c 'import json,sys; print("%.2f" % json.load(open(sys.argv[1]))["error_rate"])' \
                "$W/audit$tag/summary.json")
        fi
    done
    set -- $($PY "$HERE/loop_data.py" detect "$W/kept$rate.csv" "$W/auditr2coteach$rate")
    flagged=$1; prec="$3 of $1 ($4)"; rec="$3 of $2 ($5)"
    out="$W/clean_r2_$rate"
    "$LA" clean --db "$W/dbr2coteach$rate.sqlite" --data "$D/train-images-idx3-ubyte" --out "$out" \
        --auto drop --quiet >/dev/null
    nex=$(nimg "$out/train-images-idx3-ubyte")
    lacc=$($PY "$HERE/loop_data.py" keptacc "$W/kept$rate.csv" "$out/changes.csv")
    set -- $(final r2_$rate --data "$out/train-images-idx3-ubyte")
    log "| $rate% | cv mlp estimates $fr noise left; cv coteach (R $fr) + audit + --auto drop | $flagged | $prec | $rec | $lacc | $nex | $1 | $2 | $3 |"
done
log ""
;; esac

case " $PARTS " in *" lrfinal "*)
# The same labels with logreg (default recipe, deterministic) as the final
# model instead of the mlp (after noise, same W): true, noisy, and the cv
# coteach / cv mlp clean outputs.
lr() { tag=$1; shift
    timed "retrain-lr-$tag" "$LA" retrain "$@" --test "$TEST" --out "$W/lr_$tag" --model logreg --quiet >/dev/null
    acc "$W/lr_$tag/metrics.json"; }
log "## the same labels, final model logreg (default)"
log ""
log "| noise | labels trained on | examples | test accuracy | test macro F1 |"
log "|---|---|---|---|---|"
set -- $(lr true --data "$TRAIN"); LR_TRUE="$1 | $2"
NTR=$(($(wc -l < "$W/true.csv") - 1))
for rate in ${RATES:-20 40}; do
    set -- $(lr noisy$rate --data "$TRAIN" --labels "$W/noisy$rate.csv")
    log "| $rate% | (a) noisy | $NTR | $1 | $2 |"
    for v in coteach${rate}_drop coteach${rate}_relabel mlp${rate}_drop; do
        img="$W/clean${v}/train-images-idx3-ubyte"
        set -- $(lr "$v" --data "$img")
        log "| $rate% | (b) cv ${v%%[0-9]*}, --auto ${v##*_} | $(nimg "$img") | $1 | $2 |"
    done
    log "| $rate% | (c) true | $NTR | $LR_TRUE |"
done
log ""
;; esac

case " $PARTS " in *" imbalance "*)
MLP="--model mlp --hidden 128 --epochs 20"
log "## 2. 99:1 imbalance: T-shirt/top (majority) vs Shirt (rare); train 4000:40, test 3000:30; mlp hidden 128, 20 epochs"
log ""
log "| seed | training | rare recall | rare precision | rare F1 | rare PR-AUC | recall at precision >= 0.5 (threshold) |"
log "|---|---|---|---|---|---|---|"
for seed in 1 2 3; do
    D="$W/imb$seed"
    $PY "$HERE/loop_data.py" imbalance "$FM" $seed 0 6 "$D"
    for v in ce balanced focal oversample focal+oversample decouple; do
        case $v in
        ce) opts="" ;;
        balanced) opts="--loss balanced --beta 0.999" ;;
        focal) opts="--loss focal --gamma 2" ;;
        oversample) opts="--sampler oversample" ;;
        focal+oversample) opts="--loss focal --gamma 2 --sampler oversample" ;;
        decouple) opts="--decouple" ;;
        esac
        o="$D/$v"
        $N "$LA" retrain --data "$D/train/images-idx3-ubyte" --test "$D/test/images-idx3-ubyte" \
            --out "$o" $MLP $opts --seed $seed --quiet >/dev/null
        "$LA" metrics --labels "$o/test_labels.npy" --pred-probs "$o/test_pred_probs.npy" \
            --classes "$o/classes.txt" --positive rare --min-precision 0.5 --out "$o/m" \
            --format json --quiet > "$o/sweep.json"
        line=$($PY - "$o/metrics.json" "$o/sweep.json" <<'PYEOF'
import json, sys
m = json.load(open(sys.argv[1]))
r = [c for c in m["per_class"] if c["class"] == "rare"][0]
s = json.load(open(sys.argv[2]))
op = s.get("operating_point") or {}
def find(d, key):
    if isinstance(d, dict):
        if key in d: return d[key]
        for v in d.values():
            x = find(v, key)
            if x is not None: return x
    return None
rec = find(op, "recall"); thr = find(op, "threshold")
ops = "none reaches it" if rec is None else "%.4f (%.3g)" % (rec, thr)
print("%.4f | %.4f | %.4f | %.4f | %s" % (r["recall"], r["precision"], r["f1"], r["pr_auc"], ops))
PYEOF
)
        log "| $seed | $v | $line |"
    done
done
log ""
;; esac
log "total $(( $(date +%s) - t0 )) s wall on $(nproc) shared cores"
cat "$R"

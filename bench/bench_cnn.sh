#!/bin/sh
# bench_cnn.sh — the cnn's budget and what it buys (issue 20), on Fashion-MNIST
# (FM: train-images-idx3-ubyte.gz etc.; 60000 train, 10000 t10k). Not part of
# `make test`; every step runs under nice -n $NICE (19). Results: $W/results.md.
#
#  budget  5-fold `cv --model cnn` (defaults, --threads $THREADS) on the
#          training images: wall and CPU seconds, peak RSS, accuracy.
#  detect  one held-out noise draw (bench/make_noise.py, RATE% asymmetric,
#          name "<set>-bench", seed 1; not the shared files), then for each of
#          MODELS (cnn_measure.py syntax: labelaudit cv arguments joined by
#          ':', 'sk' = scikit-learn's MLPClassifier, 'avg:A+B' = the mean of
#          models run before): out-of-fold accuracy against the true labels,
#          flip detection precision / recall / F1 (cleanlab 2.9.0 defaults).
#  loop    the final model (FINAL, a cnn) trained on the noisy labels, on the
#          labels cleaned by `clean --auto drop` with the audit of each model
#          of CLEANERS, and on the true labels; test accuracy on t10k and the
#          share of the noisy-to-true gap recovered: (clean - noisy) / (true - noisy).
#  rounds  docs/cnn.md's two detection rounds with the binary alone: round 1 =
#          the mean of `cv` ROUND_CV and ROUND_CV --augment (audit --pred-probs
#          given twice, --filter-by ROUND_FILTER); `clean --auto relabel`; round 2
#          = `cv` ROUND_CV on those labels averaged with round 1, auditing the
#          original labels; `clean --auto drop`. Flip precision / recall / F1 of
#          both rounds, then FINAL with --seed S for S in SEEDS on the noisy,
#          round-2-dropped and true labels: test accuracy per seed, the means,
#          the share of the means. About 2 h on 2 cores at 60000.
#
# Environment: LA (binary, ./labelaudit), FM (/work/shared/data/fashion-mnist,
# else /usr/share/datasets/fashion-mnist), W (/tmp/la-bench-cnn), SUB (60000:
# a seeded stratified subsample when smaller), RATE (20), PARTS ("budget
# detect loop"), MODELS ("logreg mlp cnn avg:logreg+mlp+cnn sk"), CLEANERS
# ("cnn avg_logreg_mlp_cnn"), FINAL ("--model cnn"), THREADS (2), NICE (19),
# ROUND_CV ("--model cnn"), ROUND_FILTER (noise_posterior; session 10 used
# low_normalized_margin), SEEDS ("0 1 2").
set -eu
LA=${LA:-$(pwd)/labelaudit}
ROUND_FILTER=${ROUND_FILTER:-noise_posterior}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
FM=${FM:-/work/shared/data/fashion-mnist}
[ -f "$FM/train-images-idx3-ubyte.gz" ] || FM=/usr/share/datasets/fashion-mnist
if [ ! -f "$FM/train-images-idx3-ubyte.gz" ]; then echo "bench_cnn: no Fashion-MNIST found; skipped"; exit 0; fi
if ! $PY -c 'import numpy' 2>/dev/null; then echo "bench_cnn: needs python3-numpy; skipped"; exit 0; fi
W=${W:-/tmp/la-bench-cnn}
SUB=${SUB:-60000}
RATE=${RATE:-20}
PARTS=${PARTS:-"budget detect loop"}
MODELS=${MODELS:-"logreg mlp cnn avg:logreg+mlp+cnn sk"}
CLEANERS=${CLEANERS:-"cnn avg_logreg_mlp_cnn"}
FINAL=${FINAL:-"--model cnn"}
ROUND_CV=${ROUND_CV:-"--model cnn"}
SEEDS=${SEEDS:-"0 1 2"}
THREADS=${THREADS:-2}
NICE=${NICE:-19}
N="nice -n $NICE"
export LA W NICE
mkdir -p "$W"
R="$W/results.md"
log() { echo "$*"; echo "$*" >> "$R"; }
# timed TAG CMD...: runs CMD under nice; "wall cpu peak_MB" of it in $W/TAG.time
timed() {
    t_name=$1; shift
    /usr/bin/time -f "%e %U %S %M" -o "$W/$t_name.time.raw" $N "$@"
    awk '{printf "%.0f %.0f %.0f\n", $1, $2 + $3, $4 / 1024}' "$W/$t_name.time.raw" > "$W/$t_name.time"
}
acc() { $PY -c 'import json,sys; print("%.4f" % json.load(open(sys.argv[1]))["accuracy"])' "$1"; }

TRAIN="$FM/train-images-idx3-ubyte.gz"
TEST="$FM/t10k-images-idx3-ubyte.gz"
if [ "$SUB" -lt 60000 ]; then
    $PY "$HERE/loop_data.py" subsample "$FM" "$SUB" 1 "$W/sub"
    TRAIN="$W/sub/train-images-idx3-ubyte"
    # the class names, so the cleaned subset and t10k agree on them
    [ -f "$FM/classes.txt" ] && cp "$FM/classes.txt" "$W/sub/classes.txt"
fi
log "# bench_cnn: Fashion-MNIST, $SUB training images, $(nproc) cores, nice $NICE, $(date -u +%Y-%m-%dT%H:%MZ)"
log ""

case " $PARTS " in *" budget "*)
    timed budget "$LA" cv --data "$TRAIN" --out "$W/budget/p.npy" --model cnn --threads "$THREADS" --quiet
    set -- $(cat "$W/budget.time")
    log "## budget: 5-fold cv --model cnn, --threads $THREADS"
    log ""
    log "| examples | wall s | CPU s | peak RSS MB | out-of-fold accuracy |"
    log "|---|---|---|---|---|"
    log "| $SUB | $1 | $2 | $3 | $(acc "$W/budget/metrics.json") |"
    log ""
esac

DRAW=$(basename "$TRAIN" | cut -d. -f1)
DRAW="$W/${DRAW}_n${SUB}_asym${RATE}_s1"
case " $PARTS " in *" detect "*)
    log "## detect: $RATE% asymmetric noise (make_noise.py, seed 1)"
    log ""
    log "| draw | model | OOF accuracy vs true labels | precision | recall | F1 | wall s | CPU s |"
    log "|---|---|---|---|---|---|---|---|"
    $PY "$HERE/cnn_measure.py" "$TRAIN" asym "$RATE" 1 $MODELS | tee -a "$R"
    log ""
esac

case " $PARTS " in *" loop "*)
    # final TAG ARGS...: FINAL on the training set ARGS, tested on t10k
    final() {
        tag=$1; shift
        timed "final-$tag" "$LA" retrain "$@" --test "$TEST" --out "$W/final/$tag" $FINAL --threads "$THREADS" --quiet
        acc "$W/final/$tag/metrics.json"
    }
    noisy=$(final noisy --data "$TRAIN" --labels "$DRAW/noisy.csv")
    true_=$(final true --data "$TRAIN")
    log "## loop: final model '$FINAL' tested on t10k ($RATE% asymmetric noise)"
    log ""
    log "| labels trained on | examples | test accuracy | share of the gap recovered | final fit wall s / CPU s |"
    log "|---|---|---|---|---|"
    log "| noisy | $SUB | $noisy | 0 | $(cut -d' ' -f1,2 "$W/final-noisy.time" | tr ' ' /) |"
    for c in $CLEANERS; do
        out="$W/clean_$c"
        "$LA" clean --db "$DRAW/$c/db.sqlite" --data "$TRAIN" --labels "$DRAW/noisy.csv" --out "$out" \
            --auto drop --quiet >/dev/null
        img=$(ls "$out"/*images-idx3-ubyte* | head -1)
        nex=$(( ( $(stat -c %s "$img") - 16 ) / 784 ))
        a=$(final "clean_$c" --data "$img")
        share=$($PY -c 'import sys; n, c, t = map(float, sys.argv[1:]); print("%.2f" % ((c - n) / (t - n)))' \
            "$noisy" "$a" "$true_")
        log "| cleaned (audit of $c, --auto drop) | $nex | $a | $share | $(cut -d' ' -f1,2 "$W/final-clean_$c.time" | tr ' ' /) |"
    done
    log "| true | $SUB | $true_ | 1 | $(cut -d' ' -f1,2 "$W/final-true.time" | tr ' ' /) |"
    log ""
esac
case " $PARTS " in *" rounds "*)
    [ -f "$DRAW/noisy.csv" ] || $PY "$HERE/cnn_measure.py" "$TRAIN" asym "$RATE" 1 >/dev/null
    RW="$W/rounds"
    rm -rf "$RW"
    NOISY="$DRAW/noisy.csv"
    FILTER="--filter-by $ROUND_FILTER"
    timed rounds-r1a "$LA" cv --data "$TRAIN" --labels "$NOISY" $ROUND_CV --threads "$THREADS" --out "$RW/r1/a/p.npy" --quiet
    timed rounds-r1b "$LA" cv --data "$TRAIN" --labels "$NOISY" $ROUND_CV --augment --threads "$THREADS" \
        --out "$RW/r1/b/p.npy" --quiet
    "$LA" audit --data "$TRAIN" --labels "$NOISY" --pred-probs "$RW/r1/a/p.npy" --pred-probs "$RW/r1/b/p.npy" $FILTER \
        --out "$RW/r1/audit" --db "$RW/r1/la.db" --quiet
    "$LA" clean --db "$RW/r1/la.db" --data "$TRAIN" --labels "$NOISY" --auto relabel --out "$RW/r1/clean" --quiet >/dev/null
    timed rounds-r2 "$LA" cv --data "$(ls "$RW"/r1/clean/*images-idx3-ubyte* | head -1)" $ROUND_CV --threads "$THREADS" \
        --out "$RW/r2/p2/p.npy" --quiet
    "$LA" audit --data "$TRAIN" --labels "$NOISY" --pred-probs "$RW/r1/audit/pred_probs_mean.npy" \
        --pred-probs "$RW/r2/p2/p.npy" $FILTER --out "$RW/r2/audit" --db "$RW/r2/la.db" --quiet
    "$LA" clean --db "$RW/r2/la.db" --data "$TRAIN" --labels "$NOISY" --auto drop --out "$RW/r2/clean" --quiet >/dev/null
    flips() {   # flips AUDIT_DIR: "flagged precision recall F1" of label_issues.csv against the draw's flips
        $PY - "$DRAW/noise.csv" "$1/label_issues.csv" <<'PY'
import csv, sys
flip = [r["true_label"] != r["noisy_label"] for r in csv.DictReader(open(sys.argv[1]))]
flagged = {int(r["index"]) for r in csv.DictReader(open(sys.argv[2]))}
tp = sum(flip[i] for i in flagged)
p, r = tp / max(len(flagged), 1), tp / max(sum(flip), 1)
print("%d | %.3f | %.3f | %.3f" % (len(flagged), p, r, 2 * p * r / max(p + r, 1e-12)))
PY
    }
    log "## rounds: two detection rounds ($ROUND_CV, --filter-by $ROUND_FILTER), $RATE% asymmetric noise"
    log ""
    log "| detector | flagged | precision | recall | F1 | cv CPU s |"
    log "|---|---|---|---|---|---|"
    log "| round 1: mean of cv and cv --augment | $(flips "$RW/r1/audit") | $(( $(cut -d' ' -f2 "$W/rounds-r1a.time") + $(cut -d' ' -f2 "$W/rounds-r1b.time") )) |"
    log "| round 2: mean of round 1 and cv on round 1's relabelled labels | $(flips "$RW/r2/audit") | $(cut -d' ' -f2 "$W/rounds-r2.time") |"
    log ""
    img=$(ls "$RW"/r2/clean/*images-idx3-ubyte* | head -1)
    log "| final '$FINAL' trained on | examples | test accuracy per seed ($SEEDS) | mean |"
    log "|---|---|---|---|"
    means=""
    for arm in noisy r2drop true; do
        accs=""
        for s in $SEEDS; do
            case $arm in
                noisy) set -- --data "$TRAIN" --labels "$NOISY" ;;
                r2drop) set -- --data "$img" ;;
                true) set -- --data "$TRAIN" ;;
            esac
            timed "rounds-final-$arm-$s" "$LA" retrain "$@" --test "$TEST" --out "$RW/final/${arm}_s$s" $FINAL --seed "$s" \
                --threads "$THREADS" --quiet
            accs="$accs $(acc "$RW/final/${arm}_s$s/metrics.json")"
        done
        m=$($PY -c 'import sys; v = list(map(float, sys.argv[1:])); print("%.4f" % (sum(v) / len(v)))' $accs)
        means="$means $m"
        nex=$SUB; [ $arm = r2drop ] && nex=$(( ( $(stat -c %s "$img") - 16 ) / 784 ))
        log "| $arm | $nex | $(echo $accs | tr ' ' /) | $m |"
    done
    log ""
    log "share of the gap recovered by round 2 \`--auto drop\` (of the means): $($PY -c 'import sys; n, c, t = map(float, sys.argv[1:]); print("%.2f" % ((c - n) / (t - n)))' $means)"
    log ""
esac
echo "bench_cnn: results in $R"

#!/bin/sh
# bench_rebalance.sh [OUT] — issue 19's measurements (not part of make test):
# every rebalancing strategy and --rebalance auto on three imbalanced tasks,
# logreg and mlp (MODELS="cnn" adds the cnn), mean of the seeds in $SEEDS (1 2 3):
#   ts       Fashion-MNIST T-shirt/top 4950 vs Shirt 50 (training split), retrain
#            on it and evaluate on the test split's two classes (1000 + 1000)
#   pc       Fashion-MNIST Pullover 4950 vs Coat 50, the same way (near the floor:
#            PR-AUC ~0.1 at 99:1 whatever the strategy)
#   sb       Fashion-MNIST Sneaker 4950 vs Ankle boot 50, the same way
#   shuttle  Shuttle (7 classes, 45586 down to 10 rows): 5-fold out-of-fold
# Per rare class: precision and recall at the argmax, PR-AUC, and the best
# recall at precision >= 0.5 (bench/rebalance_table.py, from the written
# probabilities). The Fashion-MNIST test split is 1:1, so its rows are
# weighted to the training prior (each majority row counts 99 x 1000/1000):
# precision as it would be at 99:1 (the unweighted PR-AUC is shown too).
# The tables are printed and written to OUT/tables.md.
# Environment: LA_BIN (the binary), SEEDS, THREADS (2), TASKS ("ts pc sb shuttle"),
# MODELS ("logreg mlp"), ONLY (strategy names to run, e.g. "plain auto"; all when
# empty). REBALANCE_QUICK=1 (what `make bench` sets): the short
# case only, T-shirt/Shirt, logreg, seed 1, plain and auto (under a minute).
set -eu
LA=${LA_BIN:-$PWD/labelaudit}
OUT=${1:-/tmp/bench_rebalance}
SEEDS=${SEEDS:-"1 2 3"}
THREADS=${THREADS:-2}
TASKS=${TASKS:-"ts pc sb shuttle"}
MODELS=${MODELS:-"logreg mlp"}
QUICK=${REBALANCE_QUICK:-0}
if [ "$QUICK" = 1 ]; then TASKS=ts MODELS=logreg SEEDS=1 OUT=${1:-/tmp/bench_rebalance_quick}; fi
HERE=$(cd "$(dirname "$0")" && pwd)
S=/work/shared/data
mkdir -p "$OUT"
pair() { case " $TASKS " in *" $1 "*) python3 "$HERE/make_pair_idx.py" "$S/fashion-mnist" "$OUT/data/$1" "$2" "$3" 4950 50 1;; esac; }
pair ts 0 6
pair pc 2 4
pair sb 7 9

# strategy name | options
STRATS='plain|
stop-balanced|--stop-on balanced
balanced|--loss balanced
weighted|--loss weighted
focal|--loss focal
logit-adjusted|--loss logit-adjusted
oversample-0.2|--oversample-ratio 0.2
oversample-naive|--sampler oversample
decouple|--decouple
auto|--rebalance auto
auto-r@p0.5|--rebalance auto --select-by recall-at-precision:0.5
auto-guarded|--rebalance auto --select-by recall-guarded:0.5'
[ "$QUICK" = 1 ] && STRATS='plain|
auto|--rebalance auto'

run_one() {   # task model name opts seed
    task=$1 model=$2 name=$3 opts=$4 seed=$5
    R="$OUT/runs/$task/$model/$name/$seed"
    [ -f "$R/done" ] && return 0
    mkdir -p "$R"
    t0=$(date +%s.%N)
    if [ "$task" = shuttle ]; then
        # shellcheck disable=SC2086
        "$LA" cv --data "$S/tabular/Shuttle.csv" --out "$R/p.npy" --model "$model" --seed "$seed" \
            --threads "$THREADS" --quiet --format json $opts > "$R/run.json"
    else
        D="$OUT/data/$task"
        # shellcheck disable=SC2086
        "$LA" retrain --data "$D/train-images-idx3-ubyte" --classes "$D/classes.txt" --test "$D/t10k-images-idx3-ubyte" \
            --out "$R" --model "$model" --seed "$seed" --threads "$THREADS" --quiet --format json $opts > "$R/run.json"
    fi
    echo "$(date +%s.%N) $t0" | awk '{printf "%.2f\n", $1 - $2}' > "$R/seconds"
    touch "$R/done"
}

for task in $TASKS; do
    for model in $MODELS; do
        echo "$STRATS" | while IFS='|' read -r name opts; do
            case $name in decouple|stop-balanced) [ "$model" = logreg ] && continue;; esac
            case " ${ONLY:-$name} " in *" $name "*) ;; *) continue;; esac
            for seed in $SEEDS; do
                echo "bench_rebalance: $task $model $name seed $seed" >&2
                run_one "$task" "$model" "$name" "$opts" "$seed"
            done
        done
    done
done
python3 "$HERE/rebalance_table.py" "$OUT" | tee "$OUT/tables.md"

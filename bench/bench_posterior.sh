#!/bin/sh
# bench_posterior.sh [OUT] — flip detection of --filter-by noise_posterior
# against cleanlab's default (prune_by_noise_rate) and low_normalized_margin,
# on every shared noisy-label file (digits, Satellite, LetterRecognition,
# fashion-mnist-png; sym/asym at 10% and 30%), with the out-of-fold
# probabilities of `cv --model logreg` and `cv --model mlp` (5 folds, seed 0).
# Per file and model: precision, recall and F1 of each filter's flags against
# the flipped ids. Not part of make test (about 10 minutes on 2 cores).
# Environment: LA_BIN (the binary), MODELS ("logreg mlp"), THREADS (1).
set -eu
LA=${LA_BIN:-$PWD/labelaudit}
OUT=${1:-/tmp/bench_posterior}
MODELS=${MODELS:-"logreg mlp"}
THREADS=${THREADS:-1}
S=${LA_SHARED:-/work/shared}/data
mkdir -p "$OUT"
FILTERS="prune_by_noise_rate low_normalized_margin noise_posterior"
printf '| data | noise | model | %s |\n' "$(echo $FILTERS | sed 's/ / | /g')" > "$OUT/table.md"
echo "|---|---|---|---|---|---|" >> "$OUT/table.md"
for ds in digits Satellite LetterRecognition fashion-mnist-png; do
    case $ds in
        fashion-mnist-png) data="$S/fashion-mnist-png/manifest.csv";;
        *) data="$S/tabular/$ds.csv";;
    esac
    for nz in asym10 asym30 sym10 sym30; do
        nf="$S/noise/${ds}_${nz}_seed1.csv"
        W="$OUT/$ds/$nz"; mkdir -p "$W"
        awk -F, 'NR==1{print "id,label";next}{print $1","$3}' "$nf" > "$W/noisy.csv"
        for m in $MODELS; do
            [ -f "$W/$m/p.npy" ] || "$LA" cv --data "$data" --labels "$W/noisy.csv" --model "$m" --seed 0 \
                --threads "$THREADS" --quiet --out "$W/$m/p.npy" > /dev/null
            line="| $ds | $nz | $m |"
            for f in $FILTERS; do
                "$LA" audit --data "$data" --labels "$W/noisy.csv" --pred-probs "$W/$m/p.npy" --filter-by "$f" \
                    --out "$W/$m/$f" --quiet > /dev/null
                # precision / recall / F1 of the flagged ids against the flipped ids
                r=$(awk -F, 'FNR==1{next} NR==FNR{if ($2 != $3) flip[$1]=1; nf += ($2 != $3); next}
                        {fl++; if ($3 in flip) tp++}
                        END{p = fl ? tp/fl : 0; r = nf ? tp/nf : 0; printf "%.3f / %.3f / **%.3f**", p, r, (p+r) ? 2*p*r/(p+r) : 0}' \
                        "$nf" "$W/$m/$f/label_issues.csv")
                line="$line $r |"
            done
            echo "$line" | tee -a "$OUT/table.md"
        done
    done
done
echo "(precision / recall / F1 of the flagged examples against the injected flips)" >> "$OUT/table.md"

#!/bin/sh
# example_data.sh [OUT] — the data the README's worked examples read, rebuilt
# from Debian packages into OUT (default tryout/data): installs the packages
# that are missing (R's mlbench and palmerpenguins, scikit-learn's digits,
# Fashion-MNIST), then runs tools/example_data.py. Does nothing when OUT was
# already built by this version of the script.
set -eu
cd "$(dirname "$0")/.."
OUT=${1:-tryout/data}
PKGS="r-base-core r-cran-mlbench r-cran-palmerpenguins python3-sklearn python3-numpy python3-pil dataset-fashion-mnist"
stamp=$(cat tools/example_data.py tools/example_data.sh | cksum | cut -d' ' -f1)
[ -f "$OUT/.built" ] && [ "$(cat "$OUT/.built")" = "$stamp" ] && { echo "example-data: $OUT is up to date"; exit 0; }
sh tools/deps.sh $PKGS
# build beside OUT and rename, so an interrupted run leaves no half a tree
rm -rf "$OUT.tmp"
/usr/bin/python3 tools/example_data.py "$OUT.tmp"
echo "$stamp" > "$OUT.tmp/.built"
rm -rf "$OUT"
mv "$OUT.tmp" "$OUT"
echo "example-data: wrote $OUT (tabular/, digits-png/, fashion-mnist-png/, noise/)"

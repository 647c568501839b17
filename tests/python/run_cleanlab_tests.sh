#!/bin/sh
# run_cleanlab_tests.sh — runs cleanlab 2.9.0's own tests with labelaudit's
# functions substituted for cleanlab's (la_cleanlab_plugin.py), or plain
# (LA_SUBSTITUTE=0). CLEANLAB_SRC: a checkout of cleanlab at tag v2.9.0 (not
# vendored here: git clone -b v2.9.0 https://github.com/cleanlab/cleanlab).
# Needs Debian's python3-numpy python3-pandas python3-sklearn python3-pytest
# python3-hypothesis python3-tqdm python3-termcolor python3-requests.
#   CLEANLAB_SRC=/tmp/cleanlab290 sh tests/python/run_cleanlab_tests.sh [pytest args]
set -e
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
: "${CLEANLAB_SRC:?set CLEANLAB_SRC to a cleanlab v2.9.0 source tree}"
PY=${PYTHON:-/usr/bin/python3}
TESTS=${CLEANLAB_TESTS:-"tests/test_filter_count.py tests/test_rank.py tests/test_dataset.py tests/test_latent_algebra.py tests/test_classification.py tests/test_multilabel_classification.py"}
cd "$CLEANLAB_SRC"
PYTHONPATH="$root/python:$here:$CLEANLAB_SRC${PYTHONPATH:+:$PYTHONPATH}" \
    exec $PY -m pytest -p no:cacheprovider -p la_cleanlab_plugin -q -rfE $TESTS "$@"

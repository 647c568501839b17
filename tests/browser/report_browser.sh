#!/bin/sh
# report_browser.sh — renders the HTML report in a real browser (headless
# Chromium). A run with hostile class names (bad/manifest_escaping_labels.csv,
# cv + audit --db through the binary) is reported; Chromium screenshots
# index.html and a contact sheet (the PNGs must not be blank) and dumps the
# DOM, which must hold the expected number of cards and thumbnails and no
# <script> element born from data.
#
# With LA_SCREENSHOT=FILE it also audits fashion-mnist-png with 10% symmetric
# label noise (../shared/data/noise) and writes the summary page's screenshot
# to FILE (and a contact sheet to FILE-sheet.png): that is how docs/report.png
# is made, with LA_BIN, LA_BUILD, LA_SHARED set as tests/run.sh sets them:
#   LA_SCREENSHOT=$PWD/docs/report.png sh tests/e2e/test_report_browser.sh
#
# Sourced by tests/e2e/test_report_browser.sh after tests/e2e/lib.sh.

CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$CHROMIUM" ]; then
    echo "SKIP report browser test: chromium is not installed (make test-deps installs it)"
    return 0 2>/dev/null || exit 0
fi
PNGSTAT="$LA_BUILD/tests/test_report"
prep() { _v=${LA_VALGRIND:-0}; LA_VALGRIND=0; la "$@"; LA_VALGRIND=$_v; }  # setup, never under valgrind

chrome() {   # chrome FLAG URL [width height]
    prof=$(mktemp -d "$TMP/chrome.XXXXXX")
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$prof" --hide-scrollbars --window-size="${3:-1280},${4:-1800}" \
        "$1" "$2" 2>/dev/null
    rc=$?
    rm -rf "$prof"
    return $rc
}

not_blank() {  # not_blank PNG name — many colours and real ink on the page
    stats=$("$PNGSTAT" --png-stats "$1" 2>&1)
    set -- $stats "$2"
    if [ $# -eq 5 ] && [ "$3" -ge 8 ] && awk "BEGIN{exit !($4 > 2)}"; then
        pass "$5 ($1x$2 px, $3 colours, $4% ink)"
    else
        fail "$5" "blank or unreadable screenshot: $stats"
    fi
}

# --- hostile names, through the binary --------------------------------------
DB="$TMP/hostile.db"; REP="$TMP/hostile report"
prep cv --data "$DATA/bad/manifest_escaping_labels.csv" --out "$TMP/h/probs.npy" --audit "$TMP/h/audit" \
    --db "$DB" --quiet --threads 2
expect_rc 0 "browser: cv + audit --db on hostile names"
la report --db "$DB" --out "$REP" --per-page 4 --quiet
expect_rc 0 "browser: report with hostile class names"
chrome --screenshot="$TMP/index.png" "file://$REP/index.html"
not_blank "$TMP/index.png" "browser: index.html screenshot not blank"
chrome --screenshot="$TMP/sheet.png" "file://$REP/issues-1.html"
not_blank "$TMP/sheet.png" "browser: contact sheet screenshot not blank"

chrome --dump-dom "file://$REP/issues-1.html" >"$TMP/sheet.dom"
n=$(grep -o '<figure class="card' "$TMP/sheet.dom" | wc -l)
check "browser: the DOM holds 4 cards on page 1 (found $n)" test "$n" -eq 4
n=$(grep -o '<img src="assets/thumbs/[0-9]*.png"[^>]* alt="[^"]' "$TMP/sheet.dom" | wc -l)
check "browser: 4 thumbnails with alt text (found $n)" test "$n" -eq 4
if grep -qi '<script' "$TMP/sheet.dom"; then fail "browser: no script element on the sheet" "the DOM holds <script"
else pass "browser: no script element on the sheet"; fi
check "browser: hostile name rendered as text" grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' "$TMP/sheet.dom"
check "browser: sheet links back to the summary" grep -q 'href="index.html"' "$TMP/sheet.dom"
chrome --dump-dom "file://$REP/index.html" >"$TMP/index.dom"
if grep -qi '<script' "$TMP/index.dom"; then fail "browser: no script element on the summary" "the DOM holds <script"
else pass "browser: no script element on the summary"; fi
check "browser: summary renders inline SVG charts" grep -q '<svg' "$TMP/index.dom"
check "browser: summary shows the quoted name intact" grep -Eq "Bob's (&quot;|\")best(&quot;|\"), boot" "$TMP/index.dom"

# --- the README screenshot: a real audit of fashion-mnist-png ----------------
if [ -n "${LA_SCREENSHOT:-}" ]; then
    awk -F, 'NR == 1 { print "id,label"; next } { print $1 "," $3 }' \
        "$DATA/noise/fashion-mnist-png_sym10_seed1.csv" >"$TMP/fm_noisy.csv"
    prep cv --data "$DATA/fashion-mnist-png/manifest.csv" --labels "$TMP/fm_noisy.csv" --l2 30 \
        --out "$TMP/fm/probs.npy" --audit "$TMP/fm/audit" --db "$TMP/fm.db" --quiet --threads 2
    expect_rc 0 "screenshot: cv + audit of fashion-mnist-png (10% noise)"
    la report --db "$TMP/fm.db" --out "$TMP/fm report" --quiet
    expect_rc 0 "screenshot: report"
    chrome --screenshot="$TMP/fm.png" "file://$TMP/fm report/index.html" 1280 2760
    not_blank "$TMP/fm.png" "screenshot: summary not blank"
    chrome --screenshot="$TMP/fm-sheet.png" "file://$TMP/fm report/issues-1.html" 1280 900
    not_blank "$TMP/fm-sheet.png" "screenshot: contact sheet not blank"
    cp "$TMP/fm.png" "$LA_SCREENSHOT" && cp "$TMP/fm-sheet.png" "${LA_SCREENSHOT%.png}-sheet.png"
    echo "wrote $LA_SCREENSHOT and ${LA_SCREENSHOT%.png}-sheet.png"
fi

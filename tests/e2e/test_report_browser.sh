# test_report_browser.sh — the report rendered by headless Chromium (see
# tests/browser/report_browser.sh); skipped with a message without chromium.
. tests/e2e/lib.sh
. tests/browser/report_browser.sh

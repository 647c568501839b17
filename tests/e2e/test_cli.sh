# test_cli.sh — the command-line shell: help, version, unknown commands.
. tests/e2e/lib.sh

la --version;           expect_rc 0 "version exits 0";  expect_out '^labelaudit [0-9]+\.[0-9]+' "version printed"
la --help;              expect_rc 0 "help exits 0";     expect_out 'usage: labelaudit <command>' "help shows usage"
la;                     expect_rc 2 "no command is a usage error"
la frobnicate;          expect_rc 2 "unknown command exits 2"; expect_err "unknown command 'frobnicate'" "unknown command named"

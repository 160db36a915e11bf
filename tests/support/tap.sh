# tap.sh - the TAP lines of the shell tests, sourced after `cd` to the
# repository root: `ok DESC`, `nok DESC` (a script may redefine nok to add
# diagnostics), `check DESC CMD...` (ok when CMD succeeds), with the
# counter n. tests/run reads the lines; a script ends with `echo "1..$n"`.
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); echo "not ok $n - $1"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }

#!/usr/bin/env bash
# cli_grammar.sh - the one command-line grammar (cli/opt.[ch]): every
# command converted to an option table has --help with an exit-status
# section, accepts --opt=value, rejects an unknown option with the same
# message, and its man page and bash completion list exactly the options
# its --help lists (all three are generated from the table). Also
# `regit help CMD`, `regit version` and `regit --version`.
# Prints TAP lines ("ok N - ..." / "not ok N - ...").
set -u
cd "$(dirname "$0")/../.."
. tests/support/tap.sh
REGIT=${REGIT_BIN:-build/regit}
BUILD=${REGIT_BUILD:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

notok() { n=$((n + 1)); echo "not ok $n - $1"; }
check() { if eval "$2"; then ok "$1"; else notok "$1"; fi; }

# Commands that still parse argv by hand (none left; keep the list for the next).
unconverted=" "

"$REGIT" man --output "$tmp" >/dev/null 2>&1
check "regit man writes regit.1" "[ -s $tmp/regit.1 ]"
"$REGIT" completion bash >"$tmp/regit.bash" 2>/dev/null
check "regit completion bash" "[ \$? -eq 0 ] && grep -q '^complete -o filenames -F _regit regit' $tmp/regit.bash"
"$REGIT" completion zsh >"$tmp/_regit" 2>/dev/null
check "regit completion zsh" "[ \$? -eq 0 ] && head -1 $tmp/_regit | grep -qx '#compdef regit'"
if command -v zsh >/dev/null 2>&1; then
	check "the zsh completion parses" "zsh -n $tmp/_regit"
else
	ok "the zsh completion parses # skip zsh missing (scripts/install-deps --test)"
fi
check "the bash completion parses" "bash -n $tmp/regit.bash"

# The commands `regit --help` lists.
cmds=$("$REGIT" --help | sed -n '/^commands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }')
check "regit --help lists commands" "[ -n \"\$cmds\" ]"

# Options as --help shows them: "--name" (and "-x"), sorted.
help_opts() { sed -n '/^options:/,/^$/p' "$1" | grep -oE '^  (-[a-zA-Z], )?--[a-z0-9-]+' |
	sed -E 's/^  //; s/, / /' | tr ' ' '\n' | sort; }
# Options as the man page lists them (.TP, then \fB\-x\fR, \fB\-\-name\fR ...).
man_opts() { grep -A1 '^\.TP$' "$1" | grep -oE '\\fB\\-(\\-[a-z0-9\\-]+|[a-zA-Z])\\fR' |
	sed -E 's/\\fB//; s/\\fR//; s/\\-/-/g' | sort; }

for c in $cmds; do
	case "$unconverted" in *" $c "*) continue ;; esac
	"$REGIT" "$c" --help >"$tmp/help" 2>"$tmp/err"
	check "$c --help exits 0 with usage on stdout" "[ \$? -eq 0 ] && grep -q '^usage: regit $c' $tmp/help"
	check "$c --help has an exit status section" \
		"grep -qx 'exit status:' $tmp/help && sed -n '/^exit status:/,\$p' $tmp/help | grep -qE '^  0 '"
	"$REGIT" help "$c" >"$tmp/help2" 2>&1
	check "regit help $c equals $c --help" "cmp -s $tmp/help $tmp/help2"
	"$REGIT" "$c" --no-such-option >"$tmp/out" 2>"$tmp/err"
	rc=$?
	check "$c: the unknown-option message, exit 2" "[ $rc -eq 2 ] && [ \"\$(cat $tmp/err)\" = \"regit $c: unknown option '--no-such-option'; see 'regit $c --help'\" ]"
	"$REGIT" "$c" --no-such-option=1 >"$tmp/out" 2>"$tmp/err"
	rc=$?
	check "$c: an unknown --opt=value names the option only" "[ $rc -eq 2 ] && grep -qF \"unknown option '--no-such-option';\" $tmp/err"
	help_opts "$tmp/help" >"$tmp/h.opts"
	check "$c: --help lists options" "grep -qx -- --help $tmp/h.opts && grep -qx -- -h $tmp/h.opts"
	if [ -f "$tmp/regit-$c.1" ]; then
		man_opts "$tmp/regit-$c.1" >"$tmp/m.opts"
		check "man regit-$c lists exactly the options of its table" "cmp -s $tmp/h.opts $tmp/m.opts"
		if command -v man >/dev/null 2>&1; then
			MANWIDTH=80 man -l "$tmp/regit-$c.1" >"$tmp/man.txt" 2>"$tmp/man.err"
			check "man -l regit-$c.1 renders (NAME, OPTIONS, EXIT STATUS)" \
				"grep -q '^NAME' $tmp/man.txt && grep -q '^OPTIONS' $tmp/man.txt && grep -q '^EXIT STATUS' $tmp/man.txt"
		fi
	else
		notok "man page regit-$c.1 written"
	fi
	# bash completion: COMP_WORDS=(regit CMD -), offers exactly the options.
	bash -c 'source "$1"; COMP_WORDS=(regit "$2" -); COMP_CWORD=2; _regit; printf "%s\n" "${COMPREPLY[@]}"' \
		_ "$tmp/regit.bash" "$c" | sort >"$tmp/b.opts"
	check "bash completion of 'regit $c -' offers exactly the table's options" "cmp -s $tmp/h.opts $tmp/b.opts"
done

# The man page for regit itself lists every command; a converted command's
# own page exists for each, and an unconverted one has none (yet).
for c in $cmds; do
	case "$unconverted" in
	*" $c "*) check "no generated man page for unconverted $c" "[ ! -e $tmp/regit-$c.1 ]" ;;
	esac
done
names_all() { local c; for c in $cmds; do grep -qx ".B $c" "$tmp/regit.1" || return 1; done; }
check "regit.1 names every command" names_all

# bash completion: the first word is a command.
bash -c 'source "$1"; COMP_WORDS=(regit reg); COMP_CWORD=1; _regit; printf "%s\n" "${COMPREPLY[@]}"' \
	_ "$tmp/regit.bash" >"$tmp/b.cmds"
check "bash completion of 'regit reg' offers register" "grep -qx register $tmp/b.cmds"
bash -c 'source "$1"; COMP_WORDS=(regit get --subject=x --format ""); COMP_CWORD=4; _regit; echo "${#COMPREPLY[@]}"' \
	_ "$tmp/regit.bash" >"$tmp/b.val"
check "bash completion after a value option does not offer options" "! grep -q -- '--' $tmp/b.val"

bash -c 'source "$1"; COMP_WORDS=(regit get --format ""); COMP_CWORD=3; _regit; printf "%s\n" "${COMPREPLY[@]}"' \
	_ "$tmp/regit.bash" | sort >"$tmp/b.fmt"
check "bash completion of a choice value offers the choices" "[ \"\$(tr '\n' ' ' <$tmp/b.fmt)\" = 'json text ' ]"
bash -c 'source "$1"; COMP_WORDS=(regit lint --format s); COMP_CWORD=3; _regit; printf "%s\n" "${COMPREPLY[@]}"' \
	_ "$tmp/regit.bash" >"$tmp/b.fmt"
check "... from the table (lint --format s: sarif)" "grep -qx sarif $tmp/b.fmt"

# --opt=value for a value option of each command (validate and passwd
# have none): the value reaches the command.
good=tests/data/avro/interop.avsc
"$REGIT" check --level=BACKWARD --format=json "$good" "$good" >"$tmp/out" 2>"$tmp/err"
check "check --level=L --format=json" "[ \$? -eq 0 ] && head -c1 $tmp/out | grep -q '{'"
"$REGIT" check --level BACKWARD --format json "$good" "$good" >"$tmp/out2" 2>/dev/null
check "check --opt value gives the same" "cmp -s $tmp/out $tmp/out2"
"$REGIT" lint --format=json "$good" >"$tmp/out" 2>"$tmp/err"
check "lint --format=json" "head -c1 $tmp/out | grep -q '[{[]'"
"$REGIT" fmt --fingerprint=rabin "$good" >"$tmp/out" 2>"$tmp/err"
check "fmt --fingerprint=rabin" "[ \$? -eq 0 ] && grep -qxE '[0-9a-f]{16}' $tmp/out"
"$REGIT" man --output="$tmp/m2" >/dev/null 2>&1 || mkdir -p "$tmp/m2"
mkdir -p "$tmp/m2" && "$REGIT" man --output="$tmp/m2" >/dev/null 2>&1
check "man --output=DIR" "[ -s $tmp/m2/regit.1 ]"
"$REGIT" man -o "$tmp/m2" >/dev/null 2>&1
check "man -o DIR (short option)" "[ \$? -eq 0 ]"
# verify: --opt=value reaches it (an empty store: nothing to check).
git init -q --bare "$tmp/store.git"
"$REGIT" verify --format=json --compat=BACKWARD --rules=avro "$tmp/store.git" >"$tmp/out" 2>"$tmp/err"
check "verify --format=json --compat=L --rules=R" "[ \$? -eq 0 ] && grep -q '\"ok\": true' $tmp/out"
"$REGIT" verify --rules=loose "$tmp/store.git" >"$tmp/out" 2>"$tmp/err"
check "verify --rules=bad: exit 2, the common form" \
	"[ \$? -eq 2 ] && grep -qxF \"regit verify: --rules is strict or avro, not 'loose'; see 'regit verify --help'\" $tmp/err"
# decode: --opt=value reaches it (no messages: the registry is not needed).
"$REGIT" decode --input-format=hex --reader="$good" --registry=http://127.0.0.1:9 </dev/null >"$tmp/out" 2>"$tmp/err"
check "decode --input-format=F --reader=FILE" "[ \$? -eq 0 ] && [ ! -s $tmp/out ]"
# decode's output is JSON lines by definition: it has no --format (it took
# one and ignored it).
"$REGIT" decode --format json </dev/null >"$tmp/out" 2>"$tmp/err"
check "decode --format: unknown option, exit 2" \
	"[ \$? -eq 2 ] && grep -qxF \"regit decode: unknown option '--format'; see 'regit decode --help'\" $tmp/err"
"$REGIT" decode --help >"$tmp/out" 2>&1
check "decode --help names no --format" "! grep -q -- '--format' $tmp/out"
"$REGIT" decode --input-format=octal </dev/null >"$tmp/out" 2>"$tmp/err"
check "decode --input-format=bad: exit 2, the common form" \
	"[ \$? -eq 2 ] && grep -qxF \"regit decode: --input-format wants raw, hex, base64 or json-lines, not 'octal'; see 'regit decode --help'\" $tmp/err"
# gen: --output=DIR (issue: it used to be an unknown option), -oDIR.
"$REGIT" gen --output="$tmp/gen1" --prefix=p "$good" >"$tmp/out" 2>"$tmp/err"
check "gen --output=DIR --prefix=NAME" "[ \$? -eq 0 ] && [ -s $tmp/gen1/regit_avro.h ] && grep -q '^$tmp/gen1/' $tmp/out && grep -q 'p_' $tmp/gen1/*.h"
"$REGIT" gen --output "$tmp/gen2" --prefix p "$good" >/dev/null 2>&1
check "... the same as --output DIR --prefix NAME" "diff -r $tmp/gen1 $tmp/gen2 >/dev/null"
"$REGIT" gen -o"$tmp/gen3" "$good" >/dev/null 2>&1
check "gen -oDIR" "[ \$? -eq 0 ] && [ -s $tmp/gen3/regit_avro.h ]"
"$REGIT" gen --writer="$good" --reader="$good" >"$tmp/out" 2>"$tmp/err"
check "gen --writer=FILE without :ID: exit 2, the common form" \
	"[ \$? -eq 2 ] && grep -qxF \"regit gen: --writer $good needs its registry id: FILE:ID; see 'regit gen --help'\" $tmp/err"
"$REGIT" gen --format=json "$good" >"$tmp/out" 2>"$tmp/err"
check "gen has no --format" "[ \$? -eq 2 ] && grep -qF \"unknown option '--format'\" $tmp/err"
# serve: --opt=value reaches it (the store and the port it prints).
"$REGIT" serve --threads=0 >"$tmp/out" 2>"$tmp/err"
check "serve --threads=0: exit 2, the common form" \
	"[ \$? -eq 2 ] && grep -qxF \"regit serve: --threads takes 1..256, not '0'; see 'regit serve --help'\" $tmp/err"
"$REGIT" serve --listen=127.0.0.1:0 --store="$tmp/serve.git" --threads=2 --header-timeout=5 \
	>"$tmp/serve.out" 2>"$tmp/serve.err" &
spid=$!
for _ in $(seq 1 100); do grep -q 'listening on' "$tmp/serve.out" 2>/dev/null && break; sleep 0.1; done
kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null
check "serve --listen=A --store=P --threads=N --header-timeout=S" \
	"grep -qF 'listening on 127.0.0.1:0' $tmp/serve.out && grep -qF 'store $tmp/serve.git' $tmp/serve.out && [ -d $tmp/serve.git ]"
# The client commands: --registry=URL at a closed port is the URL in the error.
dead=http://127.0.0.1:9
printf '{"type":"string"}\n' >"$tmp/s.avsc"
for args in "subjects" "versions --subject=s" "get --subject=s" "lookup --subject=s $tmp/s.avsc" \
	"register --subject=s $tmp/s.avsc" "test --subject=s $tmp/s.avsc" "config --subject=s" \
	"delete --subject=s" "export $tmp/exp" "import --from=$dead"; do
	# shellcheck disable=SC2086
	"$REGIT" $args --registry=$dead --timeout=5 >"$tmp/out" 2>"$tmp/err"
	rc=$?
	check "${args%% *} --registry=URL reaches the client" "[ $rc -eq 2 ] && grep -q '127.0.0.1:9' $tmp/err"
done
"$REGIT" subjects --timeout=abc >"$tmp/out" 2>"$tmp/err"
check "a bad value is a usage error in the same form" \
	"[ \$? -eq 2 ] && grep -qxF \"regit subjects: --timeout wants seconds between 0 and 86400, not 'abc'; see 'regit subjects --help'\" $tmp/err"
"$REGIT" subjects --timeout >"$tmp/out" 2>"$tmp/err"
check "a missing value: exit 2, named" \
	"[ \$? -eq 2 ] && grep -qxF \"regit subjects: option '--timeout' needs a value (SECONDS); see 'regit subjects --help'\" $tmp/err"
"$REGIT" subjects --deleted=yes >"$tmp/out" 2>"$tmp/err"
check "a flag given a value: exit 2" "[ \$? -eq 2 ] && grep -qF \"option '--deleted' takes no value\" $tmp/err"
"$REGIT" validate -- -not-an-option.avsc >"$tmp/out" 2>"$tmp/err"
check "-- ends the options" "[ \$? -eq 2 ] && grep -q '^-not-an-option.avsc' $tmp/err"

# version
commit=$(git describe --always --dirty 2>/dev/null || echo unknown)
"$REGIT" version >"$tmp/v" 2>&1
check "regit version names the commit" "[ \$? -eq 0 ] && grep -qE '^regit [0-9]+\.[0-9]+\.[0-9]+ \(commit [^)]+\)$' $tmp/v"
# The binary was built from this tree: its commit is HEAD's (maybe dirty since).
check "... the commit is this tree's" "grep -qF \"commit \${commit%-dirty}\" $tmp/v"
"$REGIT" --version >"$tmp/v2" 2>&1
check "regit --version is regit version" "cmp -s $tmp/v $tmp/v2"
"$REGIT" help no-such-command >"$tmp/out" 2>"$tmp/err"
check "help of an unknown command: exit 2" "[ \$? -eq 2 ]"
"$REGIT" help serve >"$tmp/out" 2>&1
check "regit help serve" "[ \$? -eq 0 ] && grep -q 'usage: regit serve' $tmp/out"
"$REGIT" no-such-command >"$tmp/out" 2>"$tmp/err"
check "unknown command: exit 2" "[ \$? -eq 2 ] && grep -qF \"regit: unknown command 'no-such-command'; see 'regit --help'\" $tmp/err"

# The build's own man pages and completion are these (make man completion).
if [ -d "$BUILD/man" ]; then
	check "build/man holds the same pages" "diff -r $tmp/m2 $BUILD/man >/dev/null"
fi

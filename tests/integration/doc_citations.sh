#!/usr/bin/env bash
# doc_citations.sh - every section that the sources cite in
# docs/confluent-api.md exists there. A file that names "confluent-api"
# cites it with "§N" (a section), "§N.M" (a subsection of §4, or item M of
# §6's numbered list, as the document's header says); each such citation
# must resolve, so a renumbered document fails here instead of misleading.
# Prints TAP lines ("ok N - ..." / "not ok N - ...").
set -u
cd "$(dirname "$0")/../.."
. tests/support/tap.sh
DOC=docs/confluent-api.md
notok() { n=$((n + 1)); echo "not ok $n - $1"; }

if [ ! -f "$DOC" ]; then
	notok "$DOC exists"
	exit 1
fi
ok "$DOC exists"

# What the document defines: "## N." sections, "### N.M" subsections, and
# the items "N." of the list under "## 6." (cited as §6.N).
defined=$(awk '
	/^## [0-9]+\./ { sec = $2; sub(/\.$/, "", sec); print sec; next }
	/^### [0-9]+\.[0-9]+ / { print $2; next }
	/^## / { sec = "" }
	sec == "6" && /^[0-9]+\. / { item = $1; sub(/\.$/, "", item); print "6." item }
' "$DOC" | sort -u)

# The citing files: sources, tests and docs that name the document (this
# script and the document itself aside), and every "§N[.M]" in them.
files=$(git ls-files | grep -vE "^($DOC|tests/integration/doc_citations.sh)$" |
	xargs grep -l 'confluent-api' 2>/dev/null)
[ -n "$files" ] && ok "some files cite $DOC ($(echo "$files" | wc -l))" ||
	notok "some files cite $DOC"
for f in $files; do
	bad=""
	# Sections of other documents ("RFC 9112 §3.2", "JAX-RS 2.0 §3.8") are not ours.
	for ref in $(grep -oE '(RFC [0-9]+ |JAX-RS [0-9.]+ )?§[0-9]+(\.[0-9]+)?' "$f" |
			grep -v '^[RJ]' | sed 's/§//' | sort -u); do
		echo "$defined" | grep -qxF "$ref" || bad="$bad §$ref"
	done
	if [ -z "$bad" ]; then
		ok "$f: every § it cites exists"
	else
		notok "$f: cites$bad, which $DOC lacks"
	fi
done

#!/usr/bin/env bash
# tests/bench/compare_reports.sh - an analyzer change must not change what
# is reported: run two builds of `hbtrace report --format json` on the same
# traces and compare output and exit status byte for byte.
#
#   tests/bench/compare_reports.sh OLD-HBTRACE NEW-HBTRACE TRACE...
#
# Collect the traces of the e2e tests by pointing HBTRACE at a wrapper that
# copies every trace given to `report` before running it (see
# docs/performance.md, "Analyzer").  Exits 1 if any trace differs.
set -u
[ $# -ge 3 ] || {
	echo "usage: $0 OLD-HBTRACE NEW-HBTRACE TRACE..." >&2
	exit 2
}
old=$1 new=$2
shift 2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hbt-cmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
same=0 differ=0
for t in "$@"; do
	"$old" report --format json "$t" >"$tmp/old" 2>"$tmp/old.err"
	os=$?
	"$new" report --format json "$t" >"$tmp/new" 2>"$tmp/new.err"
	ns=$?
	if [ $os -eq $ns ] && cmp -s "$tmp/old" "$tmp/new" &&
		cmp -s "$tmp/old.err" "$tmp/new.err"; then
		same=$((same + 1))
	else
		differ=$((differ + 1))
		echo "DIFFERS: $t (status $os -> $ns)"
		diff "$tmp/old" "$tmp/new" | head -n 5
	fi
done
echo "compare: $same same, $differ differ"
[ $differ -eq 0 ]

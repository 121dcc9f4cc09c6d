# Sourced by tests/e2e/*.sh.  Provides ok/fail bookkeeping and helpers.
# Every case prints one line "ok NAME" or "FAIL NAME: why"; results are
# appended to $E2E_RESULTS so the Makefile can print one closing total.
set -u
: "${B:=build}"
: "${HBTRACE:=$PWD/$B/hbtrace}"
: "${TESTDATA_BIN:=$PWD/$B/testdata}"
: "${E2E_RESULTS:=/dev/null}"
E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/hbt-e2e.XXXXXX")
trap 'rm -rf "$E2E_TMP"' EXIT
e2e_failed=0

ok() {
	echo "ok $1"
	echo "pass $1" >>"$E2E_RESULTS"
}

fail() {
	echo "FAIL $1: $2"
	echo "fail $1" >>"$E2E_RESULTS"
	e2e_failed=1
}

# expect NAME COMMAND...: the command must succeed.
expect() {
	local name=$1
	shift
	if "$@" >"$E2E_TMP/out" 2>&1; then
		ok "$name"
	else
		fail "$name" "$(tail -n 5 "$E2E_TMP/out" | tr '\n' ' ')"
	fi
}

e2e_done() {
	exit $e2e_failed
}

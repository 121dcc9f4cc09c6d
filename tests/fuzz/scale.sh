#!/usr/bin/env bash
# tests/fuzz/scale.sh - the scale cases of issue 8 at full size (not part
# of `make test`: minutes on a loaded machine).  Run after `make all
# testdata`:
#
#   B=build bash tests/fuzz/scale.sh
#
# 1,000 threads (50 alive at a time), a million distinct mutexes, 1,000
# locks held at once by one thread (ThreadSanitizer aborts past 64): the
# program must run normally under the runtime and `hbtrace report` must
# finish.  Prints wall time and peak memory of each report.
cd "$(dirname "$0")/../.." || exit 2
: "${B:=build}"
HBTRACE=${HBTRACE:-$PWD/$B/hbtrace}
TESTDATA_BIN=${TESTDATA_BIN:-$PWD/$B/testdata}
. tests/e2e-lib.sh
RT=$(dirname "$HBTRACE")/libhbtrace.so
BIN=$TESTDATA_BIN
cd "$E2E_TMP" || exit 1

# case NAME EXPECTED-OUTPUT PROGRAM ARGS...
case_() {
	local name=$1 want=$2 st
	shift 2
	HBTRACE_OUT=$name.hbt timeout 600 env LD_PRELOAD="$RT" "$@" \
		>$name.out 2>$name.err
	st=$?
	if [ $st -ne 0 ] || ! grep -q "$want" $name.out; then
		fail "$name-runs" "status $st $(head -c 200 $name.err)"
		return
	fi
	ok "$name-runs ($(du -h $name.hbt | cut -f1) trace)"
	/usr/bin/time -f '%e s, %M KiB' -o $name.time timeout 600 \
		"$HBTRACE" report $name.hbt >$name.report 2>&1
	st=$?
	[ $st -eq 0 ] && ok "$name-report ($(cat $name.time))" ||
		fail "$name-report" "exit $st $(tail -c 200 $name.report)"
	rm -f $name.hbt
}

case_ threads-1000 '^10000$' "$BIN/rt_manythreads"
case_ mutexes-1000000 '^ok mutexes 1000000$' "$BIN/fault_scale" mutexes 1000000
case_ held-1000 '^ok held 1000$' "$BIN/fault_scale" held 1000
e2e_done

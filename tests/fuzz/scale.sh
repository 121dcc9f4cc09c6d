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
#
# Opt-in, issue 8's "a generated trace of a billion events analyzed in
# bounded memory": SCALE_EVENTS=1000000000 generates that many events with
# tests/bench/gen_trace (7.5-9 GB in $SCALE_DIR, default the test's
# temporary directory; deleted afterwards), runs `hbtrace report` on it and
# prints events/s, peak RSS (which counts the mapped trace's pages) and
# peak anonymous RSS (heap and tables: what must stay flat).  Check the
# free disk space first.
cd "$(dirname "$0")/../.." || exit 2
ROOT=$PWD
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

# generated NAME EVENTS: gen_trace's workload, one report, memory sampled.
generated() {
	local name=$1 n=$2 dir=${SCALE_DIR:-$E2E_TMP} pid child= anon=0 k v st t0 t1
	local gen=$E2E_TMP/gen_trace trace

	trace=$dir/$name.hbt
	if ! cc -O2 -D_GNU_SOURCE -I"$ROOT/lib" "$ROOT/tests/bench/gen_trace.c" \
		"$ROOT/$B/libhbt.a" -ldw -lelf -lm -o "$gen" 2>$name.cc; then
		fail "$name-gen" "$(head -c 200 $name.cc)"
		return
	fi
	if ! "$gen" -n "$n" -o "$trace" >$name.gen 2>&1; then
		fail "$name-gen" "$(tail -c 200 $name.gen)"
		rm -f "$trace"
		return
	fi
	ok "$name-gen ($(du -h "$trace" | cut -f1), $(cat $name.gen))"
	t0=${EPOCHREALTIME/./}
	/usr/bin/time -v -o $name.time "$HBTRACE" report "$trace" \
		>$name.report 2>&1 &
	pid=$!
	while kill -0 $pid 2>/dev/null; do
		# the report is the child of /usr/bin/time
		[ -n "$child" ] ||
			read -r child _ <"/proc/$pid/task/$pid/children" 2>/dev/null
		[ -n "$child" ] && while read -r k v _; do
			[ "$k" = RssAnon: ] && [ "$v" -gt "$anon" ] && anon=$v
		done <"/proc/$child/status" 2>/dev/null
		sleep 0.5
	done
	wait $pid
	st=$?
	t1=${EPOCHREALTIME/./}
	rm -f "$trace"
	if [ $st -ne 0 ]; then
		fail "$name-report" "exit $st $(tail -c 200 $name.report)"
		return
	fi
	ok "$name-report ($(awk -v n="$n" -v d=$((t1 - t0)) \
		-v u="$(sed -n 's/.*User time (seconds): //p' $name.time)" \
		'BEGIN { printf "%.0f s, %.2f M events/s wall, %.2f M/s user", d / 1e6, n / d, n / u / 1e6 }'), \
peak RSS $(sed -n 's/.*Maximum resident set size (kbytes): //p' $name.time) KiB, \
peak anonymous RSS $anon KiB)"
}

case_ threads-1000 '^10000$' "$BIN/rt_manythreads"
case_ mutexes-1000000 '^ok mutexes 1000000$' "$BIN/fault_scale" mutexes 1000000
case_ held-1000 '^ok held 1000$' "$BIN/fault_scale" held 1000
[ -n "${SCALE_EVENTS:-}" ] && generated events-$SCALE_EVENTS "$SCALE_EVENTS"
e2e_done

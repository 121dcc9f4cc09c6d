#!/usr/bin/env bash
# faults.sh - the traced program meets bad luck, the reader meets lies.
#
#  - kill -9 at random moments: every trace is readable, and "cut" when the
#    runtime did not get to close it (FAULT_TRIALS, default 20; 100 for the
#    full run of issue 8);
#  - SIGSEGV and abort() keep their signal under `hbtrace run` and under a
#    plain LD_PRELOAD, and the trace holds the events before the crash;
#  - an output path that cannot be created, and a full disk (a 256 KiB
#    tmpfs; skipped with a note when mounting is not allowed): the program
#    runs on with its own output and status, one warning line on stderr;
#  - fork from a multithreaded program, exec, threads that outlive main, a
#    signal handler taking a lock, one posting the semaphore its thread
#    waits on: statuses unchanged, every trace readable, every handler
#    call recorded (also those that interrupted the runtime);
#  - hostile traces (tests/fuzz/hostile_traces.py): huge sizes and counts,
#    overlapping or missing chunks, merge constraints that cannot be met or
#    form a cycle: dump and report answer within 10 s with exit 0 or 2 and
#    never a signal, under a 4 GiB address-space limit;
#  - hostile STD, suppressions and baseline files (binary junk, a 2 MB
#    line): exit 2 with one error line naming the file;
#  - scale, quick: 100,000 distinct mutexes (FAULT_MUTEXES; the million
#    of issue 8 is in tests/fuzz/scale.sh), 1,000 locks held at once.
. "$(dirname "$0")/../e2e-lib.sh"

T=$E2E_TMP
RT=${HBTRACE_RUNTIME:-$(dirname "$HBTRACE")/libhbtrace.so}
BIN=$TESTDATA_BIN
SRC=$(cd "$(dirname "$0")/../.." && pwd)
TRIALS=${FAULT_TRIALS:-20}
MUTEXES=${FAULT_MUTEXES:-100000}
cd "$T" || exit 1

# clean_close TRACE: is the header's clean-close flag set?  (flags is the
# u64 at offset 24, see lib/hbt_format.h)
clean_close() {
	local flags
	flags=$(od -An -tu8 -j24 -N8 "$1" 2>/dev/null | tr -d ' ')
	[ -n "$flags" ] && [ $((flags & 1)) -eq 1 ]
}

# readable TRACE: dump exits 0 within 20 s, and says "cut" exactly when the
# runtime did not close the trace.  Sets $why on failure.
readable() {
	local st
	timeout 20 "$HBTRACE" dump "$1" >dump.out 2>dump.err
	st=$?
	if [ $st -ne 0 ]; then
		why="dump of $1 exit $st: $(head -c 200 dump.err)"
		return 1
	fi
	if clean_close "$1"; then
		return 0
	fi
	if ! tail -n 3 dump.out | grep -q "cut"; then
		why="$1 has no clean-close flag but dump does not say cut"
		return 1
	fi
	return 0
}

# pre OUT PROGRAM ARGS...: run under LD_PRELOAD, status in $st.
pre() {
	local out=$1
	shift
	HBTRACE_OUT=$out timeout 30 env LD_PRELOAD="$RT" "$@" >pre.out \
		2>pre.err
	st=$?
}

# ---- kill -9 at random moments -----------------------------------------
bad=0
missing=0
cut=0
for i in $(seq "$TRIALS"); do
	HBTRACE_OUT=kill$i.hbt LD_PRELOAD="$RT" "$BIN/fault_busy" \
		>/dev/null 2>&1 &
	pid=$!
	# 0 to 250 ms: from inside the runtime's start-up to deep in the run
	sleep "0.$(printf '%03d' $((RANDOM % 250)))"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	# Killed before the trace existed, or before the runtime stored the
	# header's magic (written last, on purpose): nothing was recorded, and
	# the reader rightly says "not a trace file".
	if [ ! -e kill$i.hbt ] || { [ "$(stat -c %s kill$i.hbt)" -le 4096 ] &&
		[ "$(head -c 7 kill$i.hbt | tr -d '\0')" != HBTRACE ]; }; then
		missing=$((missing + 1))
		rm -f kill$i.hbt
		continue
	fi
	if ! readable kill$i.hbt; then
		bad=$((bad + 1))
		[ $bad -eq 1 ] && first="trial $i: $why (kept as ${TMPDIR:-/tmp}/hbt-faults-kill$i.hbt)"
		cp kill$i.hbt "${TMPDIR:-/tmp}/hbt-faults-kill$i.hbt" 2>/dev/null
		continue
	fi
	clean_close kill$i.hbt || cut=$((cut + 1))
	# the analyses too, on every fifth
	if [ $((i % 5)) -eq 0 ]; then
		timeout 30 "$HBTRACE" report kill$i.hbt >/dev/null 2>report.err
		st=$?
		if [ $st -ne 0 ]; then
			bad=$((bad + 1))
			[ $bad -eq 1 ] && first="trial $i: report exit $st"
		fi
	fi
	rm -f kill$i.hbt
done
if [ $bad -eq 0 ]; then
	ok "kill9-random-$TRIALS-readable ($cut cut, $missing before start)"
else
	fail "kill9-random-$TRIALS-readable" "$bad bad, first: $first"
fi

# ---- crashes keep their signal, under run and under LD_PRELOAD ----------
for how in segv abort; do
	{ timeout 30 "$BIN/rt_crash" $how; } >/dev/null 2>&1
	nst=$?
	{ pre crash-$how.hbt "$BIN/rt_crash" $how; } 2>/dev/null
	[ $st -eq $nst ] && ok "crash-$how-preload-status" ||
		fail "crash-$how-preload-status" "$st, natively $nst"
	timeout 30 "$HBTRACE" run -o run-$how.hbt -- "$BIN/rt_crash" $how \
		>/dev/null 2>run.err
	st=$?
	[ $st -eq $nst ] && ok "crash-$how-run-status" ||
		fail "crash-$how-run-status" "$st, natively $nst"
	for f in crash-$how.hbt run-$how.hbt; do
		if readable $f && grep -q "ACQUIRE .*lock" dump.out; then
			ok "crash-$how-trace-${f%%-*}"
		else
			fail "crash-$how-trace-${f%%-*}" "${why:-no ACQUIRE of lock}"
		fi
	done
done

# ---- output that cannot be written ---------------------------------------
# We run as root: a read-only directory would still be writable, so use a
# path below /proc that cannot be created.
timeout 30 "$BIN/fault_busy" 2000 >native.out 2>/dev/null
nst=$?
pre /proc/nonexistent/x.hbt "$BIN/fault_busy" 2000
if [ $st -eq $nst ] && cmp -s pre.out native.out; then
	ok "unwritable-runs-on"
else
	fail "unwritable-runs-on" "status $st (native $nst), out $(head -c 100 pre.out)"
fi
n=$(grep -c . pre.err)
[ "$n" -eq 1 ] && grep -q hbtrace pre.err && ok "unwritable-one-warning" ||
	fail "unwritable-one-warning" "$n lines: $(head -c 300 pre.err)"
timeout 30 "$HBTRACE" run -o /proc/nonexistent/x.hbt -- \
	"$BIN/fault_busy" 2000 >run.out 2>run.err
st=$?
[ $st -eq $nst ] && cmp -s run.out native.out &&
	ok "unwritable-run-runs-on" ||
	fail "unwritable-run-runs-on" "status $st, $(head -c 200 run.err)"

# ---- disk full ------------------------------------------------------------
mkdir -p full
if mount -t tmpfs -o size=256k hbt-faults full 2>/dev/null; then
	pre full/x.hbt "$BIN/fault_busy" 20000
	timeout 30 "$BIN/fault_busy" 20000 >native.out 2>/dev/null
	nst=$?
	if [ $st -eq $nst ] && cmp -s pre.out native.out; then
		ok "diskfull-runs-on"
	else
		fail "diskfull-runs-on" "status $st (native $nst), out $(head -c 100 pre.out)"
	fi
	n=$(grep -c . pre.err)
	[ "$n" -eq 1 ] && grep -q hbtrace pre.err && ok "diskfull-one-warning" ||
		fail "diskfull-one-warning" "$n lines: $(head -c 300 pre.err)"
	if [ -e full/x.hbt ]; then
		readable full/x.hbt && ok "diskfull-trace-readable" ||
			fail "diskfull-trace-readable" "$why"
	fi
	umount full
else
	echo "note: cannot mount a tmpfs here, disk-full cases skipped"
fi

# ---- fork, exec, threads outliving main, signal handler with a lock -----
# all_readable PREFIX NAME: every trace PREFIX* is readable.
all_readable() {
	local f n=0
	for f in "$1"*.hbt; do
		[ -e "$f" ] || continue
		n=$((n + 1))
		if ! readable "$f"; then
			fail "$2" "$why"
			return
		fi
	done
	[ $n -gt 0 ] && ok "$2 ($n traces)" || fail "$2" "no trace"
}

for prog in rt_fork rt_exec rt_outlive; do
	timeout 30 "$BIN/$prog" >/dev/null 2>&1
	nst=$?
	pre $prog.hbt "$BIN/$prog"
	[ $st -eq $nst ] && ok "$prog-status" ||
		fail "$prog-status" "$st, natively $nst"
	all_readable $prog "$prog-traces-readable"
done

pre sig.hbt "$BIN/fault_sighandler"
[ $st -eq 0 ] && grep -q '^handled 200$' pre.out && ok "sighandler-lock-runs" ||
	fail "sighandler-lock-runs" "status $st, $(head -c 100 pre.out)"
# every handler call reaches the trace, also those that interrupted the
# runtime inside main's own lock calls (kept and written afterwards)
if readable sig.hbt; then
	acq=$(grep -c "ACQUIRE .*handler_lock" dump.out)
	rel=$(grep -c "RELEASE .*handler_lock" dump.out)
	[ "$acq" -eq 200 ] && [ "$rel" -eq 200 ] && ok "sighandler-lock-trace" ||
		fail "sighandler-lock-trace" "handler_lock: $acq ACQUIRE, $rel RELEASE of 200"
else
	fail "sighandler-lock-trace" "$why"
fi
# report_quiet NAME TRACE [PATTERN]: exit 0 and nothing on stderr (no
# note: nothing was missing), stdout matching PATTERN when given.
report_quiet() {
	timeout 30 "$HBTRACE" report "$2" >report.out 2>report.err
	st=$?
	if [ $st -eq 0 ] && [ ! -s report.err ] &&
		{ [ -z "${3:-}" ] || grep -q "$3" report.out; }; then
		ok "$1"
	else
		fail "$1" "exit $st: $(head -c 200 report.err)"
	fi
}
report_quiet sighandler-lock-report sig.hbt
# a handler's full stack names the kernel's return path (__restore_rt,
# which libc's symbols leave unnamed) and goes on into what it interrupted
if timeout 20 "$HBTRACE" dump --stacks sig.hbt >dump.out 2>&1 &&
	grep -A1 '^ *#0 on_usr1 ' dump.out | grep -q '#1 <signal handler called> (.*libc'; then
	ok "sighandler-stack-names-sigreturn"
else
	fail "sighandler-stack-names-sigreturn" "$(grep -m1 -A2 '#0 on_usr1 ' dump.out)"
fi

# a handler posting a semaphore while its thread blocks in the runtime:
# in sem_wait on that semaphore (sem), in pthread_join (join) and in
# pthread_cond_wait (cond), while another thread consumes the posts.
# Every post must be in the trace, every wakeup's counter one a post
# listed before it gave (dump lists the threads one after the other, so
# within main this is the order), and the report quiet.
for mode in sem join cond; do
	pre sigpost-$mode.hbt "$BIN/fault_sigpost" $mode
	[ $st -eq 0 ] && grep -q '^woken 200$' pre.out && ok "sigpost-$mode-runs" ||
		fail "sigpost-$mode-runs" "status $st, $(head -c 100 pre.out)"
	if readable sigpost-$mode.hbt; then
		posts=$(grep -c "T1 *POST .*wake.* at on_usr1 (fault_sigpost.c:" dump.out)
		order=$(awk 'function seq(i) { for (i = 5; i <= NF; i++) if ($i ~ /^seq=/) return substr($i, 5) }
			$3 == "POST" && $4 ~ /^wake/ { posted[seq()] = 1 }
			$3 == "ACQUIRE" && $4 ~ /^wake/ && !(seq() in posted) { bad++ }
			END { print bad + 0 }' dump.out)
		[ "$posts" -eq 200 ] && [ "$order" -eq 0 ] && ok "sigpost-$mode-trace" ||
			fail "sigpost-$mode-trace" "$posts of 200 handler posts, $order wakeups before their post"
	else
		fail "sigpost-$mode-trace" "$why"
	fi
	report_quiet sigpost-$mode-report sigpost-$mode.hbt "no findings"
done

# ---- hostile traces -------------------------------------------------------
# Regressions once found by fuzzing, now all enabled: huge or sparse thread
# serials (the analyses ignore serials past AN_MAX_SERIAL) and an access at
# the top of the address space (race.c clamps the range).  Names listed here
# are skipped.
HOSTILE_DISABLED=""
python3 "$SRC/tests/fuzz/hostile_traces.py" hostile >hostile.list
bad=0
first=
while read -r name; do
	case " $(echo $HOSTILE_DISABLED) " in *" $name "*) continue ;; esac
	for cmd in dump report; do
		(
			ulimit -v 4194304
			timeout 10 "$HBTRACE" $cmd hostile/$name.hbt
		) >hostile.out 2>hostile.err
		st=$?
		lines=$(grep -c . hostile.err)
		if [ $st -ne 0 ] && [ $st -ne 2 ]; then
			why="$cmd $name: exit $st $(head -c 150 hostile.err)"
		elif [ $st -eq 2 ] && { [ "$lines" -ne 1 ] ||
			! grep -q "$name" hostile.err; }; then
			why="$cmd $name: error not one line naming the file: $(head -c 150 hostile.err)"
		else
			continue
		fi
		bad=$((bad + 1))
		[ -z "$first" ] && first=$why
	done
done <hostile.list
n=$(grep -c . hostile.list)
[ $bad -eq 0 ] && ok "hostile-traces ($n crafted)" ||
	fail "hostile-traces" "$bad bad, first: $first"

# ---- hostile text inputs: STD, suppressions, baselines --------------------
# one_line_error NAME FILE COMMAND...: exit 2 within 10 s, one stderr line
# naming the file.
one_line_error() {
	local name=$1 file=$2 st n
	shift 2
	timeout 10 "$@" >hostile.out 2>hostile.err
	st=$?
	n=$(grep -c . hostile.err)
	if [ $st -eq 2 ] && [ "$n" -eq 1 ] && grep -q "$file" hostile.err; then
		ok "$name"
	else
		fail "$name" "exit $st, $n lines: $(head -c 150 hostile.err | tr -d '\0')"
	fi
}
head -c 65536 /dev/urandom >junk.bin
python3 -c "print('T0|acq(' + 'L' * 2000000 + ')|1')" >longline.std
one_line_error import-binary-junk junk.bin \
	"$HBTRACE" import --from std junk.bin -o junk.hbt
one_line_error import-2mb-line longline.std \
	"$HBTRACE" import --from std longline.std -o long.hbt
one_line_error suppressions-binary-junk junk.bin \
	"$HBTRACE" check --suppressions junk.bin hostile/header_only.hbt
one_line_error baseline-2mb-line longline.std \
	"$HBTRACE" check --baseline longline.std hostile/header_only.hbt
# TODO(lead, lib/hbt_filewriter.c): every imported thread gets a full
# 64 KiB chunk in memory and in the file, so a 370 KB STD file with 20,000
# threads becomes a 1.3 GB trace and takes minutes.  Enable this case
# (FAULT_STD_THREADS=20000) once chunks are written trimmed to the
# records they hold.
n=${FAULT_STD_THREADS:-0}
if [ "$n" -gt 0 ]; then
	python3 -c "
import sys
sys.stdout.write(''.join('T%d|fork(T%d)|1\n' % (i, i + 1) for i in range($n)))" \
		>chain.std
	timeout 10 "$HBTRACE" import --from std chain.std -o chain.hbt \
		>/dev/null 2>&1
	st=$?
	size=$(stat -c %s chain.hbt 2>/dev/null || echo 0)
	[ $st -eq 0 ] && [ "$size" -lt $((64 << 20)) ] &&
		ok "import-$n-thread-chain" ||
		fail "import-$n-thread-chain" "exit $st, trace $size bytes"
	rm -f chain.hbt
fi

# ---- scale, quick ----------------------------------------------------------
pre held.hbt "$BIN/fault_scale" held 1000
[ $st -eq 0 ] && grep -q '^ok held 1000$' pre.out && ok "scale-1000-held" ||
	fail "scale-1000-held" "status $st $(head -c 200 pre.err)"
timeout 60 "$HBTRACE" report held.hbt >report.out 2>report.err
st=$?
[ $st -eq 0 ] && ok "scale-1000-held-report" ||
	fail "scale-1000-held-report" "exit $st $(head -c 200 report.err)"

pre mutexes.hbt "$BIN/fault_scale" mutexes "$MUTEXES"
[ $st -eq 0 ] && grep -q "^ok mutexes $MUTEXES\$" pre.out &&
	ok "scale-$MUTEXES-mutexes" ||
	fail "scale-$MUTEXES-mutexes" "status $st $(head -c 200 pre.err)"
timeout 60 "$HBTRACE" report mutexes.hbt >report.out 2>report.err
st=$?
[ $st -eq 0 ] && ok "scale-$MUTEXES-mutexes-report" ||
	fail "scale-$MUTEXES-mutexes-report" "exit $st $(head -c 200 report.err)"

e2e_done

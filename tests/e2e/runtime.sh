#!/usr/bin/env bash
# runtime.sh - the pthread runtime under LD_PRELOAD (and `hbtrace run`):
# every wrapped call, return values and errno unchanged, exit statuses
# and signals unchanged, fork/exec children get their own trace, kill -9
# keeps what was written, 1,000 threads, live deadlock detection.
. "$(dirname "$0")/../e2e-lib.sh"

T=$E2E_TMP
RT=${HBTRACE_RUNTIME:-$(dirname "$HBTRACE")/libhbtrace.so}
BIN=$TESTDATA_BIN
cd "$T" || exit 1

# pre NAME OUT ARGS...: run a testdata program under the runtime with
# HBTRACE_OUT=OUT; stdout in NAME.out, stderr in NAME.err, status in $st.
pre() {
	local name=$1 out=$2
	shift 2
	HBTRACE_OUT=$out timeout 20 env LD_PRELOAD="$RT" "$@" \
		>"$name.out" 2>"$name.err"
	st=$?
}

# native NAME ARGS...: the same without the runtime; status in $nst.
native() {
	local name=$1
	shift
	timeout 20 "$@" >"$name.native" 2>/dev/null
	nst=$?
}

# has TRACE REGEX NAME: the dump of TRACE has a line matching REGEX.
has() {
	if "$HBTRACE" dump "$1" 2>&1 | grep -Eq -- "$2"; then
		ok "$3"
	else
		fail "$3" "no '$2' in dump of $1"
	fi
}

same_status() {
	if [ "$1" -eq "$2" ]; then
		ok "$3"
	else
		fail "$3" "status $1 under the runtime, $2 natively"
	fi
}

# ---- every wrapped call, return values and errno ----------------------
native allsync "$BIN/rt_allsync"
pre allsync all.hbt "$BIN/rt_allsync"
same_status $st $nst "allsync-status"
if cmp -s allsync.out allsync.native; then
	ok "allsync-output"
else
	fail "allsync-output" "$(head -c 300 allsync.err)"
fi
[ "$st" -eq 0 ] && ok "allsync-checks" || fail "allsync-checks" "$(head -c 300 allsync.err)"
has all.hbt '^# flags clean-close' "allsync-clean-close"
has all.hbt 'THREAD_START +- parent=none' "allsync-main-thread"
has all.hbt 'THREAD_START +- parent=T1' "allsync-child-thread"
has all.hbt 'OBJ_INIT .*kind=pthread_mutex attr=1' "allsync-recursive-init"
has all.hbt 'OBJ_INIT .*m_rec_static.*attr=1' "allsync-static-recursive"
has all.hbt 'ACQUIRE .*op=recursive' "allsync-recursive-acquire"
has all.hbt 'FAIL .*outcome=busy op=try err=16' "allsync-trylock-busy"
has all.hbt 'FAIL .*outcome=timedout op=timed,requested err=110' "allsync-timedlock"
has all.hbt 'FAIL .*outcome=error op=requested err=35' "allsync-errorcheck-relock"
has all.hbt 'RELEASE .*err=1' "allsync-unlock-eperm"
has all.hbt 'ACQUIRE .*kind=pthread_rwlock seq=[0-9]+ op=read' "allsync-rdlock"
has all.hbt 'kind=pthread_spinlock' "allsync-spin"
has all.hbt 'COND_WAIT ' "allsync-cond-wait"
has all.hbt 'COND_WAKE .* seq=[1-9][0-9]* mutex_seq=[1-9]' "allsync-cond-wake"
has all.hbt 'COND_WAKE .*outcome=timedout' "allsync-cond-timedout"
has all.hbt 'POST .*kind=pthread_cond seq=[0-9]+ op=broadcast' "allsync-broadcast"
has all.hbt 'POST .*kind=sem seq=1' "allsync-sem-post"
has all.hbt 'OBJ_INIT +/hbt-rt-' "allsync-named-sem"
has all.hbt 'BARRIER_LEAVE .*serial' "allsync-barrier"
has all.hbt 'THREAD_END .*pthread_exit' "allsync-pthread-exit"
has all.hbt 'JOIN +T[0-9]+ outcome=busy' "allsync-tryjoin"
has all.hbt 'JOIN +T[0-9]+ outcome=timedout' "allsync-timedjoin"
has all.hbt 'DETACH +T[0-9]+' "allsync-detach"
has all.hbt 'T[0-9]+ .*"rt-worker"' "allsync-thread-name"
has all.hbt 'at main \(rt_allsync.c:[0-9]+\)' "allsync-stacks-symbolized"

# ---- a static mutex locked before our constructor; dlopen -------------
native early "$BIN/rt_early"
pre early early.hbt "$BIN/rt_early"
same_status $st $nst "early-status"
has early.hbt 'ACQUIRE .*early_lock.*at early_init' "early-constructor-recorded"

if "$HBTRACE" dump --defs early.hbt 2>&1 | grep -Eq 'MODULE +0x.*libm\.so'; then
	ok "early-dlopen-module"
else
	fail "early-dlopen-module" "no MODULE for libm"
fi
if "$HBTRACE" dump --defs early.hbt 2>&1 | grep -Eq 'MODULE +0x.*rt_early build-id='; then
	ok "early-main-module-build-id"
else
	fail "early-main-module-build-id" "no MODULE with build id for the program"
fi
if "$HBTRACE" dump --defs early.hbt 2>&1 | grep -q 'MODULE_UNMAP'; then
	ok "early-dlclose-unmap"
else
	fail "early-dlclose-unmap" "no MODULE_UNMAP"
fi

# A library preloaded after the runtime is initialized before it: its
# constructor's lock is the runtime's first call (lazy initialization).
cat >earlylib.c <<'EOF'
#include <pthread.h>
static pthread_mutex_t lib_lock = PTHREAD_MUTEX_INITIALIZER;
__attribute__((constructor)) static void lib_init(void)
{
	pthread_mutex_lock(&lib_lock);
	pthread_mutex_unlock(&lib_lock);
}
EOF
if ${CC:-cc} -shared -fPIC -g -pthread -o libearly.so earlylib.c 2>/dev/null; then
	HBTRACE_OUT=lazy.hbt timeout 20 env LD_PRELOAD="$RT $T/libearly.so" \
		"$BIN/rt_early" >lazy.out 2>&1
	st=$?
	[ "$st" -eq 0 ] && ok "lazy-init-status" || fail "lazy-init-status" "status $st"
	has lazy.hbt 'ACQUIRE .*lib_lock.*at lib_init' "lazy-init-recorded"
fi

# ---- cancellation inside a condition wait -------------------------------
pre cancel cancel.hbt "$BIN/rt_cancel"
[ "$st" -eq 0 ] && ok "cancel-status" || fail "cancel-status" "status $st"
has cancel.hbt 'COND_WAKE .*outcome=cancelled' "cancel-cond-wake"
has cancel.hbt 'T2 +RELEASE +queue_lock' "cancel-cleanup-unlock-recorded"

# ---- fork: the child writes its own file -------------------------------
pre fork fork.hbt "$BIN/rt_fork"
[ "$st" -eq 0 ] && ok "fork-status" || fail "fork-status" "status $st"
child=$(ls fork.*.hbt 2>/dev/null | head -n 1)
if [ -n "$child" ]; then
	ok "fork-child-file"
	has "$child" '^# flags .*fork-child' "fork-child-flag"
	has "$child" 'FORK +- result=0' "fork-child-record"
	has "$child" 'THREAD_START +- parent=T1' "fork-child-thread"
	has "$child" 'ACQUIRE +atfork_lock' "fork-child-inherits-held-lock"
	has "$child" '^# flags .*clean-close' "fork-child-exit-finalized"
else
	fail "fork-child-file" "$(ls)"
fi
has fork.hbt 'FORK +- result=[1-9]' "fork-parent-record"

# ---- chunks opened ahead and at once: no lock taken is lost -----------
# rt_chunks 150000: 5 threads x 150,000 rounds of ck_inner in the parent's
# trace (enough for megabyte chunks, the only ones mapped ahead), 150,000
# in the fork child's; with the fast paths off too (generic path)
for mode in fast generic; do
	rm -f chunks-$mode*.hbt
	if [ $mode = fast ]; then
		pre chunks-$mode chunks-$mode.hbt "$BIN/rt_chunks" 150000
	else
		HBTRACE_STACK_CACHE=0 pre chunks-$mode chunks-$mode.hbt \
			"$BIN/rt_chunks" 150000
	fi
	[ "$st" -eq 0 ] && ok "chunks-$mode-status" ||
		fail "chunks-$mode-status" "status $st $(head -c 300 chunks-$mode.err)"
	child=$(ls chunks-$mode.*.hbt 2>/dev/null | head -n 1)
	np=$("$HBTRACE" dump chunks-$mode.hbt 2>&1 | grep -c 'ACQUIRE *ck_inner')
	nc=$("$HBTRACE" dump "${child:-none}" 2>&1 | grep -c 'ACQUIRE *ck_inner')
	if [ "$np" -eq 750000 ] && [ "$nc" -eq 150000 ]; then
		ok "chunks-$mode-nothing-lost"
	else
		fail "chunks-$mode-nothing-lost" "parent $np of 750000, child $nc of 150000"
	fi
done

# ---- exec: a failed exec is recorded, the new image gets .exec1 --------
native exec "$BIN/rt_exec"
pre exec exec.hbt "$BIN/rt_exec"
same_status $st $nst "exec-status"
has exec.hbt 'EXEC .*err=2' "exec-failure-recorded"
has exec.hbt 'EXEC +/proc/self/exe' "exec-recorded"
n=$("$HBTRACE" dump exec.hbt 2>/dev/null | grep -c 'THREAD_END')
[ "$n" -eq 0 ] && ok "exec-vfork-child-left-trace-alone" ||
	fail "exec-vfork-child-left-trace-alone" "$n THREAD_END"
if [ -f exec.exec1.hbt ]; then
	ok "exec-child-file"
	has exec.exec1.hbt '^# flags .*exec-child' "exec-child-flag"
else
	fail "exec-child-file" "$(ls)"
fi

# ---- crashes keep their status, the trace stays readable ---------------
for how in segv abort; do
	native crash-$how "$BIN/rt_crash" $how
	pre crash-$how crash-$how.hbt "$BIN/rt_crash" $how
	same_status $st $nst "crash-$how-status"
	has crash-$how.hbt 'ACQUIRE .*lock' "crash-$how-trace"
done

HBTRACE_OUT=killed.hbt LD_PRELOAD="$RT" "$BIN/rt_crash" hang >hang.out 2>&1 &
pid=$!
for _ in $(seq 100); do
	grep -q ready hang.out 2>/dev/null && break
	sleep 0.1
done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
n=$("$HBTRACE" dump killed.hbt 2>/dev/null | grep -c 'ACQUIRE .*busy')
if [ "${n:-0}" -ge 20000 ]; then
	ok "kill9-events-kept"
else
	fail "kill9-events-kept" "$n acquisitions in the trace"
fi

# ---- 1,000 threads; threads that outlive main --------------------------
pre many many.hbt "$BIN/rt_manythreads"
[ "$st" -eq 0 ] && grep -q '^10000$' many.out && ok "many-status" ||
	fail "many-status" "status $st"
has many.hbt '^# threads 1001' "many-threads"
n=$("$HBTRACE" dump many.hbt 2>/dev/null | grep -c 'THREAD_END')
[ "$n" -eq 1001 ] && ok "many-thread-ends" || fail "many-thread-ends" "$n"

native outlive "$BIN/rt_outlive"
pre outlive outlive.hbt "$BIN/rt_outlive"
same_status $st $nst "outlive-status"
n=$("$HBTRACE" dump outlive.hbt 2>/dev/null | grep -c 'THREAD_END')
[ "$n" -eq 1 ] && ok "outlive-running-at-exit" || fail "outlive-running-at-exit" "$n THREAD_END"

# main pthread_exit()s, then its last thread returns: the process ends
# with status 0, as natively (the watchdog thread kept it alive)
native exitmain "$BIN/rt_exitmain"
pre exitmain exitmain.hbt "$BIN/rt_exitmain"
same_status $st $nst "exitmain-status"
cmp -s exitmain.out exitmain.native && ok "exitmain-output" ||
	fail "exitmain-output" "$(head -c 200 exitmain.out)"
has exitmain.hbt '^# flags clean-close' "exitmain-clean-close"

# libunwind's address-probe pipe sits above the program's descriptors: a
# shell that dup2()s onto 4 and then forks got probe bytes in its output
script='s=$(exec 4>&1; /bin/true; /bin/true); printf "[%s]" "$s"'
want=$(bash -c "$script" 2>&1)
got=$(HBTRACE_OUT=unwfd.%p.hbt timeout 20 env LD_PRELOAD="$RT" bash -c "$script" 2>&1)
[ "$got" = "$want" ] && ok "unwind-pipe-fd" ||
	fail "unwind-pipe-fd" "'$(printf %s "$got" | od -An -c | tr -s ' ')' instead of '$want'"

# ---- live deadlocks -----------------------------------------------------
for prog in rt_selflock rt_abba rt_joincycle rt_rwupgrade; do
	HBTRACE_OUT=$prog.hbt HBTRACE_DEADLOCK=exit timeout 20 \
		env LD_PRELOAD="$RT" "$BIN/$prog" >$prog.out 2>$prog.err
	st=$?
	[ "$st" -eq 3 ] && ok "$prog-exit-3" || fail "$prog-exit-3" "status $st"
	if grep -q "WARNING: hbtrace: deadlock" $prog.err; then
		ok "$prog-stderr-report"
	else
		fail "$prog-stderr-report" "$(head -c 300 $prog.err)"
	fi
	has $prog.hbt 'DEADLOCK ' "$prog-deadlock-record"
	has $prog.hbt '^# flags .*clean-close' "$prog-finalized"
done
grep -q "deadlock (2 threads)" rt_abba.err && ok "abba-two-threads" ||
	fail "abba-two-threads" "$(head -n 1 rt_abba.err)"

# ---- hbtrace run ---------------------------------------------------------
if "$HBTRACE" run --help >/dev/null 2>&1; then
	timeout 30 "$HBTRACE" run -o run.%p.hbt -- "$BIN/rt_abba" >run.out 2>run.err
	st=$?
	[ "$st" -eq 3 ] && ok "run-abba-exit-3" || fail "run-abba-exit-3" "status $st"
	grep -q "deadlock" run.out run.err && ok "run-abba-report" ||
		fail "run-abba-report" "$(head -c 300 run.err)"
	timeout 30 "$HBTRACE" run -o runf.hbt -- "$BIN/rt_fork" >runf.out 2>runf.err
	st=$?
	[ "$st" -eq 0 ] && ok "run-fork-status" || fail "run-fork-status" "status $st"
	n=$(grep -c 'trace written' runf.err)
	[ "$n" -eq 2 ] && ok "run-fork-two-traces" || fail "run-fork-two-traces" "$n traces"
fi

e2e_done

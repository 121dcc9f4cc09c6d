#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# fastpath.sh - the runtime's pthread_mutex_lock/unlock fast paths
# (rt_pthread.c) write the same trace as the generic path they skip
# (HBTRACE_STACK_CACHE=0 turns both the stack cache and the fast paths
# off), leave return values and errno alone, and keep the trace's
# meaning: REQUEST only when a lock was busy, recursion and misuse marked.
. "$(dirname "$0")/../e2e-lib.sh"

RT=${RT:-$(dirname "$HBTRACE")/libhbtrace.so}
BIN=$TESTDATA_BIN
cd "$E2E_TMP" || exit 1

# run NAME ENV...: record rt_fastpath with ASLR off, dump with stacks
run() {
	local name=$1
	shift
	setarch -R env "$@" HBTRACE_OUT="$name.hbt" LD_PRELOAD="$RT" \
		"$BIN/rt_fastpath" 6 >"$name.out" 2>"$name.err" &&
		"$HBTRACE" dump --stacks "$name.hbt" | grep -v '^#' |
		sed 's/tid=[0-9]*//' >"$name.txt"
}

if ! setarch -R true 2>/dev/null; then
	ok fastpath-skipped-no-setarch
	e2e_done
fi
"$BIN/rt_fastpath" 6 >native.out 2>&1
if run fast && run generic HBTRACE_STACK_CACHE=0; then
	ok fastpath-runs
else
	fail fastpath-runs "status $? $(head -c 300 fast.err generic.err)"
fi
if cmp -s native.out fast.out && grep -q '^errno kept$' fast.out; then
	ok fastpath-results-and-errno
else
	fail fastpath-results-and-errno \
		"$(diff native.out fast.out | head -5 | tr '\n' ' ')"
fi
if [ -s fast.txt ] && cmp -s fast.txt generic.txt; then
	ok fastpath-same-trace
else
	fail fastpath-same-trace \
		"$(diff fast.txt generic.txt | head -5 | tr '\n' ' ')"
fi
# what the fast paths must not lose: nothing blocked on the plain locks
# (no REQUEST for them), the recursive relock and the failed unlocks
if ! grep -E 'REQUEST +fp_(outer|inner)' fast.txt >/dev/null &&
	grep -Eq 'ACQUIRE +fp_rec.*recursive' fast.txt &&
	grep -Eq 'RELEASE +fp_reinit.*err=1' fast.txt &&
	grep -Eq 'RELEASE +fp_check.*err=1' fast.txt; then
	ok fastpath-trace-meaning
else
	fail fastpath-trace-meaning "$(grep -E 'fp_(rec|reinit|check)' fast.txt | head -5 | tr '\n' ' ')"
fi
e2e_done

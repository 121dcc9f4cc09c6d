#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# stackcache.sh - the runtime's call-site stack cache (rt_stack.c) gives
# every event the same stack as a full unwind (HBTRACE_STACK_CACHE=0).
. "$(dirname "$0")/../e2e-lib.sh"

RT=${RT:-$(dirname "$HBTRACE")/libhbtrace.so}
BIN=$TESTDATA_BIN
cd "$E2E_TMP" || exit 1

# run NAME ENV...: record rt_stackcache with ASLR off, dump with stacks
run() {
	local name=$1
	shift
	setarch -R env "$@" HBTRACE_OUT="$name.hbt" LD_PRELOAD="$RT" \
		"$BIN/rt_stackcache" 300 >/dev/null 2>&1 &&
		"$HBTRACE" dump --stacks "$name.hbt" | grep -v '^#' |
		sed 's/tid=[0-9]*//' >"$name.txt"
}

if ! setarch -R true 2>/dev/null; then
	ok stackcache-skipped-no-setarch
	e2e_done
fi
for depth in 16 4; do
	if run on$depth HBTRACE_STACK_DEPTH=$depth &&
		run off$depth HBTRACE_STACK_DEPTH=$depth HBTRACE_STACK_CACHE=0; then
		if cmp -s on$depth.txt off$depth.txt; then
			ok stackcache-same-stacks-depth$depth
		else
			fail stackcache-same-stacks-depth$depth \
				"$(diff on$depth.txt off$depth.txt | head -5 | tr '\n' ' ')"
		fi
	else
		fail stackcache-same-stacks-depth$depth "run failed"
	fi
done
# the chains differ: more than one distinct stack under sc_take
n=$(grep -c 'sc_right' on16.txt)
if [ "$n" -gt 0 ] && grep -q 'sc_left' on16.txt && grep -q 'sc_var' on16.txt; then
	ok stackcache-distinct-callers
else
	fail stackcache-distinct-callers "callers missing from stacks"
fi
e2e_done

#!/usr/bin/env bash
# memory.sh - `hbtrace cc` / `hbtrace c++` and the data-race / lost-update
# analysis: every testdata/mem program is built with gcc and with clang,
# must run normally on its own, and under `hbtrace run` must give exactly
# the expected finding counts.
. "$(dirname "$0")/../e2e-lib.sh"

T=$E2E_TMP
SRC=$(cd "$(dirname "$0")/../../testdata/mem" && pwd)

# Expected summary per program: "data-race lost-update".
declare -A want=(
	[mem_counter]="1 1"
	[mem_counter_fixed]="0 0"
	[mem_split]="0 1"
	[mem_split_fixed]="0 0"
	[mem_flag]="2 0"
	[mem_flag_fixed]="0 0"
	[mem_heap]="1 0"
	[mem_heap_fixed]="0 0"
	[mem_cond_ok]="0 0"
	[mem_sem_ok]="0 0"
	[mem_barrier_ok]="0 0"
	[mem_atomic_ok]="0 0"
	[mem_memset]="1 0"
	[mem_memset_fixed]="0 0"
	[mem_stack]="1 1"
	[mem_stack_fixed]="0 0"
	[mem_sigstop]="1 0"
	[mem_sigstop_fixed]="0 0"
)

# counts FILE.json: prints "data-race lost-update" from the summary.
counts() {
	python3 -c '
import json, sys
s = json.load(open(sys.argv[1])).get("summary", {})
print(s.get("data-race", 0), s.get("lost-update", 0))' "$1"
}

compilers=(gcc)
if command -v clang >/dev/null; then
	compilers+=(clang)
else
	fail "memory-clang" "clang is not installed (tests/install-deps.sh)"
fi

for cc in "${compilers[@]}"; do
	for prog in $(printf '%s\n' "${!want[@]}" | sort); do
		name="mem-$cc-$prog"
		bin=$T/$prog.$cc
		if ! CC=$cc "$HBTRACE" cc -g -O1 -pthread -o "$bin" \
			"$SRC/$prog.c" >"$T/build.log" 2>&1; then
			fail "$name-build" "$(tail -n 3 "$T/build.log" | tr '\n' ' ')"
			continue
		fi
		# standalone: runs normally, no trace, fixed twins check
		# their own results through the exit status
		if ! (cd "$T" && "$bin" >"$T/plain.out" 2>&1); then
			fail "$name-standalone" "exit status $?"
			continue
		fi
		if ls "$T"/hbtrace.*.hbt >/dev/null 2>&1; then
			fail "$name-standalone" "wrote a trace without hbtrace"
			rm -f "$T"/hbtrace.*.hbt
			continue
		fi
		ok "$name-standalone"
		rm -f "$T/$prog.hbt"
		if ! HBTRACE_QUIET=1 "$HBTRACE" run -o "$T/$prog.hbt" -- "$bin" \
			>"$T/run.out" 2>&1; then
			fail "$name-run" "$(tail -n 3 "$T/run.out" | tr '\n' ' ')"
			continue
		fi
		if ! "$HBTRACE" report --format json "$T/$prog.hbt" \
			>"$T/$prog.json" 2>"$T/report.err"; then
			fail "$name-report" "$(head -c 300 "$T/report.err")"
			continue
		fi
		# nothing said on stderr: a note would mean events were not
		# recorded (the runtime's own memcpy once counted as such)
		if [ -s "$T/report.err" ]; then
			fail "$name-report-quiet" "$(head -c 300 "$T/report.err")"
		fi
		cp "$T/$prog.json" "$T/$prog.$cc.json"
		got=$(counts "$T/$prog.json" 2>&1)
		if [ "$got" = "${want[$prog]}" ]; then
			ok "$name"
		else
			fail "$name" "data-race/lost-update: got '$got', want '${want[$prog]}'"
		fi
	done
done

# The findings name the variable and carry both stacks.
if [ -s "$T/mem_counter.json" ]; then
	if python3 - "$T/mem_counter.json" <<'EOF'; then
import json, sys
f = json.load(open(sys.argv[1]))["findings"]
race = [x for x in f if x["kind"] == "data-race"][0]
assert any(l["name"] == "counter" for l in race["locks"]), race["locks"]
assert len(race["steps"]) == 2
for s in race["steps"]:
    assert any(fr.get("function") == "worker" for fr in s["stack"]), s
EOF
		ok "mem-race-names-variable-and-stacks"
	else
		fail "mem-race-names-variable-and-stacks" "see $T/mem_counter.json"
	fi
fi

# Every compiler's findings carry file:line.  clang emits no
# .debug_aranges, which once left its frames with no line at all.
for cc in "${compilers[@]}"; do
	[ -s "$T/mem_counter.$cc.json" ] || continue
	if python3 - "$T/mem_counter.$cc.json" <<'EOF'; then
import json, sys
f = json.load(open(sys.argv[1]))["findings"]
race = [x for x in f if x["kind"] == "data-race"][0]
assert any(fr.get("file", "") and fr["file"].endswith("mem_counter.c")
           and fr.get("line", 0) > 0
           for s in race["steps"] for fr in s["stack"]), race["steps"]
EOF
		ok "mem-$cc-file-line"
	else
		fail "mem-$cc-file-line" "see $T/mem_counter.$cc.json"
	fi
done

# A race on a struct on main's stack is named from DWARF, with a step
# showing the frame that owns it.
for cc in "${compilers[@]}"; do
	[ -s "$T/mem_stack.$cc.json" ] || continue
	if python3 - "$T/mem_stack.$cc.json" <<'EOF'; then
import json, sys
f = json.load(open(sys.argv[1]))["findings"]
for kind in ("data-race", "lost-update"):
    x = [x for x in f if x["kind"] == kind][0]
    assert x["locks"][0]["name"] == "stats.hits", x["locks"]
    assert x["locks"][0]["type"] == "stack variable", x["locks"]
    own = x["steps"][-1]
    assert own["thread"] == "T1" and "own" in own["action"], own
    assert own["stack"][0]["function"] == "main", own
EOF
		ok "mem-$cc-stack-variable-named"
	else
		fail "mem-$cc-stack-variable-named" "see $T/mem_stack.$cc.json"
	fi
done

# dump --defs shows the STACK_FRAME records the names come from
if [ -s "$T/mem_stack.hbt" ]; then
	if "$HBTRACE" dump --defs "$T/mem_stack.hbt" 2>&1 |
		grep -Eq 'STACK_FRAME +sp=0x[0-9a-f]+ stack=[0-9]+$'; then
		ok "mem-dump-stack-frame"
	else
		fail "mem-dump-stack-frame" "no STACK_FRAME sp=... in dump --defs"
	fi
fi

# the stub runtime must load on its own: nothing undefined but libc's
undef=$(nm -D --undefined-only "$B/libhbtrace-tsan.so" 2>/dev/null |
	grep -v -e '@GLIBC' -e ' w ' || true)
if [ -z "$undef" ] && [ -s "$B/libhbtrace-tsan.so" ]; then
	ok "mem-stub-self-contained"
else
	fail "mem-stub-self-contained" "undefined: $undef"
fi

# hand-written annotations (<sanitizer/tsan_interface.h>) link against
# the stub and order accesses under hbtrace run
cat >"$T/annot.c" <<'EOF'
#include <pthread.h>
#include <stdatomic.h>
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
static int data;
static atomic_int flag;
static void *producer(void *arg)
{
	data = 42;
	__tsan_release(&data);
	atomic_store_explicit(&flag, 1, memory_order_relaxed);
	return arg;
}
int main(void)
{
	pthread_t p;

	pthread_create(&p, NULL, producer, NULL);
	while (!atomic_load_explicit(&flag, memory_order_relaxed))
		;
	__tsan_acquire(&data);
	data++;
	pthread_join(p, NULL);
	return data != 43;
}
EOF
rm -f "$T/annot.hbt"
if CC=gcc "$HBTRACE" cc -g -O1 -pthread -o "$T/annot" "$T/annot.c" >"$T/build.log" 2>&1 &&
	"$T/annot" && HBTRACE_QUIET=1 "$HBTRACE" run -o "$T/annot.hbt" -- "$T/annot" >/dev/null 2>&1 &&
	"$HBTRACE" report --format json "$T/annot.hbt" >"$T/annot.json" &&
	[ "$(counts "$T/annot.json")" = "0 0" ]; then
	ok "mem-annotations"
else
	fail "mem-annotations" "$(cat "$T/build.log" "$T/annot.json" 2>/dev/null | head -c 300)"
fi

# c++: the same runtime for C++ code
cat >"$T/cxx.cc" <<'EOF'
#include <thread>
static long counter;
int main()
{
	std::thread a([] { for (int i = 0; i < 1000; i++) counter++; });
	std::thread b([] { for (int i = 0; i < 1000; i++) counter++; });
	a.join();
	b.join();
	return counter > 2000;
}
EOF
if "$HBTRACE" c++ -g -O1 -pthread -o "$T/cxx" "$T/cxx.cc" >"$T/build.log" 2>&1 &&
	"$T/cxx"; then
	ok "mem-cxx-build-and-run"
else
	fail "mem-cxx-build-and-run" "$(tail -n 3 "$T/build.log" | tr '\n' ' ')"
fi

# separate compile and link steps
if CC=gcc "$HBTRACE" cc -g -O1 -c -o "$T/sep.o" "$SRC/mem_counter.c" &&
	CC=gcc "$HBTRACE" cc -pthread -o "$T/sep" "$T/sep.o" && "$T/sep" >/dev/null; then
	ok "mem-separate-compile-and-link"
else
	fail "mem-separate-compile-and-link" "build or run failed"
fi

e2e_done

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# End-to-end tests of the CPython / asyncio front-end: every
# testdata/py/*.py with an "# expect:" line runs under `hbtrace run` with
# /usr/bin/python3 and with the newest pyenv CPython present; the JSON
# report's summary must equal the expected counts exactly; a program with
# a "# requires: X.Y" line runs only on CPython X.Y and later.  Then: -m and
# -c activate the front-end, HBTRACE_PYTHON=0 keeps it off, and the
# embedded bootstrap (instrument/py_boot.c) matches instrument/py_boot.py.
. "$(dirname "$0")/../e2e-lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# A loaded CI machine can make any step slow: only the deliberate
# 500 ms stall of loop_stall_sleep.py must count.
export HBTRACE_LOOP_STALL_MS=300
PY_JSON=/usr/bin/python3 # parses reports; any python3 will do

# HBT_E2E_PYTHONS="/path/python3 ..." replaces the two (to try 3.8-3.12)
pythons=()
if [ -n "${HBT_E2E_PYTHONS:-}" ]; then
	read -r -a pythons <<<"$HBT_E2E_PYTHONS"
else
	[ -x /usr/bin/python3 ] && pythons+=(/usr/bin/python3)
	newest=$(ls /root/.pyenv/versions 2>/dev/null |
		grep -E '^3\.[0-9]+\.[0-9]+$' | sort -V | tail -1)
	if [ -n "$newest" ] &&
		[ -x "/root/.pyenv/versions/$newest/bin/python3" ]; then
		pythons+=("/root/.pyenv/versions/$newest/bin/python3")
	fi
fi

# summary FILE.hbt -> "kind=n,kind=n" sorted, or "none"
summary() {
	"$HBTRACE" report --format json "$@" 2>"$E2E_TMP/report.err" |
		"$PY_JSON" -c '
import json, sys
d = json.load(sys.stdin)
print(",".join("%s=%d" % kv for kv in sorted(d["summary"].items()) if kv[1]) or "none")'
}

# normalize "b=1,a=2" -> "a=2,b=1"
norm() {
	echo "$1" | tr -d ' ' | tr ',' '\n' | grep -v '^$' | sort | paste -sd, -
}

if [ ${#pythons[@]} -eq 0 ]; then
	echo "skip python: no CPython found"
	e2e_done
fi

for py in "${pythons[@]}"; do
	ver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
	for f in "$ROOT"/testdata/py/*.py; do
		want=$(sed -n '1,5s/^# expect: *//p' "$f" | head -1)
		[ -n "$want" ] || continue
		name="python$ver/$(basename "$f" .py)"
		req=$(sed -n '1,5s/^# requires: *//p' "$f" | head -1)
		if [ -n "$req" ] && [ "$(printf '%s\n' "$req" "$ver" |
			sort -V | head -1)" != "$req" ]; then
			echo "skip $name: needs $req"
			continue
		fi
		out="$E2E_TMP/$(basename "$f" .py).$ver.hbt"
		(cd "$(dirname "$f")" &&
			timeout 60 "$HBTRACE" run --no-report -o "$out" -- \
				"$py" "$f") >"$E2E_TMP/run.out" 2>&1
		rc=$?
		if [ $rc -eq 124 ]; then
			fail "$name" "timed out"
			continue
		fi
		# every recorded order is consistent: the merge never had to
		# force an event out (a wait for a POST that never comes)
		if "$HBTRACE" dump "$out" 2>/dev/null |
			grep -q '^# .* placed against the recorded order'; then
			fail "$name" "events placed against the recorded order"
			continue
		fi
		got=$(summary "$out")
		if [ -z "$got" ]; then
			fail "$name" "no report: $(head -c 300 "$E2E_TMP/report.err")"
			continue
		fi
		[ "$want" = none ] || want=$(norm "$want")
		if [ "$got" = "$want" ]; then
			ok "$name"
		else
			fail "$name" "expected $want, got $got (run status $rc)"
		fi
	done
done

# The front-end switches on for -m and -c too: a lost update in each.
py=${pythons[0]}
mod="$E2E_TMP/mod"
mkdir -p "$mod"
cp "$ROOT/testdata/py/lost_update_global.py" "$mod/hbt_lostmod.py"
(cd "$mod" && timeout 60 "$HBTRACE" run --no-report -o "$E2E_TMP/m.hbt" -- \
	"$py" -m hbt_lostmod) >/dev/null 2>&1
got=$(summary "$E2E_TMP/m.hbt")
if [ "$got" = "lost-update=1" ]; then ok "python-m"; else fail "python-m" "got '$got'"; fi

code='import asyncio
async def f(): raise ValueError(1)
async def main():
    asyncio.get_running_loop().create_task(f())
    await asyncio.sleep(0.01)
asyncio.run(main())'
timeout 60 "$HBTRACE" run --no-report -o "$E2E_TMP/c.hbt" -- "$py" -c "$code" \
	>/dev/null 2>&1
got=$(summary "$E2E_TMP/c.hbt")
if [ "$got" = "unawaited-task=1" ]; then ok "python-c"; else fail "python-c" "got '$got'"; fi

# Code under site-packages is not tracked unless HBTRACE_TRACK names it.
sp="$E2E_TMP/sp/site-packages"
mkdir -p "$sp"
sed 's/^asyncio.run(main())/def run(): asyncio.run(main())/' \
	"$ROOT/testdata/py/lost_update_global.py" >"$sp/hbt_libmod.py"
echo 'import hbt_libmod; hbt_libmod.run()' >"$E2E_TMP/uselib.py"
for track in "" "$E2E_TMP/sp"; do
	PYTHONPATH=$sp HBTRACE_TRACK=$track timeout 60 "$HBTRACE" run --no-report \
		-o "$E2E_TMP/t.hbt" -- "$py" "$E2E_TMP/uselib.py" >/dev/null 2>&1
	got=$(summary "$E2E_TMP/t.hbt")
	want=none
	[ -n "$track" ] && want=lost-update=1
	if [ "$got" = "$want" ]; then ok "python-track${track:+-on}"; else
		fail "python-track${track:+-on}" "expected $want, got '$got'"; fi
done

# HBTRACE_PYTHON=0: the program runs unchanged and nothing is recorded.
HBTRACE_PYTHON=0 timeout 60 "$HBTRACE" run --no-report -o "$E2E_TMP/off.hbt" -- \
	"$py" "$ROOT/testdata/py/lost_update_global.py" >"$E2E_TMP/off.out" 2>&1
got=$(summary "$E2E_TMP/off.hbt")
if [ "$got" = none ] && grep -q "counter 1" "$E2E_TMP/off.out"; then
	ok "python-off"
else
	fail "python-off" "got '$got'"
fi

# The program's own output and exit status pass through untouched.
out=$(timeout 60 "$HBTRACE" run --no-report -o "$E2E_TMP/x.hbt" -- "$py" -c \
	'import asyncio, sys; print("hello"); sys.exit(7)' 2>/dev/null)
rc=$?
if [ "$out" = hello ] && [ $rc -eq 7 ]; then ok "python-passthrough"; else
	fail "python-passthrough" "output '$out' status $rc"; fi

# Semaphore.release(n): the merge keeps the recorded order (one POST
# per unit; a single POST seq=n parked the releasing thread for good)
(cd "$ROOT/testdata/py" && timeout 60 "$HBTRACE" run --no-report \
	-o "$E2E_TMP/semn.hbt" -- "$py" sem_release_n.py) >/dev/null 2>&1
if "$HBTRACE" dump "$E2E_TMP/semn.hbt" 2>&1 | grep -q "against the recorded order"; then
	fail "python-sem-release-n" "events placed against the recorded order"
else
	ok "python-sem-release-n"
fi

# -X dev (debug allocator hooks set during startup) exits cleanly: the
# audit hook's entry was malloc'ed before them and freed through them
n=0
for opt in "-X dev" "-X faulthandler -I -E -X dev"; do
	n=$((n + 1))
	timeout 60 "$HBTRACE" run --no-report -o "$E2E_TMP/dev.hbt" -- "$py" \
		$opt -c 'import asyncio' >"$E2E_TMP/dev.out" 2>&1
	rc=$?
	if [ $rc -eq 0 ] && ! grep -q "Fatal Python error" "$E2E_TMP/dev.out"; then
		ok "python-devmode-$n"
	else
		fail "python-devmode-$n" "status $rc: $(head -c 200 "$E2E_TMP/dev.out")"
	fi
done

# run_in_executor / call_soon_threadsafe: same results as natively
want=$(cd "$ROOT/testdata/py" && "$py" executor_passthrough.py 2>/dev/null)
got=$(cd "$ROOT/testdata/py" && timeout 60 "$HBTRACE" run --no-report \
	-o "$E2E_TMP/exe.%p.hbt" -- "$py" executor_passthrough.py 2>/dev/null)
if [ "$got" = "$want" ]; then ok "python-executor-passthrough"; else
	fail "python-executor-passthrough" "'$got' under hbtrace, '$want' natively"; fi

# asyncio as natively: Task is a Future, never-retrieved exceptions are
# logged, Handle source tracebacks end in the caller, no extra cycles
want=$(cd "$ROOT/testdata/py" && "$py" asyncio_as_native.py 2>/dev/null)
got=$(cd "$ROOT/testdata/py" && timeout 60 "$HBTRACE" run --no-report \
	-o "$E2E_TMP/aio.%p.hbt" -- "$py" asyncio_as_native.py 2>/dev/null)
if [ "$got" = "$want" ]; then ok "python-asyncio-as-native"; else
	fail "python-asyncio-as-native" "'$got' under hbtrace, '$want' natively"; fi

# asyncio locks and queues as natively where py_aio.c takes the fast path
want=$(cd "$ROOT/testdata/py" && "$py" aio_fastpath_semantics.py 2>&1)
got=$(cd "$ROOT/testdata/py" && timeout 60 "$HBTRACE" run --no-report \
	-o "$E2E_TMP/fast.%p.hbt" -- "$py" aio_fastpath_semantics.py 2>/dev/null)
if [ "$got" = "$want" ]; then ok "python-aio-fastpath-semantics"; else
	fail "python-aio-fastpath-semantics" "'$got' under hbtrace, '$want' natively"; fi

# threading.Lock and RLock keep their __module__ (CPython's check__all__)
code='import threading; print(threading.Lock.__module__, threading.RLock.__module__)'
want=$("$py" -c "$code" 2>&1)
got=$(timeout 60 "$HBTRACE" run --no-report -o "$E2E_TMP/mod.hbt" -- "$py" \
	-c "$code" 2>/dev/null)
if [ "$got" = "$want" ]; then ok "python-lock-module"; else
	fail "python-lock-module" "'$got' under hbtrace, '$want' natively"; fi

# The embedded bootstrap is generated from py_boot.py.
gen="$E2E_TMP/gen"
mkdir -p "$gen"
cp "$ROOT/instrument/py_boot.py" "$ROOT/instrument/py_boot_gen.sh" "$gen/"
sh "$gen/py_boot_gen.sh"
if cmp -s "$gen/py_boot.c" "$ROOT/instrument/py_boot.c"; then
	ok "python-bootstrap-generated"
else
	fail "python-bootstrap-generated" "run instrument/py_boot_gen.sh"
fi

e2e_done

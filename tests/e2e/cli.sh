#!/usr/bin/env bash
# cli.sh - the hbtrace command line: help, version, dump's errors on bad
# input, `run` exit statuses and -o, dump of a recorded trace.
. "$(dirname "$0")/../e2e-lib.sh"

T=$E2E_TMP

# expect_status NAME STATUS COMMAND...: exact exit status.
expect_status() {
	local name=$1 want=$2 got
	shift 2
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	if [ "$got" -eq "$want" ]; then
		ok "$name"
	else
		fail "$name" "exit $got, want $want: $(head -c 300 "$T/err" | tr '\n' ' ')"
	fi
}

# expect_input_error NAME FILE MESSAGE: dump exits 2 with exactly one
# stderr line naming the file and the problem, and no stdout.
expect_input_error() {
	local name=$1 file=$2 msg=$3 got lines
	"$HBTRACE" dump "$file" >"$T/out" 2>"$T/err"
	got=$?
	lines=$(wc -l <"$T/err")
	if [ "$got" -ne 2 ]; then
		fail "$name" "exit $got, want 2"
	elif [ "$lines" -ne 1 ]; then
		fail "$name" "$lines lines on stderr"
	elif ! grep -qF "hbtrace: error: cannot open trace '$file': $msg" "$T/err"; then
		fail "$name" "message: $(cat "$T/err")"
	elif [ -s "$T/out" ]; then
		fail "$name" "printed on stdout"
	else
		ok "$name"
	fi
}

# ---- help and version -------------------------------------------------
expect_status "help exits 0" 0 "$HBTRACE" --help
if grep -q '^usage: hbtrace' "$T/out" && grep -q '^  dump ' "$T/out"; then
	ok "help lists the commands"
else
	fail "help lists the commands" "$(head -3 "$T/out")"
fi
expect_status "version exits 0" 0 "$HBTRACE" --version
if [ "$(cat "$T/out")" = "hbtrace 0.1.0" ]; then
	ok "version string"
else
	fail "version string" "$(cat "$T/out")"
fi
for cmd in run report check dump export import cc c++; do
	expect_status "help $cmd" 0 "$HBTRACE" help "$cmd"
done
expect_status "dump --help" 0 "$HBTRACE" dump --help
grep -q '^usage: hbtrace dump' "$T/out" && ok "dump usage" || fail "dump usage" "$(head -1 "$T/out")"
expect_status "run --help" 0 "$HBTRACE" run --help
expect_status "no command" 2 "$HBTRACE"
expect_status "unknown command" 2 "$HBTRACE" frobnicate
expect_status "dump without a trace" 2 "$HBTRACE" dump
expect_status "dump unknown option" 2 "$HBTRACE" dump --bogus x.hbt
expect_status "run without a program" 2 "$HBTRACE" run
expect_status "run unknown option" 2 "$HBTRACE" run --bogus -- true

# ---- dump of bad input -------------------------------------------------
expect_input_error "dump missing file" "$T/missing.hbt" "no such file"
: >"$T/empty.hbt"
expect_input_error "dump empty file" "$T/empty.hbt" "empty file"
head -c 5000 /dev/urandom | tr '\0' x >"$T/junk.hbt"
expect_input_error "dump not a trace" "$T/junk.hbt" "not a trace file"
printf 'HBTRACE\0\001\000\001\000' >"$T/short.hbt"
expect_input_error "dump truncated header" "$T/short.hbt" "truncated header"
python3 -c '
import struct, sys
h = b"HBTRACE\0" + struct.pack("<HHI", 9, 4, 4096)
sys.stdout.buffer.write(h + bytes(4096 - len(h)))' >"$T/newer.hbt"
expect_input_error "dump newer format" "$T/newer.hbt" \
	"trace format version 9 is newer than this hbtrace supports (3)"
expect_input_error "dump a directory" "$T" "is a directory"
# a header alone is a valid, empty, cut trace
python3 -c '
import struct, sys
h = b"HBTRACE\0" + struct.pack("<HHI", 1, 1, 4096)
sys.stdout.buffer.write(h + bytes(4096 - len(h)))' >"$T/header-only.hbt"
expect_status "dump header only" 0 "$HBTRACE" dump "$T/header-only.hbt"
grep -q '^trace was cut: ' "$T/out" && ok "header only is cut" || fail "header only is cut" "$(tail -1 "$T/out")"

# ---- run ---------------------------------------------------------------
cd "$T" || exit 1
expect_status "run passes the exit status" 7 "$HBTRACE" run --no-report -- sh -c 'exit 7'
expect_status "run status 0" 0 "$HBTRACE" run --no-report -- true
expect_status "run killed by a signal" 143 "$HBTRACE" run --no-report -- sh -c 'kill -TERM $$'
expect_status "run missing program" 127 "$HBTRACE" run --no-report -- "$T/no-such-program"
# the runtime comes first in LD_PRELOAD, existing entries are kept
LD_PRELOAD=libm.so.6 "$HBTRACE" run --no-report -- sh -c 'echo "$LD_PRELOAD"' >"$T/preload" 2>/dev/null
case $(cat "$T/preload") in
*libhbtrace.so:libm.so.6) ok "run puts the runtime first in LD_PRELOAD" ;;
*) fail "run puts the runtime first in LD_PRELOAD" "$(cat "$T/preload")" ;;
esac
"$HBTRACE" run -o "$T/opt.%p.hbt" --deadlock=report --no-stacks --python=off --no-report -- \
	sh -c 'echo "$HBTRACE_OUT $HBTRACE_DEADLOCK $HBTRACE_STACKS $HBTRACE_PYTHON"' >"$T/env" 2>/dev/null
if [ "$(cat "$T/env")" = "$T/opt.%p.hbt report 0 0" ]; then
	ok "run passes its options to the runtime"
else
	fail "run passes its options to the runtime" "$(cat "$T/env")"
fi
# SIGTERM sent to hbtrace alone reaches the program
"$HBTRACE" run --no-report -- sleep 10 >/dev/null 2>&1 &
runpid=$!
sleep 0.3
kill -TERM "$runpid"
wait "$runpid"
st=$?
[ "$st" -eq 143 ] && ok "run forwards SIGTERM" || fail "run forwards SIGTERM" "exit $st"

# ---- recording (needs a working runtime) -----------------------------
if [ "${HBT_E2E_RECORD:-1}" = 1 ]; then
	expect_status "run -o with %p" 0 "$HBTRACE" run --no-report -o "$T/pid.%p.hbt" -- true
	if ls "$T"/pid.[0-9]*.hbt >/dev/null 2>&1; then
		ok "run -o expands %p"
	else
		fail "run -o expands %p" "$(ls "$T" | tr '\n' ' ') $(cat "$T/err")"
	fi
	grep -q "hbtrace: trace written to $T/pid\.[0-9]*\.hbt" "$T/err" &&
		ok "run names the trace" || fail "run names the trace" "$(cat "$T/err")"

	prog=$TESTDATA_BIN/demo_bank
	"$HBTRACE" run --no-report -o "$T/bank.hbt" -- "$prog" >"$T/run.out" 2>"$T/run.err"
	st=$?
	[ "$st" -eq 0 ] && ok "run demo_bank" || fail "run demo_bank" "exit $st: $(tail -2 "$T/run.err")"
	# with the report: on stderr; stdout is the program's alone
	"$prog" >"$T/native.out" 2>/dev/null
	"$HBTRACE" run -o "$T/bank-rep.hbt" -- "$prog" >"$T/run.out" 2>"$T/run.err"
	cmp -s "$T/native.out" "$T/run.out" && grep -q "^SUMMARY: hbtrace: " "$T/run.err" &&
		ok "run reports on stderr, stdout the program's" ||
		fail "run reports on stderr, stdout the program's" "$(head -c 200 "$T/run.out")"
	expect_status "dump demo_bank" 0 "$HBTRACE" dump "$T/bank.hbt"
	if grep -q '^# threads 3' "$T/out" &&
	   grep -q 'T2 *THREAD_START' "$T/out" &&
	   grep -q 'ACQUIRE.*alice' "$T/out" &&
	   grep -q 'at transfer (demo_bank.c:[0-9]*)' "$T/out"; then
		ok "dump shows threads, named locks and source lines"
	else
		fail "dump shows threads, named locks and source lines" "$(head -20 "$T/out" | tr '\n' '|')"
	fi
	expect_status "dump --raw --defs --stacks" 0 "$HBTRACE" dump --raw --defs --stacks "$T/bank.hbt"
	grep -q '# def .*MODULE' "$T/out" && ok "dump --defs lists modules" || fail "dump --defs lists modules" ""
	# the lock order: every ACQUIRE of a mutex in increasing seq per object
	"$HBTRACE" dump --raw "$T/bank.hbt" | awk '
		$3 == "ACQUIRE" { for (i = 4; i <= NF; i++) if ($i ~ /^seq=/) {
			split($i, a, "="); if (a[2] + 0 <= last[$4] + 0) bad = 1; last[$4] = a[2] } }
		END { exit bad }' && ok "dump order respects acquisition counters" ||
		fail "dump order respects acquisition counters" ""
	# damaged copies of a real trace: dump reads them or refuses them
	# (exit 0 or 2), never crashes or hangs
	bad=0
	for seed in 1 2 3 4 5 6 7 8 9 10 11 12; do
		python3 - "$T/bank.hbt" "$T/bad.hbt" "$seed" <<'PY'
import random, sys
data = bytearray(open(sys.argv[1], "rb").read())
rnd = random.Random(int(sys.argv[3]))
cut = rnd.random() < 0.3
for _ in range(rnd.randint(1, 40)):
    at = rnd.randrange(4000, len(data))
    data[at] = rnd.randrange(256)
if cut:
    data = data[:rnd.randrange(4096, len(data))]
open(sys.argv[2], "wb").write(data)
PY
		timeout 20 "$HBTRACE" dump --stacks "$T/bad.hbt" >/dev/null 2>&1
		st=$?
		if [ "$st" -ne 0 ] && [ "$st" -ne 2 ]; then
			bad=1
			fail "dump of damaged trace $seed" "exit $st"
		fi
	done
	[ "$bad" = 0 ] && ok "dump of damaged traces exits 0 or 2"

	# report and check say on stderr when a trace misses events, and
	# keep stdout and the exit status as they are
	expect_status "report complete trace" 0 "$HBTRACE" report "$T/bank.hbt"
	[ ! -s "$T/err" ] && ok "report of a complete trace adds no note" ||
		fail "report of a complete trace adds no note" "$(head -c 200 "$T/err")"
	size=$(stat -c %s "$T/bank.hbt")
	head -c $((size - 100)) "$T/bank.hbt" >"$T/bank-cut.hbt"
	expect_status "report cut trace" 0 "$HBTRACE" report --format json "$T/bank-cut.hbt"
	grep -q "^hbtrace: note: trace '$T/bank-cut.hbt' was cut: " "$T/err" &&
		python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$T/out" &&
		ok "report notes a cut trace on stderr, JSON intact" ||
		fail "report notes a cut trace on stderr, JSON intact" "$(head -c 200 "$T/err")"
	"$HBTRACE" check "$T/bank-cut.hbt" >/dev/null 2>"$T/err"
	grep -q "^hbtrace: note: trace .* was cut" "$T/err" &&
		ok "check notes a cut trace" || fail "check notes a cut trace" "$(head -c 200 "$T/err")"
fi

e2e_done

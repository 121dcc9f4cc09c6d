#!/usr/bin/env bash
# findings.sh - every testdata/c program with an "// expect:" line is run
# under hbtrace; the per-kind counts of `report --format json` must equal
# the expectation exactly ("// expect: none" = no findings at all).  Then
# the text report of one case must have the ThreadSanitizer shape with
# symbolized frames.  Binaries come prebuilt in $TESTDATA_BIN.
. "$(dirname "$0")/../e2e-lib.sh"

SRC=$(cd "$(dirname "$0")/../.." && pwd)/testdata/c

# "lock-order-cycle=1, api-misuse=2" -> "api-misuse=2,lock-order-cycle=1"
normalize() {
	python3 -c '
import sys
s = sys.argv[1].strip()
items = [] if s in ("", "none") else [p.strip() for p in s.split(",") if p.strip()]
items = [i for i in items if not i.endswith("=0")]
print(",".join(sorted(items)) or "none")' "$1"
}

summary_of() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
s = d["summary"]
print(",".join("%s=%d" % (k, s[k]) for k in sorted(s) if s[k]) or "none")' "$1"
}

record() { # NAME BIN: record into $E2E_TMP/NAME.*.hbt
	local name=$1 bin=$2
	rm -f "$E2E_TMP/$name".*.hbt
	timeout 30 "$HBTRACE" run -o "$E2E_TMP/$name.%p.hbt" --no-report \
		-- "$bin" >"$E2E_TMP/$name.out" 2>&1
}

for src in "$SRC"/*.c; do
	want=$(sed -n 's|^// expect: *||p' "$src" | head -n 1)
	[ -n "$want" ] || continue
	name=$(basename "$src" .c)
	bin=$TESTDATA_BIN/$name
	if [ ! -x "$bin" ]; then
		fail "findings-$name" "$bin not built"
		continue
	fi
	record "$name" "$bin"
	traces=("$E2E_TMP/$name".*.hbt)
	if [ ! -e "${traces[0]}" ]; then
		fail "findings-$name" "no trace: $(tail -n 3 "$E2E_TMP/$name.out" | tr '\n' ' ')"
		continue
	fi
	if ! "$HBTRACE" report --format json "${traces[@]}" \
		>"$E2E_TMP/$name.json" 2>"$E2E_TMP/$name.err"; then
		fail "findings-$name" "report failed: $(head -n 1 "$E2E_TMP/$name.err")"
		continue
	fi
	got=$(summary_of "$E2E_TMP/$name.json" 2>&1)
	want=$(normalize "$want")
	if [ "$got" = "$want" ]; then
		ok "findings-$name"
	else
		fail "findings-$name" "expected $want, got $got"
	fi
done

# The second analysis thread (lib/analyze_lane.c) only runs on long
# traces by default: forced on every trace above, the reports must be
# the same, byte for byte.
lanes_differ=
for json in "$E2E_TMP"/*.json; do
	name=$(basename "$json" .json)
	traces=("$E2E_TMP/$name".*.hbt)
	[ -e "${traces[0]}" ] || continue
	HBTRACE_ANALYZE_LANES=2 "$HBTRACE" report --format json "${traces[@]}" \
		>"$E2E_TMP/$name.lanes" 2>/dev/null
	cmp -s "$json" "$E2E_TMP/$name.lanes" || lanes_differ="$lanes_differ $name"
done
if [ -z "$lanes_differ" ]; then
	ok "findings-second-thread-same-reports"
else
	fail "findings-second-thread-same-reports" "differ:$lanes_differ"
fi

# The text report: TSan shape, symbolized frames (function file:line).
record dl_abba_text "$TESTDATA_BIN/dl_abba"
traces=("$E2E_TMP"/dl_abba_text.*.hbt)
if [ -e "${traces[0]}" ] &&
	"$HBTRACE" report "${traces[@]}" >"$E2E_TMP/text.out" 2>&1; then
	t=$E2E_TMP/text.out
	if grep -q '^==================$' "$t" &&
		grep -q '^WARNING: hbtrace: lock-order-cycle (potential deadlock) (pid=[0-9]*)$' "$t" &&
		grep -Eq '^  Thread T[0-9]+ acquires lock_[ab] while holding lock_[ab]:$' "$t" &&
		grep -Eq '^    #0 t_(first|second) dl_abba\.c:[0-9]+$' "$t" &&
		grep -Eq '^SUMMARY: hbtrace: lock-order-cycle dl_abba\.c:[0-9]+ in t_(first|second)$' "$t" &&
		grep -q '^hbtrace: 1 lock-order-cycle$' "$t"; then
		ok "findings-text-shape"
	else
		fail "findings-text-shape" "$(head -n 12 "$t" | tr '\n' '|')"
	fi
else
	fail "findings-text-shape" "no trace or report failed"
fi

# Bad input: exit 2, one line naming the file.
echo "not a trace" >"$E2E_TMP/bad.hbt"
"$HBTRACE" report "$E2E_TMP/bad.hbt" >/dev/null 2>"$E2E_TMP/bad.err"
rc=$?
if [ $rc -eq 2 ] && [ "$(wc -l <"$E2E_TMP/bad.err")" -eq 1 ] &&
	grep -q "bad.hbt" "$E2E_TMP/bad.err"; then
	ok "findings-bad-input"
else
	fail "findings-bad-input" "rc=$rc $(cat "$E2E_TMP/bad.err")"
fi

e2e_done

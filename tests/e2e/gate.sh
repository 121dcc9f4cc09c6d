#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# gate.sh - `hbtrace check`, baselines, suppressions, SARIF, the chrome and
# dot exports and the STD import, end to end.  The traces come from the STD
# samples in testdata/std (imported here), so the script needs neither the
# runtime nor graphviz.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e-lib.sh

T=$E2E_TMP
STD=testdata/std
GATE=testdata/gate
# sarif_check.py: the official SARIF 2.1.0 schema (when python3 has the
# jsonschema module) plus a structural check; see its docstring.
# Prefer an interpreter that has jsonschema (Debian's python3-jsonschema is
# installed by tests/install-deps.sh for /usr/bin/python3).
SARIF_PY=python3
for py in python3 /usr/bin/python3; do
	if "$py" -c 'import jsonschema' 2>/dev/null; then
		SARIF_PY=$py
		break
	fi
done
SARIF_CHECK="$SARIF_PY tests/e2e/sarif_check.py"
[ -f tests/e2e/sarif-schema-2.1.0.json ] &&
	SARIF_CHECK="$SARIF_CHECK --schema tests/e2e/sarif-schema-2.1.0.json"

# run NAME WANT_STATUS COMMAND...: stdout to $T/NAME.out, stderr to
# $T/NAME.err; the case passes when the exit status is WANT_STATUS.
run() {
	local name=$1 want=$2 st
	shift 2
	"$@" >"$T/$name.out" 2>"$T/$name.err"
	st=$?
	if [ "$st" -eq "$want" ]; then
		ok "$name"
	else
		fail "$name" "exit $st, want $want: $(head -c 300 "$T/$name.err" | tr '\n' ' ')"
	fi
}

# has NAME FILE PATTERN: grep -E must find PATTERN in FILE
has() {
	if grep -Eq -- "$3" "$2"; then ok "$1"; else
		fail "$1" "no /$3/ in $(basename "$2"): $(head -c 300 "$2" | tr '\n' ' ')"
	fi
}

# one_line NAME FILE: stderr of a failed command is exactly one line
one_line() {
	local n
	n=$(wc -l <"$2")
	if [ "$n" -eq 1 ]; then ok "$1"; else fail "$1" "$n lines: $(tr '\n' '|' <"$2")"; fi
}

# kinds NAME JSON EXPECT: summary counts of a JSON report, e.g.
# "lock-order-cycle=1" or "none"
kinds() {
	local got
	got=$(python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
print(",".join(f"{k}={v}" for k, v in sorted(s.items())) or "none")' "$2" 2>&1)
	if [ "$got" = "$3" ]; then ok "$1"; else fail "$1" "summary $got, want $3"; fi
}

# ---- import ---------------------------------------------------------------
for f in abba abba_fixed race race_fixed order_ab order_ba; do
	run "import-$f" 0 "$HBTRACE" import --from std "$STD/$f.std" -o "$T/$f.hbt"
done

printf 'T0|fork(T1)|1\nT1|acq(L1)|2\n\nT1|xyz(L1)|4\n' >"$T/bad.std"
run import-bad-op 2 "$HBTRACE" import --from std "$T/bad.std" -o "$T/bad.hbt"
has import-bad-op-msg "$T/import-bad-op.err" "^hbtrace: error: $T/bad.std:4: bad operation 'xyz'\$"
one_line import-bad-op-one-line "$T/import-bad-op.err"
if [ -e "$T/bad.hbt" ]; then fail import-bad-no-output "trace left behind"; else ok import-bad-no-output; fi
run import-no-from 2 "$HBTRACE" import "$STD/abba.std" -o "$T/x.hbt"
run import-bad-format 2 "$HBTRACE" import --from rapid "$STD/abba.std" -o "$T/x.hbt"
run import-missing-file 2 "$HBTRACE" import --from std "$T/nope.std" -o "$T/x.hbt"
has import-missing-file-msg "$T/import-missing-file.err" "cannot open '.*nope.std'"

# ---- check: exit statuses and the findings of the STD samples -------------
run check-abba 1 "$HBTRACE" check "$T/abba.hbt"
has check-abba-verdict "$T/check-abba.err" "FAILED: 1 finding fails the gate \(lock-order-cycle 1\)"
has check-abba-text "$T/check-abba.out" "WARNING: hbtrace: lock-order-cycle"
has check-abba-location "$T/check-abba.out" "L11 abba.std"
run check-abba-fixed 0 "$HBTRACE" check "$T/abba_fixed.hbt"
has check-abba-fixed-verdict "$T/check-abba-fixed.err" "passed"
run check-race 1 "$HBTRACE" check --format json "$T/race.hbt"
kinds check-race-kinds "$T/check-race.out" "data-race=1"
run check-race-fixed 0 "$HBTRACE" check --format json "$T/race_fixed.hbt"
kinds check-race-fixed-kinds "$T/check-race-fixed.out" "none"
run check-abba-json 1 "$HBTRACE" check --format json "$T/abba.hbt"
kinds check-abba-kinds "$T/check-abba-json.out" "lock-order-cycle=1"

# several traces at once, findings deduplicated across them
run check-many 1 "$HBTRACE" check --format json "$T/abba.hbt" "$T/abba_fixed.hbt" "$T/race_fixed.hbt"
kinds check-many-kinds "$T/check-many.out" "lock-order-cycle=1"

# --fail-on
run fail-on-other-kind 0 "$HBTRACE" check --fail-on unjoined-thread,api-misuse "$T/abba.hbt"
run fail-on-eq-form 1 "$HBTRACE" check --fail-on=lock-order-cycle "$T/abba.hbt"
run fail-on-all 1 "$HBTRACE" check --fail-on all "$T/abba.hbt"
run fail-on-unknown 2 "$HBTRACE" check --fail-on deadlock,races "$T/abba.hbt"
has fail-on-unknown-msg "$T/fail-on-unknown.err" "^hbtrace: error: --fail-on: unknown kind 'races'"
one_line fail-on-unknown-one-line "$T/fail-on-unknown.err"

# usage and input errors
run check-no-trace 2 "$HBTRACE" check
run check-bad-format 2 "$HBTRACE" check --format xml "$T/abba.hbt"
run check-bad-option 2 "$HBTRACE" check --frobnicate "$T/abba.hbt"
printf 'this is not a trace' >"$T/junk.hbt"
run check-junk-trace 2 "$HBTRACE" check "$T/junk.hbt"
has check-junk-trace-msg "$T/check-junk-trace.err" "junk.hbt"
one_line check-junk-trace-one-line "$T/check-junk-trace.err"
run check-help 0 "$HBTRACE" check --help

# ---- cross-trace lock order ------------------------------------------------
run merge-single 0 "$HBTRACE" check "$T/order_ab.hbt"
run merge-other 0 "$HBTRACE" check "$T/order_ba.hbt"
run merge-both 1 "$HBTRACE" check --format json "$T/order_ab.hbt" "$T/order_ba.hbt"
kinds merge-both-kinds "$T/merge-both.out" "lock-order-cycle=1"
has merge-both-detail "$T/merge-both.out" '"detail": "cross-trace"'
run merge-swapped 1 "$HBTRACE" check --format json "$T/order_ba.hbt" "$T/order_ab.hbt"
id1=$(grep -o '"id": "[0-9a-f]*"' "$T/merge-both.out")
id2=$(grep -o '"id": "[0-9a-f]*"' "$T/merge-swapped.out")
if [ -n "$id1" ] && [ "$id1" = "$id2" ]; then ok merge-id-order-independent; else
	fail merge-id-order-independent "$id1 vs $id2"; fi
mkdir -p "$T/suite" "$T/empty"
cp "$T/order_ab.hbt" "$T/order_ba.hbt" "$T/suite/"
echo "not a trace" >"$T/suite/README"
run check-directory 1 "$HBTRACE" check --format json "$T/suite"
kinds check-directory-kinds "$T/check-directory.out" "lock-order-cycle=1"
run check-empty-directory 2 "$HBTRACE" check "$T/empty"
run merge-disabled 0 "$HBTRACE" check --no-merge "$T/order_ab.hbt" "$T/order_ba.hbt"

# ---- baselines --------------------------------------------------------------
run baseline-write 1 "$HBTRACE" check --write-baseline "$T/base.txt" "$T/abba.hbt" "$T/race.hbt"
has baseline-file-lock "$T/base.txt" "^[0-9a-f]{16}  # lock-order-cycle: "
has baseline-file-race "$T/base.txt" "^[0-9a-f]{16}  # data-race: "
if [ "$(grep -c '^[0-9a-f]' "$T/base.txt")" -eq 2 ]; then ok baseline-file-count; else
	fail baseline-file-count "$(cat "$T/base.txt")"; fi
run baseline-pass 0 "$HBTRACE" check --baseline "$T/base.txt" "$T/abba.hbt" "$T/race.hbt"
has baseline-pass-count "$T/baseline-pass.err" "2 in the baseline"
# a new finding still fails when the old ones are baselined
"$HBTRACE" check --write-baseline "$T/base-abba.txt" "$T/abba.hbt" >/dev/null 2>&1
run baseline-new-finding 1 "$HBTRACE" check --baseline "$T/base-abba.txt" "$T/abba.hbt" "$T/race.hbt"
has baseline-new-finding-verdict "$T/baseline-new-finding.err" "\(data-race 1\).*1 in the baseline"
grep -v 'lock-order-cycle' "$T/base.txt" >"$T/base-race-only.txt"
run baseline-partial 1 "$HBTRACE" check --baseline "$T/base-race-only.txt" "$T/abba.hbt" "$T/race.hbt"
# write the same baseline twice: identical (sorted, stable ids)
"$HBTRACE" check --write-baseline "$T/base2.txt" "$T/race.hbt" "$T/abba.hbt" >/dev/null 2>&1
if cmp -s "$T/base.txt" "$T/base2.txt"; then ok baseline-stable; else
	fail baseline-stable "$(diff "$T/base.txt" "$T/base2.txt" | head -5 | tr '\n' ' ')"; fi
run baseline-bad 2 "$HBTRACE" check --baseline "$GATE/bad_baseline.txt" "$T/abba.hbt"
has baseline-bad-msg "$T/baseline-bad.err" "^hbtrace: error: $GATE/bad_baseline.txt:3: bad finding id 'not-an-id'"
one_line baseline-bad-one-line "$T/baseline-bad.err"
run baseline-missing 2 "$HBTRACE" check --baseline "$T/nope.txt" "$T/abba.hbt"

# ---- suppressions -----------------------------------------------------------
run suppress-check 0 "$HBTRACE" check --suppressions "$GATE/suppressions.txt" "$T/abba.hbt"
has suppress-check-rule "$T/suppress-check.out" "^hbtrace: 1 finding suppressed: 1 by lock-order-cycle:L1$"
has suppress-check-verdict "$T/suppress-check.err" "passed.*1 suppressed"
run suppress-json 0 "$HBTRACE" check --format json --suppressions "$GATE/suppressions.txt" "$T/abba.hbt"
has suppress-json-stderr "$T/suppress-json.err" "1 finding suppressed: 1 by lock-order-cycle:L1"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["findings"] == [] and d["summary"] == {}, d
(s,) = d["suppressed"]
assert s["rule"] == "lock-order-cycle:L1" and len(s["id"]) == 16, s
print("suppressed ok")' "$T/suppress-json.out" >"$T/suppress-json.chk" 2>&1
has suppress-json-list "$T/suppress-json.chk" "^suppressed ok$"
run suppress-report 0 "$HBTRACE" report --suppressions "$GATE/suppressions.txt" "$T/abba.hbt"
has suppress-report-count "$T/suppress-report.out" "^hbtrace: 1 finding suppressed: 1 by lock-order-cycle:L1$"
run suppress-other 1 "$HBTRACE" check --suppressions "$GATE/suppressions.txt" "$T/abba.hbt" "$T/race.hbt"
run suppress-bad 2 "$HBTRACE" check --suppressions "$GATE/bad_suppressions.txt" "$T/abba.hbt"
has suppress-bad-msg "$T/suppress-bad.err" "^hbtrace: error: $GATE/bad_suppressions.txt:3: expected 'kind:pattern', got 'just_a_function_name'"
one_line suppress-bad-one-line "$T/suppress-bad.err"
printf 'races:x\n' >"$T/sup-kind.txt"
run suppress-bad-kind 2 "$HBTRACE" check --suppressions "$T/sup-kind.txt" "$T/abba.hbt"
has suppress-bad-kind-msg "$T/suppress-bad-kind.err" "sup-kind.txt:1: unknown kind 'races'"

# ---- SARIF ------------------------------------------------------------------
run sarif-write 1 "$HBTRACE" check --format sarif -o "$T/abba.sarif" "$T/abba.hbt"
if [ ! -s "$T/sarif-write.out" ]; then ok sarif-o-not-stdout; else fail sarif-o-not-stdout "stdout not empty"; fi
expect sarif-valid $SARIF_CHECK "$T/abba.sarif" --expect-results 1 \
	--expect-rule deadlock --expect-rule lock-order-cycle \
	--expect-rule data-race --expect-rule lost-update \
	--expect-rule unawaited-task --expect-rule unjoined-thread \
	--expect-rule api-misuse --expect-rule loop-stall
$SARIF_CHECK "$T/abba.sarif" | sed 's/^/  sarif_check: /'
# the validator itself must catch a broken log
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
r = d["runs"][0]["results"][0]
del r["message"]
r["bogus"] = 1
json.dump(d, open(sys.argv[2], "w"))' "$T/abba.sarif" "$T/broken.sarif"
if $SARIF_CHECK "$T/broken.sarif" >"$T/broken.out" 2>&1; then
	fail sarif-check-catches-errors "broken log accepted"
else
	has sarif-check-catches-errors "$T/broken.out" "lacks required 'message'"
fi
python3 - "$T/abba.sarif" >"$T/sarif-shape.out" 2>&1 <<'PY'
import json, sys
log = json.load(open(sys.argv[1]))
run = log["runs"][0]
assert len(run["tool"]["driver"]["rules"]) == 8
r = run["results"][0]
assert r["ruleId"] == "lock-order-cycle" and r["level"] == "error", r
loc = r["locations"][0]["physicalLocation"]
assert loc["artifactLocation"]["uri"] == "abba.std", loc
assert loc["region"]["startLine"] >= 1, loc
assert len(r["partialFingerprints"]["hbtraceId/v1"]) == 16
flows = r["codeFlows"][0]["threadFlows"]
assert len(flows) == 2, flows
assert all(f["locations"][0]["location"]["message"]["text"] for f in flows)
print("shape ok")
PY
has sarif-shape "$T/sarif-shape.out" "^shape ok$"
run sarif-suppressed 0 "$HBTRACE" check --format sarif --suppressions "$GATE/suppressions.txt" -o "$T/sup.sarif" "$T/abba.hbt"
expect sarif-suppressed-valid $SARIF_CHECK "$T/sup.sarif" --expect-results 1
has sarif-suppressed-marked "$T/sup.sarif" '"suppressions": \[\{"kind": "external"'
run sarif-empty 0 "$HBTRACE" check --format sarif -o "$T/empty.sarif" "$T/abba_fixed.hbt"
expect sarif-empty-valid $SARIF_CHECK "$T/empty.sarif" --expect-results 0
run sarif-merge 1 "$HBTRACE" check --format sarif -o "$T/merge.sarif" "$T/order_ab.hbt" "$T/order_ba.hbt"
expect sarif-merge-valid $SARIF_CHECK "$T/merge.sarif" --expect-results 1
run sarif-report 0 "$HBTRACE" report --format sarif "$T/race.hbt"
expect sarif-report-valid $SARIF_CHECK "$T/sarif-report.out" --expect-results 1

# ---- chrome export -----------------------------------------------------------
run chrome-export 0 "$HBTRACE" export --format chrome "$T/abba.hbt" -o "$T/abba.json"
python3 - "$T/abba.json" >"$T/chrome.out" 2>&1 <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ev = d["traceEvents"]
names = {e["tid"]: e["args"]["name"] for e in ev
         if e["ph"] == "M" and e["name"] == "thread_name"}
assert sorted(names) == [1, 2, 3], names
assert names[2].startswith("T2"), names
holds = [e for e in ev if e["ph"] == "X" and e["name"].startswith("hold ")]
assert {e["name"] for e in holds} == {"hold L1", "hold L2"}, holds
assert all(e["dur"] > 0 for e in holds)
starts = {e["id"] for e in ev if e["ph"] == "s"}
ends = {e["id"] for e in ev if e["ph"] == "f"}
assert starts and starts == ends, (starts, ends)
flow_names = {e["name"] for e in ev if e["ph"] == "s"}
assert {"create-start", "end-join", "release-acquire"} <= flow_names, flow_names
found = [e for e in ev if e["ph"] == "i" and e.get("cat") == "finding"]
glob = [e for e in found if e["s"] == "g"]
assert len(glob) == 1 and glob[0]["name"].startswith("lock-order-cycle"), found
# each step of the cycle marked on its thread where it happened
steps = sorted((e["tid"], e["name"]) for e in found if e["s"] == "t")
assert steps == [(2, "lock-order-cycle: acquire L2 while holding L1"),
                 (3, "lock-order-cycle: acquire L1 while holding L2")], steps
for e in ev:
    assert e["ph"] in "XMsfi", e
    if e["ph"] != "M":
        assert isinstance(e["ts"], (int, float)) and e["ts"] >= 0, e
print("chrome ok")
PY
has chrome-tracks-slices-flows "$T/chrome.out" "^chrome ok$"
run chrome-stdout 0 "$HBTRACE" export --format chrome "$T/race.hbt"
if python3 -m json.tool "$T/chrome-stdout.out" >/dev/null 2>&1; then ok chrome-stdout-json; else
	fail chrome-stdout-json "not JSON"; fi
run export-bad-format 2 "$HBTRACE" export --format svg "$T/abba.hbt"
run export-no-trace 2 "$HBTRACE" export --format chrome
run export-junk 2 "$HBTRACE" export --format dot "$T/junk.hbt"
one_line export-junk-one-line "$T/export-junk.err"

# ---- dot export -----------------------------------------------------------------
run dot-export 0 "$HBTRACE" export --format dot "$T/abba.hbt" -o "$T/abba.dot"
has dot-digraph "$T/abba.dot" "^digraph lockgraph \{"
has dot-nodes "$T/abba.dot" 'label="L1"'
if [ "$(grep -c -- '-> .*color=red' "$T/abba.dot")" -eq 2 ]; then ok dot-red-cycle; else
	fail dot-red-cycle "$(grep -- '->' "$T/abba.dot" | tr '\n' ' ')"; fi
run dot-fixed 0 "$HBTRACE" export --format dot "$T/abba_fixed.hbt" -o "$T/fixed.dot"
has dot-fixed-edge "$T/fixed.dot" 'n0 -> n1 \[label="2"\]'
if grep -q 'color=red' "$T/fixed.dot"; then fail dot-fixed-no-red "red edge"; else ok dot-fixed-no-red; fi

# ---- recorded traces: a test suite of real processes -------------------------
# gate_order ab / ba are two "tests" of one program; fork runs both, the
# second in a child process.  Ids must not depend on pids or runs.
GO="$TESTDATA_BIN/gate_order"
if [ -x "$GO" ] && [ -f "$(dirname "$HBTRACE")/libhbtrace.so" ]; then
	R=$T/rec
	mkdir -p "$R"
	for i in 1 2; do
		for m in ab ba fork; do
			timeout 30 "$HBTRACE" run --no-report -o "$R/$m$i.%p.hbt" -- "$GO" $m \
				>/dev/null 2>&1 || fail "record-$m$i" "hbtrace run failed"
		done
	done
	run rec-single 0 "$HBTRACE" check "$R"/ab1.*.hbt
	run rec-suite 1 "$HBTRACE" check --format json "$R"/ab1.*.hbt "$R"/ba1.*.hbt
	kinds rec-suite-kinds "$T/rec-suite.out" "lock-order-cycle=1"
	has rec-suite-names "$T/rec-suite.out" '"name": "lock_x"'
	has rec-suite-frames "$T/rec-suite.out" '"function": "take_yx", "file": "[^"]*gate_order.c", "line": 3[45]'
	run rec-fork 1 "$HBTRACE" check --format json "$R"/fork1.*.hbt
	kinds rec-fork-kinds "$T/rec-fork.out" "lock-order-cycle=1"
	run rec-baseline-write 1 "$HBTRACE" check --write-baseline "$R/base.txt" "$R"/ab1.*.hbt "$R"/ba1.*.hbt
	run rec-baseline-next-run 0 "$HBTRACE" check --baseline "$R/base.txt" "$R"/ab2.*.hbt "$R"/ba2.*.hbt
	run rec-baseline-fork 0 "$HBTRACE" check --baseline "$R/base.txt" "$R"/fork2.*.hbt
	run rec-sarif 1 "$HBTRACE" check --format sarif -o "$R/suite.sarif" "$R"/ab1.*.hbt "$R"/ba1.*.hbt
	expect rec-sarif-valid $SARIF_CHECK "$R/suite.sarif" --expect-results 1
	has rec-sarif-srcroot "$R/suite.sarif" '"uri": "testdata/c/gate_order.c", "uriBaseId": "%SRCROOT%"'
	run rec-chrome 0 "$HBTRACE" export --format chrome -o "$R/fork.json" "$R"/ab1.*.hbt
	if python3 -m json.tool "$R/fork.json" >/dev/null 2>&1; then ok rec-chrome-json; else
		fail rec-chrome-json "not JSON"; fi
	has rec-chrome-hold "$R/fork.json" '"name": "hold lock_x"'
else
	echo "skip recorded traces: $GO or the runtime not built"
fi

# the example of docs/lockgraph.png: 3 red cycle edges, 2 orange ruled-out ones
run lockgraph-import 0 "$HBTRACE" import --from std "$STD/lockgraph.std" -o "$T/lockgraph.hbt"
run lockgraph-check 1 "$HBTRACE" check --format json "$T/lockgraph.hbt"
kinds lockgraph-kinds "$T/lockgraph-check.out" "lock-order-cycle=1"
run lockgraph-dot 0 "$HBTRACE" export --format dot -o "$T/lockgraph.dot" "$T/lockgraph.hbt"
if [ "$(grep -c -- '-> .*color=red' "$T/lockgraph.dot")" -eq 3 ] &&
	[ "$(grep -c -- '-> .*color=orange' "$T/lockgraph.dot")" -eq 2 ]; then
	ok lockgraph-dot-colors
else
	fail lockgraph-dot-colors "$(grep -- '->' "$T/lockgraph.dot" | tr '\n' ' ')"
fi

# ---- exports of a whole suite: one timeline, one merged lock graph ---------
run suite-dot 0 "$HBTRACE" export --format dot -o "$T/suite.dot" "$T/order_ab.hbt" "$T/order_ba.hbt"
if [ "$(grep -c -- '-> .*color=red' "$T/suite.dot")" -eq 2 ]; then ok suite-dot-red-cycle; else
	fail suite-dot-red-cycle "$(grep -- '->' "$T/suite.dot" | tr '\n' ' ')"; fi
run suite-chrome 0 "$HBTRACE" export --format chrome -o "$T/suite.json" "$T/order_ab.hbt" "$T/order_ba.hbt"
python3 - "$T/suite.json" >"$T/suite-chrome.out" 2>&1 <<'PY'
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
pids = {e["pid"] for e in ev}
assert len(pids) == 2, pids
procs = [e for e in ev if e["ph"] == "M" and e["name"] == "process_name"]
assert len(procs) == 2, procs
found = [e for e in ev if e["ph"] == "i" and e.get("cat") == "finding"]
assert len(found) == 1 and "across 2 traces" in found[0]["name"], found
print("suite ok")
PY
has suite-chrome-processes "$T/suite-chrome.out" "^suite ok$"

e2e_done

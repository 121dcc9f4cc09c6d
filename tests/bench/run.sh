#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# tests/bench/run.sh - what `make bench` runs: hbtrace side by side with its
# peers on this machine, in one run.  See docs/performance.md.
#
#   tests/bench/run.sh [--quick] [--runs N] [--cap SECONDS] [--size MB]
#                      [--events LIST] [--analyzer-runs N] [--scale DIV]
#                      [--only REGEX] [--docs | --docs-section NAME]
#                      [--keep-traces]
#
#   --quick        short smoke run (small sizes, 3 runs, 3 s cap, no Valgrind
#                  on the compressors): about 2 min
#   --runs N       timed runs per benchmark and tool (default 5)
#   --cap S        a single Valgrind run longer than S seconds is stopped and
#                  the tool reported as "skipped (>S s)" for that benchmark
#                  (default 120); other tools get a safety limit of 1800 s
#   --size MB      size of the compressors' generated input (default 100)
#   --events LIST  sizes of the generated analyzer traces, e.g. 10M,100M
#   --analyzer-runs N  runs of `hbtrace report` per trace (default: --runs)
#   --scale DIV    divide the microbenchmark and asyncio sizes by DIV (for a
#                  heavily loaded machine; ratios barely depend on the size)
#   --only REGEX   run only the benchmarks whose name matches (micro_*,
#                  real_*, asyncio, analyzer)
#   --docs         also copy the tables and the plot into docs/ (the section
#                  of docs/performance.md between <!-- results:begin --> and
#                  <!-- results:end -->, and docs/performance.png)
#   --docs-section NAME  like --docs, into the markers <!-- NAME:begin/end -->
#                  (one section per partial run, e.g. --only analyzer)
#   --keep-traces  keep the recorded traces in build/bench/traces
#
# Every benchmark runs each tool round-robin (native, hbtrace, tsan, helgrind,
# drd, native, hbtrace, ...), so slow drifts of a shared machine's load hit
# all tools alike.  The microbenchmarks also run under the "floor"
# (floor.c): a preload that only passes the mutex calls on to glibc, with
# glibc's waiting and with hbtrace's short spin, so the recorder's ratio
# can be read against what interposing alone costs in the same run.  A missing piece (no hbtrace yet, no valgrind, no Python
# front-end) shows as "n/a"; a failing tool as "failed (exit N)": neither
# fails the script.  It exits non-zero only on bad usage or when it cannot
# build its own programs.
#
# Output: a Markdown report on stdout and in $B/bench/results.md, the raw
# numbers in $B/bench/results.csv, plot data in $B/bench/results.dat and the
# plot in $B/bench/performance.png (gnuplot, tests/bench/plot.gnuplot).

set -u
set -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT" || exit 2
B=${B:-build}
case $B in /*) ;; *) B=$ROOT/$B ;; esac
OUT=$B/bench
HBTRACE=${HBTRACE:-$B/hbtrace}
RTLIB=$B/libhbtrace.so
PYTHON=${PYTHON:-/usr/bin/python3}
CC=${CC:-gcc}
HERE=$ROOT/tests/bench
CMDLINE="tests/bench/run.sh $*"

QUICK=0
RUNS=5
CAP=120
LIMIT=1800
SIZE_MB=100
EVENTS="10M,100M"
ONLY=.
SCALE=1
DOCS=0
DOCS_TAG=results
KEEP=0
AN_RUNS=
runs_set=0 cap_set=0 size_set=0 events_set=0

usage() {
	sed -n '7,31p' "$HERE/run.sh" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1 ;;
	--runs) RUNS=${2:-}; runs_set=1; shift ;;
	--cap) CAP=${2:-}; cap_set=1; shift ;;
	--size) SIZE_MB=${2:-}; size_set=1; shift ;;
	--events) EVENTS=${2:-}; events_set=1; shift ;;
	--analyzer-runs) AN_RUNS=${2:-}; shift ;;
	--scale) SCALE=${2:-}; shift ;;
	--only) ONLY=${2:-.}; shift ;;
	--docs) DOCS=1 ;;
	--docs-section) DOCS=1; DOCS_TAG=${2:-results}; shift ;;
	--keep-traces) KEEP=1 ;;
	-h | --help) usage ;;
	*) echo "error: unknown option '$1'" >&2; usage ;;
	esac
	shift
done
if [ $QUICK = 1 ]; then
	[ $runs_set = 1 ] || RUNS=3
	[ $cap_set = 1 ] || CAP=3
	LIMIT=300
	[ $size_set = 1 ] || SIZE_MB=10
	[ $events_set = 1 ] || EVENTS="1M,5M"
fi
AN_RUNS=${AN_RUNS:-$RUNS}
for v in "$RUNS" "$CAP" "$SIZE_MB" "$AN_RUNS" "$SCALE"; do
	case $v in '' | *[!0-9]*) echo "error: '$v' is not a number" >&2; exit 2 ;; esac
done
[ "$RUNS" -ge 1 ] || { echo "error: --runs must be at least 1" >&2; exit 2; }
[ "$SCALE" -ge 1 ] || { echo "error: --scale must be at least 1" >&2; exit 2; }

# Workload sizes: native ~0.2-0.5 s for the microbenchmarks on a 2-core
# EPYC (see docs/performance.md); --quick divides them by 10.
N_UNCONTENDED=50000000
N_NESTED=1000000
N_PINGPONG=15000
N_ASYNCIO=6000
if [ $QUICK = 1 ]; then
	N_UNCONTENDED=5000000
	N_NESTED=100000
	N_PINGPONG=1500
	N_ASYNCIO=600
fi
N_UNCONTENDED=$((N_UNCONTENDED / SCALE))
N_NESTED=$((N_NESTED / SCALE))
N_PINGPONG=$((N_PINGPONG / SCALE))
N_ASYNCIO=$((N_ASYNCIO / SCALE))

mkdir -p "$OUT/logs" "$OUT/traces" "$OUT/bin" || exit 2
rm -f "$OUT/performance.png" "$OUT/results.md" "$OUT/results.dat"
log() { echo "bench: $*" >&2; }

# ---- dependencies ----------------------------------------------------------
install_deps() {
	local want=(valgrind xz-utils zstd pigz gnuplot-nox python3 time gcc)
	local missing=() p
	for p in "${want[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
		log "missing ${missing[*]} (not root: those columns will read n/a)"
		return 0
	fi
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	{ apt-get update -qq && apt-get install -y -qq --no-install-recommends \
		"${missing[@]}"; } >"$OUT/logs/apt.log" 2>&1 ||
		log "apt-get failed (see $OUT/logs/apt.log); continuing"
}
install_deps

# ---- our programs ----------------------------------------------------------
BFLAGS=(-O2 -g -std=gnu11 -pthread -fno-omit-frame-pointer -Wall -Wextra)
# The binary is replaced only when it changed, so its mtime says when the
# generated traces it made are out of date.
build() { # build OUTPUT SOURCES... [FLAGS...]
	local out=$1
	shift
	"$CC" "${BFLAGS[@]}" -o "$out.new" "$@" >>"$OUT/logs/build.log" 2>&1 ||
		{ rm -f "$out.new"; return 1; }
	if cmp -s "$out.new" "$out"; then
		rm -f "$out.new"
	else
		mv "$out.new" "$out"
	fi
}
: >"$OUT/logs/build.log"
for p in lock_uncontended lock_nested cond_pingpong; do
	build "$OUT/bin/$p" "$HERE/$p.c" ||
		{ log "cannot build $p (see $OUT/logs/build.log)"; exit 1; }
	build "$OUT/bin/$p.tsan" "$HERE/$p.c" -fsanitize=thread ||
		rm -f "$OUT/bin/$p.tsan"
done
# the same programs built with `hbtrace cc` (memory accesses recorded too)
if [ -x "$HBTRACE" ]; then
	for p in lock_uncontended lock_nested cond_pingpong; do
		rm -f "$OUT/bin/$p.hbcc"
		"$HBTRACE" cc -O2 -g -pthread -fno-omit-frame-pointer -o "$OUT/bin/$p.hbcc" \
			"$HERE/$p.c" >>"$OUT/logs/build.log" 2>&1 || rm -f "$OUT/bin/$p.hbcc"
	done
fi
# the floor: a preload that only passes the mutex calls on (floor.c)
build "$OUT/bin/floor.so" "$HERE/floor.c" -shared -fPIC -ldl ||
	rm -f "$OUT/bin/floor.so"
build "$OUT/bin/gen_input" "$HERE/gen_input.c" ||
	{ log "cannot build gen_input"; exit 1; }
# tracestat needs only the codec, so it works before the reader lands
build "$OUT/bin/tracestat" -D_GNU_SOURCE -I"$ROOT/lib" "$HERE/tracestat.c" \
	"$ROOT/lib/hbt_codec.c" || rm -f "$OUT/bin/tracestat"
# the trace generator needs the offline writer and the library
if [ -f "$ROOT/lib/hbt_filewriter.h" ] && [ -f "$B/libhbt.a" ]; then
	build "$OUT/bin/gen_trace" -D_GNU_SOURCE -I"$ROOT/lib" \
		"$HERE/gen_trace.c" "$B/libhbt.a" -ldw -lelf -lm ||
		rm -f "$OUT/bin/gen_trace"
else
	rm -f "$OUT/bin/gen_trace"
fi

# ---- which tools are there -------------------------------------------------
HB_MODE=none # cli: `hbtrace run`; preload: LD_PRELOAD by hand; none
HB_NOREPORT=()
if [ -x "$HBTRACE" ] && [ -f "$RTLIB" ] &&
	"$HBTRACE" run --help >"$OUT/logs/run-help.txt" 2>&1; then
	HB_MODE=cli
	grep -q -- '--no-report' "$OUT/logs/run-help.txt" && HB_NOREPORT=(--no-report)
elif [ -f "$RTLIB" ]; then
	HB_MODE=preload
fi
HAVE_TSAN=0
[ -x "$OUT/bin/lock_uncontended.tsan" ] && HAVE_TSAN=1
HAVE_VG=0
command -v valgrind >/dev/null && HAVE_VG=1
HAVE_REPORT=0
[ -x "$HBTRACE" ] && "$HBTRACE" report --help >/dev/null 2>&1 && HAVE_REPORT=1

# The Python front-end's switch for shared-state tracking: an HBTRACE_
# variable the front-end reads (instrument/py_*: the C part or the
# bootstrap; today HBTRACE_PY_ACCESS, on by default).  The tasks+locks mode
# runs with it set to 0, the shared-state mode with 1.  Empty when there is
# none: then only the default mode runs, in the tasks+locks row.
# HBTRACE_PY_ACCESS_VAR=NAME overrides the guess.
PY_ACCESS_ENV=${HBTRACE_PY_ACCESS_VAR:-}
detect_py_access_env() {
	[ -n "$PY_ACCESS_ENV" ] && return
	local f v
	for f in "$ROOT"/instrument/py_* "$ROOT"/instrument/*/py_*; do
		[ -f "$f" ] || continue
		v=$(grep -o 'HBTRACE_[A-Z_]*' "$f" | grep -E 'ACCESS|SHARED|STATE' | head -n 1)
		[ -n "$v" ] && { PY_ACCESS_ENV=$v; return; }
	done
}
detect_py_access_env

# ---- measuring -------------------------------------------------------------
# Results, keyed "bench|tool": status is ok, n/a, skip, fail.
declare -A R_STATUS=() R_MIN=() R_MED=() R_MAX=() R_NOTE=() R_TIMES=() R_CPUS=() R_CPU=() CMD=()
declare -A TOOLS_OF=()
BENCHES=()

# add_cmd BENCH TOOL COMMAND...: register how TOOL runs BENCH.
add_cmd() {
	local b=$1 t=$2 s
	shift 2
	printf -v s '%q ' "$@"
	CMD["$b|$t"]=$s
	TOOLS_OF[$b]="${TOOLS_OF[$b]:-} $t"
}

# na BENCH TOOL WHY: the tool cannot run this benchmark here.
na() {
	R_STATUS["$1|$2"]=n/a
	R_NOTE["$1|$2"]=$3
}

# The hbtrace command for a program: `hbtrace run` or LD_PRELOAD.
# hb_cmd BENCH [ENV=VALUE...] -- PROGRAM ARGS...
hb_cmd() {
	local b=$1 envs=()
	shift
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	local trace="$OUT/traces/$b.%p.hbt"
	case $HB_MODE in
	cli) printf '%q ' env "${envs[@]}" "$HBTRACE" run "${HB_NOREPORT[@]}" -o "$trace" -- "$@" ;;
	preload) printf '%q ' env "${envs[@]}" HBTRACE_OUT="$OUT/traces/$b.preload.hbt" LD_PRELOAD="$RTLIB" "$@" ;;
	esac
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# run_once LOG LIMIT COMMAND-STRING: time one run: wall seconds into T,
# user+sys CPU seconds of the process tree into CPU, exit status into RC
# (124 = stopped at LIMIT seconds).
run_once() {
	local t0 t1 u= sy=
	t0=$EPOCHREALTIME
	eval "timeout -k 5 $2 /usr/bin/time -f '%U %S' -o $(printf %q "$OUT/logs/cpu.tmp") $3" >/dev/null 2>"$1"
	RC=$?
	t1=$EPOCHREALTIME
	T=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')
	CPU=
	if read -r u sy <"$OUT/logs/cpu.tmp" 2>/dev/null; then
		CPU=$(awk -v u="$u" -v s="$sy" 'BEGIN { printf "%.3f", u + s }')
	fi
	# /usr/bin/time reports a failing command with "Command exited ..."
	case $u in *[!0-9.]*) CPU=$(tail -n 1 "$OUT/logs/cpu.tmp" | awk '{ printf "%.3f", $1 + $2 }') ;; esac
	rm -f "$OUT/logs/cpu.tmp"
}

# run_bench BENCH: all registered tools, round-robin, RUNS rounds.
run_bench() {
	local b=$1 round t key live=() next limit
	for t in ${TOOLS_OF[$b]}; do
		R_TIMES["$b|$t"]=
		R_CPUS["$b|$t"]=
		live+=("$t")
	done
	for ((round = 1; round <= RUNS; round++)); do
		next=()
		for t in "${live[@]}"; do
			key="$b|$t"
			rm -f "$OUT/traces/$b".*.hbt
			limit=$LIMIT
			case $t in helgrind | drd) limit=$CAP ;; esac
			run_once "$OUT/logs/$b.$t.log" "$limit" "${CMD[$key]}"
			if [ "$RC" = 124 ] || [ "$RC" = 137 ]; then
				R_STATUS[$key]=skip
				R_NOTE[$key]="skipped (>$limit s)"
				log "$b/$t: over the $limit s limit, skipped"
				continue
			fi
			if [ "$RC" != 0 ]; then
				R_STATUS[$key]=fail
				R_NOTE[$key]="failed (exit $RC)"
				log "$b/$t: exit $RC, see $OUT/logs/$b.$t.log"
				continue
			fi
			R_TIMES[$key]="${R_TIMES[$key]} $T"
			R_CPUS[$key]="${R_CPUS[$key]} ${CPU:-0}"
			[ $round = "$RUNS" ] && [ "${t#hbtrace}" != "$t" ] && trace_stats "$b" "$t"
			next+=("$t")
		done
		live=("${next[@]}")
		[ ${#live[@]} -eq 0 ] && break
	done
	rm -f "$OUT/traces/$b".*.hbt
	for t in ${TOOLS_OF[$b]}; do
		key="$b|$t"
		[ -n "${R_STATUS[$key]:-}" ] && continue
		R_STATUS[$key]=ok
		R_MIN[$key]=$(tr ' ' '\n' <<<"${R_TIMES[$key]}" | grep . | sort -g | head -n 1)
		R_MAX[$key]=$(tr ' ' '\n' <<<"${R_TIMES[$key]}" | grep . | sort -g | tail -n 1)
		R_MED[$key]=$(tr ' ' '\n' <<<"${R_TIMES[$key]}" | grep . | median)
		R_CPU[$key]=$(tr ' ' '\n' <<<"${R_CPUS[$key]}" | grep . | median)
		log "$b/$t: median ${R_MED[$key]} s (${R_TIMES[$key]# })"
	done
}

# Bytes per event of the traces the last run recorded.
declare -A TS_LINE=()
trace_stats() {
	local b=$1 t=$2 f sum
	[ -x "$OUT/bin/tracestat" ] || return 0
	sum=$(for f in "$OUT/traces/$b".*.hbt; do
		[ -f "$f" ] && "$OUT/bin/tracestat" "$f" 2>/dev/null
	done | awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); s[kv[1]] += kv[2] } }
		END { if (s["events"] > 0) print s["events"], s["file"], s["stack_bytes"], s["event_bytes"] }')
	[ -n "$sum" ] && TS_LINE["$b|$t"]=$sum
	if [ $KEEP = 1 ]; then
		for f in "$OUT/traces/$b".*.hbt; do
			[ -f "$f" ] && mv "$f" "${f%.hbt}.$t.keep.hbt"
		done
	fi
}

# ---- the benchmarks --------------------------------------------------------
want() { [[ $1 =~ $ONLY ]]; }

declare -A LABEL=()
register_micro() { # BENCH PROGRAM ARG LABEL
	local b=$1 p=$2 n=$3
	LABEL[$b]=$4
	want "$b" || return 0
	BENCHES+=("$b")
	add_cmd "$b" native "$OUT/bin/$p" "$n"
	if [ $HB_MODE != none ]; then
		CMD["$b|hbtrace"]="$(hb_cmd "$b" -- "$OUT/bin/$p" "$n")"
		TOOLS_OF[$b]+=" hbtrace"
	else
		na "$b" hbtrace "hbtrace not built"
	fi
	if [ $HB_MODE != none ] && [ -x "$OUT/bin/$p.hbcc" ]; then
		CMD["$b|hbtrace_cc"]="$(hb_cmd "$b" -- "$OUT/bin/$p.hbcc" "$n")"
		TOOLS_OF[$b]+=" hbtrace_cc"
	else
		na "$b" hbtrace_cc "hbtrace cc not available"
	fi
	if [ $HAVE_TSAN = 1 ] && [ -x "$OUT/bin/$p.tsan" ]; then
		add_cmd "$b" tsan "$OUT/bin/$p.tsan" "$n"
	else
		na "$b" tsan "gcc -fsanitize=thread unavailable"
	fi
	register_valgrind "$b" "$OUT/bin/$p" "$n"
	if [ -f "$OUT/bin/floor.so" ]; then
		add_cmd "$b" floor env LD_PRELOAD="$OUT/bin/floor.so" "$OUT/bin/$p" "$n"
		add_cmd "$b" floor_spin env FLOOR_WAIT=spin LD_PRELOAD="$OUT/bin/floor.so" "$OUT/bin/$p" "$n"
	else
		na "$b" floor "tests/bench/floor.c did not build"
		na "$b" floor_spin "tests/bench/floor.c did not build"
	fi
}

register_valgrind() { # BENCH COMMAND...
	local b=$1
	shift
	if [ $HAVE_VG = 1 ]; then
		add_cmd "$b" helgrind valgrind --tool=helgrind -q "$@"
		add_cmd "$b" drd valgrind --tool=drd -q "$@"
	else
		na "$b" helgrind "valgrind not installed"
		na "$b" drd "valgrind not installed"
	fi
}

register_real() { # BENCH LABEL COMMAND...
	local b=$1
	LABEL[$b]=$2
	shift 2
	want "$b" || return 0
	BENCHES+=("$b")
	if [ ! -s "$INPUT" ] || [ "$OUT/bin/gen_input" -nt "$INPUT" ]; then
		log "generating $INPUT"
		"$OUT/bin/gen_input" "$SIZE_MB" >"$INPUT.tmp" && mv "$INPUT.tmp" "$INPUT"
	fi
	if ! command -v "$1" >/dev/null; then
		na "$b" native "$1 not installed"
		na "$b" hbtrace "$1 not installed"
		na "$b" tsan "$1 not installed"
		na "$b" helgrind "$1 not installed"
		na "$b" drd "$1 not installed"
		return 0
	fi
	add_cmd "$b" native "$@"
	if [ $HB_MODE != none ]; then
		CMD["$b|hbtrace"]="$(hb_cmd "$b" -- "$@")"
		TOOLS_OF[$b]+=" hbtrace"
	else
		na "$b" hbtrace "hbtrace not built"
	fi
	na "$b" tsan "Debian binary, not rebuilt with TSan"
	na "$b" hbtrace_cc "Debian binary, not rebuilt"
	if [ $QUICK = 1 ]; then
		# they never finish under a smoke run's cap: save the probes
		na "$b" helgrind "not run with --quick"
		na "$b" drd "not run with --quick"
	else
		register_valgrind "$b" "$@"
	fi
}

register_micro micro_uncontended lock_uncontended $N_UNCONTENDED \
	"uncontended lock/unlock, 1 thread ($N_UNCONTENDED iterations)"
register_micro micro_nested lock_nested $N_NESTED \
	"nested mutexes, 4 threads ($N_NESTED iterations each)"
register_micro micro_condvar cond_pingpong $N_PINGPONG \
	"condvar ping-pong, 2 threads ($N_PINGPONG rounds)"

INPUT=$OUT/input-${SIZE_MB}M.bin
register_real real_xz "xz -T2, ${SIZE_MB} MB" xz -T2 -c "$INPUT"
register_real real_zstd "zstd -T2, ${SIZE_MB} MB" zstd -T2 -c "$INPUT"
register_real real_pigz "pigz -p 2, ${SIZE_MB} MB" pigz -p 2 -c "$INPUT"

LABEL[asyncio]="asyncio: tasks, locks, queues ($N_ASYNCIO items x 20 producers)"
if want asyncio; then
	BENCHES+=(asyncio)
	add_cmd asyncio native "$PYTHON" "$HERE/asyncio_bench.py" "$N_ASYNCIO"
	if [ $HB_MODE != none ]; then
		if [ -n "$PY_ACCESS_ENV" ]; then
			CMD["asyncio|hbtrace"]="$(hb_cmd asyncio "$PY_ACCESS_ENV=0" -- "$PYTHON" "$HERE/asyncio_bench.py" "$N_ASYNCIO")"
		else
			CMD["asyncio|hbtrace"]="$(hb_cmd asyncio -- "$PYTHON" "$HERE/asyncio_bench.py" "$N_ASYNCIO")"
		fi
		TOOLS_OF[asyncio]+=" hbtrace"
		if [ -n "$PY_ACCESS_ENV" ]; then
			CMD["asyncio|hbtrace_access"]="$(hb_cmd asyncio "$PY_ACCESS_ENV=1" -- "$PYTHON" "$HERE/asyncio_bench.py" "$N_ASYNCIO")"
			TOOLS_OF[asyncio]+=" hbtrace_access"
		else
			na asyncio hbtrace_access "no shared-state switch in the Python front-end yet"
		fi
	else
		na asyncio hbtrace "hbtrace not built"
		na asyncio hbtrace_access "hbtrace not built"
	fi
	na asyncio tsan "not applicable to Python"
	na asyncio hbtrace_cc "not applicable to Python"
	na asyncio helgrind "not run on Python"
	na asyncio drd "not run on Python"
fi

START_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
START_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
for b in "${BENCHES[@]}"; do
	log "running $b: ${LABEL[$b]}"
	run_bench "$b"
done

# ---- the analyzer ----------------------------------------------------------
# Events of a size like 10M / 100M / 2500k.
parse_count() {
	local s=${1,,}
	case $s in
	*m) echo $((${s%m} * 1000000)) ;;
	*k) echo $((${s%k} * 1000)) ;;
	*) echo "$s" ;;
	esac
}
AN_ROWS=()
declare -A AN=()

# report_once SPEC TRACE [LANES]: one timed `hbtrace report` under
# /usr/bin/time -v (peak RSS).  Peak RSS counts the pages of the mapped
# trace file too, so the report's own status is sampled as well: ANON is
# its peak RssAnon (heap, tables: what must stay flat), in KiB.  RC 124 =
# over the safety limit.  LANES sets HBTRACE_ANALYZE_LANES (1: one
# thread; default: the report's own choice, two threads on a long trace).
report_once() {
	local spec=$1 trace=$2 lanes=${3:-} tp child= k v t0 now
	t0=${EPOCHREALTIME/./}
	HBTRACE_ANALYZE_LANES=$lanes /usr/bin/time -v -o "$OUT/logs/analyzer-$spec.time" \
		"$HBTRACE" report --format json "$trace" \
		>"$OUT/logs/analyzer-$spec.json" 2>"$OUT/logs/analyzer-$spec.log" &
	tp=$!
	ANON=0
	# few forks in this loop: it shares the CPUs with what it measures
	while kill -0 "$tp" 2>/dev/null; do
		[ -n "$child" ] || read -r child _ <"/proc/$tp/task/$tp/children" 2>/dev/null
		if [ -n "$child" ] && [ -r "/proc/$child/status" ]; then
			while read -r k v _; do
				[ "$k" = RssAnon: ] && [ "$v" -gt "$ANON" ] && ANON=$v
			done <"/proc/$child/status" 2>/dev/null
		fi
		now=${EPOCHREALTIME/./}
		if [ $((now - t0)) -gt $((LIMIT * 1000000)) ]; then
			kill "$tp" ${child:+"$child"} 2>/dev/null
			wait "$tp" 2>/dev/null
			RC=124
			return
		fi
		sleep 0.05
	done
	wait "$tp"
	RC=$?
	now=${EPOCHREALTIME/./}
	T=$(awk -v d="$((now - t0))" 'BEGIN { printf "%.4f", d / 1e6 }')
}
run_analyzer() {
	local spec n trace rss r times times1 rsses anons key specs
	IFS=, read -r -a specs <<<"$EVENTS"
	for spec in "${specs[@]}"; do
		n=$(parse_count "$spec")
		key=$spec
		AN_ROWS+=("$key")
		AN["$key|events"]=$n
		if [ ! -x "$OUT/bin/gen_trace" ]; then
			AN["$key|note"]="n/a (trace generator needs lib/hbt_filewriter.h)"
			continue
		fi
		trace=$OUT/gen-$spec.hbt
		if [ ! -s "$trace" ] || [ "$OUT/bin/gen_trace" -nt "$trace" ]; then
			log "generating $trace ($n events)"
			if ! "$OUT/bin/gen_trace" -n "$n" -o "$trace.tmp" \
				>"$OUT/logs/gen_trace-$spec.log" 2>&1; then
				AN["$key|note"]="failed (generator, see logs/gen_trace-$spec.log)"
				rm -f "$trace.tmp"
				continue
			fi
			mv "$trace.tmp" "$trace"
		fi
		if [ -x "$OUT/bin/tracestat" ]; then
			AN["$key|stat"]=$("$OUT/bin/tracestat" "$trace" 2>/dev/null)
			# the real count (the generator finishes its sections)
			n=$(sed -n 's/.*events=\([0-9]*\).*/\1/p' <<<"${AN[$key|stat]}")
			[ -n "$n" ] && [ "$n" -gt 0 ] && AN["$key|events"]=$n
		fi
		if [ $HAVE_REPORT = 0 ]; then
			AN["$key|note"]="n/a (hbtrace report not built)"
			continue
		fi
		times= rsses= anons= times1=
		for ((r = 1; r <= AN_RUNS; r++)); do
			# one thread first, round-robin with the default
			report_once "$spec-1" "$trace" 1
			[ "$RC" = 0 ] || [ "$RC" = 1 ] && times1="$times1 $T"
			report_once "$spec" "$trace"
			if [ "$RC" = 124 ]; then
				AN["$key|note"]="timed out (>$LIMIT s)"
				break
			fi
			# report exits 0 (or 1 with findings); 2 is an input error
			if [ "$RC" != 0 ] && [ "$RC" != 1 ]; then
				AN["$key|note"]="failed (exit $RC)"
				break
			fi
			rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$OUT/logs/analyzer-$spec.time")
			times="$times $T" rsses="$rsses ${rss:-0}" anons="$anons $ANON"
			AN["$key|findings"]=$(grep -o '"kind"' "$OUT/logs/analyzer-$spec.json" | wc -l)
		done
		[ -n "${AN[$key|note]:-}" ] && continue
		AN["$key|min"]=$(tr ' ' '\n' <<<"$times" | grep . | sort -g | head -n 1)
		AN["$key|med"]=$(tr ' ' '\n' <<<"$times" | grep . | median)
		AN["$key|max"]=$(tr ' ' '\n' <<<"$times" | grep . | sort -g | tail -n 1)
		AN["$key|rss"]=$(tr ' ' '\n' <<<"$rsses" | grep . | sort -g | tail -n 1)
		AN["$key|anon"]=$(tr ' ' '\n' <<<"$anons" | grep . | sort -g | tail -n 1)
		AN["$key|med1"]=$(tr ' ' '\n' <<<"$times1" | grep . | median)
		log "analyzer $spec: median ${AN[$key|med]} s, peak RSS ${AN[$key|rss]} KiB"
	done
}
if want analyzer; then
	log "running the analyzer on generated traces ($EVENTS events)"
	run_analyzer
fi
END_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the report ------------------------------------------------------------
fmt_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { r = a / b; if (r >= 100) printf "%.0fx", r; else if (r >= 10) printf "%.1fx", r; else printf "%.2fx", r }'; }

# cell BENCH TOOL: the ratio of medians to native, or why there is none.
cell() {
	local b=$1 t=$2 key="$1|$2" nat="$1|native"
	case ${R_STATUS[$key]:-n/a} in
	ok)
		if [ "${R_STATUS[$nat]:-}" = ok ]; then
			fmt_ratio "${R_MED[$key]}" "${R_MED[$nat]}"
		else
			printf '%s s' "${R_MED[$key]}"
		fi ;;
	skip)
		# the cap over native's median bounds the ratio from below
		if [ "${R_STATUS[$nat]:-}" = ok ] &&
			awk -v c="${R_NOTE[$key]//[!0-9]/}" -v n="${R_MED[$nat]}" 'BEGIN { exit !(c > 1.5 * n) }'; then
			printf 'skipped (>%s s, >%s)' "${R_NOTE[$key]//[!0-9]/}" "$(fmt_ratio "${R_NOTE[$key]//[!0-9]/}" "${R_MED[$nat]}")"
		else
			printf '%s' "${R_NOTE[$key]}"
		fi ;;
	fail) printf '%s' "${R_NOTE[$key]}" ;;
	*) printf 'n/a' ;;
	esac
}

cpu_ratio() {
	local a=${R_CPU[$1|$2]:-0} n=${R_CPU[$1|native]:-0}
	awk -v a="$a" -v n="$n" 'BEGIN { if (n > 0 && a > 0) { r = a / n; printf (r >= 100 ? "%.0fx" : r >= 10 ? "%.1fx" : "%.2fx"), r } else printf "-" }'
}

# Rows of the ratio table: label|bench|tool used for the "hbtrace" column.
table_rows() {
	local b
	for b in "${BENCHES[@]}"; do
		if [ "$b" = asyncio ]; then
			if [ -n "$PY_ACCESS_ENV" ]; then
				echo "asyncio, tasks+locks mode ($PY_ACCESS_ENV=0)|asyncio|hbtrace"
			else
				echo "asyncio, default mode|asyncio|hbtrace"
			fi
			echo "asyncio, shared-state mode${PY_ACCESS_ENV:+ ($PY_ACCESS_ENV=1)}|asyncio|hbtrace_access"
		else
			echo "${LABEL[$b]}|$b|hbtrace"
		fi
	done
}

report() {
	local cpu
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
	echo "### Run of $START_DATE"
	echo
	echo "- machine: $(nproc) CPUs ($cpu), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM, Linux $(uname -r)"
	echo "- load average at start / end: $START_LOAD / $END_LOAD (shared machine: read the ratios, not the seconds)"
	if [ ${#BENCHES[@]} -gt 0 ]; then
		echo "- command: \`$CMDLINE\` ($RUNS runs per tool, round-robin; Valgrind stopped after $CAP s per run)"
	else
		echo "- command: \`$CMDLINE\`"
	fi
	echo "- tools: $(gcc --version | head -n 1); $(valgrind --version 2>/dev/null || echo 'no valgrind'); $("$PYTHON" --version 2>&1); hbtrace via $HB_MODE${HB_NOREPORT:+ ${HB_NOREPORT[*]}}"
	echo
	[ ${#BENCHES[@]} -gt 0 ] && report_times
	report_analyzer
}

report_times() {
	local label b hbt t key
	echo "#### Overhead: ratio of median wall time to native"
	echo
	echo "| benchmark | native median | hbtrace run | hbtrace cc + run | gcc TSan | Helgrind | DRD | floor: wrapper alone | floor: wrapper + spin |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	while IFS='|' read -r label b hbt; do
		printf '| %s | ' "$label"
		if [ "${R_STATUS[$b|native]:-}" = ok ]; then
			printf '%s s |' "${R_MED[$b|native]}"
		else
			printf '%s |' "${R_NOTE[$b|native]:-n/a}"
		fi
		printf ' %s |' "$(cell "$b" "$hbt")"
		for t in hbtrace_cc tsan helgrind drd floor floor_spin; do
			printf ' %s |' "$(cell "$b" "$t")"
		done
		echo
	done < <(table_rows)
	echo
	echo "#### Wall times (seconds), and CPU time (user+sys of the process tree)"
	echo
	echo "| benchmark | tool | runs | min | median | max | CPU median | CPU ratio |"
	echo "|---|---|---:|---:|---:|---:|---:|---:|"
	for b in "${BENCHES[@]}"; do
		for t in native hbtrace hbtrace_access hbtrace_cc tsan helgrind drd floor floor_spin; do
			key="$b|$t"
			case ${R_STATUS[$key]:-} in
			ok) printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$b" "$t" \
				"$(tr ' ' '\n' <<<"${R_TIMES[$key]}" | grep -c .)" \
				"${R_MIN[$key]}" "${R_MED[$key]}" "${R_MAX[$key]}" \
				"${R_CPU[$key]}" "$(cpu_ratio "$b" "$t")" ;;
			skip | fail) printf '| %s | %s | | %s | | | | |\n' "$b" "$t" "${R_NOTE[$key]}" ;;
			n/a) printf '| %s | %s | | n/a: %s | | | | |\n' "$b" "$t" "${R_NOTE[$key]}" ;;
			esac
		done
	done
}

report_analyzer() {
	local key b t ev file stk evb pairs
	if [ ${#AN_ROWS[@]} -gt 0 ]; then
		echo
		echo "#### Analyzer: \`hbtrace report --format json\` on generated traces ($AN_RUNS run(s) each)"
		echo
		echo "| trace | events | file size | bytes/event | bytes/event, stack table aside | median time (min-max) | events/s | one thread: median, events/s | peak RSS | peak anonymous RSS | lock pairs | findings |"
		echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
		for key in "${AN_ROWS[@]}"; do
			local n=${AN[$key|events]} st=${AN[$key|stat]:-} file=0 stack_bytes=0 events=0 event_bytes=0
			if [ -n "$st" ]; then
				eval "$(tr ' ' '\n' <<<"$st" | sed -n 's/^\(file\|events\|stack_bytes\|event_bytes\)=\([0-9]*\)$/\1=\2/p')"
			fi
			pairs=$(sed -n 's/.*lock_pairs=\([0-9]*\).*/\1/p' "$OUT/logs/gen_trace-$key.log" 2>/dev/null)
			printf '| gen-%s | %s |' "$key" "$n"
			if [ "$events" -gt 0 ]; then
				awk -v f="$file" -v s="$stack_bytes" -v e="$events" -v r="$event_bytes" 'BEGIN { printf " %.0f MB | %.2f | %.2f (records alone %.2f) |", f / 1e6, f / e, (f - s) / e, r / e }'
			else
				printf ' n/a | n/a | n/a |'
			fi
			if [ -n "${AN[$key|med]:-}" ]; then
				awk -v n="$n" -v t="${AN[$key|med]}" -v r="${AN[$key|rss]}" -v lo="${AN[$key|min]}" -v hi="${AN[$key|max]}" -v an="${AN[$key|anon]}" -v fi="${AN[$key|findings]:-?}" -v lp="$pairs" -v t1="${AN[$key|med1]:-0}" \
					'BEGIN { printf " %.2f s (%.2f-%.2f) | %.1f M |", t, lo, hi, n / t / 1e6
						if (t1 > 0) printf " %.2f s, %.1f M |", t1, n / t1 / 1e6; else printf " n/a |"
						printf " %.0f MiB | %.0f MiB | %s | %s |\n", r / 1024, an / 1024, lp, fi }'
			else
				printf ' %s | | | | | %s | |\n' "${AN[$key|note]:-n/a}" "$pairs"
			fi
		done
	fi
	if [ ${#TS_LINE[@]} -gt 0 ]; then
		echo
		echo "#### Trace size of recorded runs"
		echo
		echo "| benchmark | events | file size | stack table | bytes/event | bytes/event, stack table aside | event records alone |"
		echo "|---|---:|---:|---:|---:|---:|---:|"
		for b in "${BENCHES[@]}"; do
			for t in hbtrace hbtrace_access hbtrace_cc; do
				[ -n "${TS_LINE[$b|$t]:-}" ] || continue
				read -r ev file stk evb <<<"${TS_LINE[$b|$t]}"
				awk -v b="$b${t#hbtrace}" -v e="$ev" -v f="$file" -v s="$stk" -v r="$evb" \
					'BEGIN { printf "| %s | %d | %.1f MB | %.1f kB | %.2f | %.2f | %.2f |\n", b, e, f / 1e6, s / 1e3, f / e, (f - s) / e, r / e }'
			done
		done
	fi
}

# Plot data: one row per table row, the five tools' ratios ("?" = none).
plot_data() {
	local label b hbt t
	echo "# benchmark hbtrace hbtrace_cc tsan helgrind drd (ratio of medians to native)"
	while IFS='|' read -r label b hbt; do
		[ "${R_STATUS[$b|native]:-}" = ok ] || continue
		printf '"%s"' "$(sed 's/ (.*//; s/"//g' <<<"$label")"
		for t in "$hbt" hbtrace_cc tsan helgrind drd; do
			if [ "${R_STATUS[$b|$t]:-}" = ok ]; then
				awk -v a="${R_MED[$b|$t]}" -v n="${R_MED[$b|native]}" 'BEGIN { printf " %.3f", a / n }'
			else
				printf ' ?'
			fi
		done
		echo
	done < <(table_rows)
}

csv() {
	local b t key
	echo "benchmark,tool,status,runs,min,median,max,note"
	for b in "${BENCHES[@]}"; do
		for t in native hbtrace hbtrace_access hbtrace_cc tsan helgrind drd floor floor_spin; do
			key="$b|$t"
			[ -n "${R_STATUS[$key]:-}" ] || continue
			echo "$b,$t,${R_STATUS[$key]},$(tr ' ' '\n' <<<"${R_TIMES[$key]:-}" | grep -c .),${R_MIN[$key]:-},${R_MED[$key]:-},${R_MAX[$key]:-},\"${R_NOTE[$key]:-}\""
		done
	done
}

report >"$OUT/results.md"
csv >"$OUT/results.csv"
plot_data >"$OUT/results.dat"
cat "$OUT/results.md"

# plot only when some tool has a ratio (the last five fields of a row)
if command -v gnuplot >/dev/null &&
	awk '/^"/ { for (i = NF - 4; i <= NF; i++) if ($i != "?") f = 1 } END { exit !f }' "$OUT/results.dat"; then
	if gnuplot -e "datafile='$OUT/results.dat'; outfile='$OUT/performance.png'" \
		"$HERE/plot.gnuplot" >"$OUT/logs/gnuplot.log" 2>&1; then
		log "plot: $OUT/performance.png"
	else
		log "gnuplot failed (see $OUT/logs/gnuplot.log)"
	fi
fi

if [ $DOCS = 1 ]; then
	[ -f "$OUT/performance.png" ] && cp "$OUT/performance.png" "$ROOT/docs/performance.png" &&
		log "updated docs/performance.png"
	# Replace the section between the markers in docs/performance.md.
	if [ -f "$ROOT/docs/performance.md" ] &&
		grep -q "<!-- $DOCS_TAG:begin -->" "$ROOT/docs/performance.md"; then
		awk -v f="$OUT/results.md" -v b="<!-- $DOCS_TAG:begin -->" -v e="<!-- $DOCS_TAG:end -->" '
			index($0, b) { print; while ((getline l < f) > 0) print l; skip = 1; next }
			index($0, e) { skip = 0 }
			!skip' "$ROOT/docs/performance.md" >"$OUT/performance.md.tmp" &&
			mv "$OUT/performance.md.tmp" "$ROOT/docs/performance.md"
		log "updated the '$DOCS_TAG' section of docs/performance.md"
	else
		log "docs/performance.md has no <!-- $DOCS_TAG:begin --> marker"
	fi
fi
[ $KEEP = 1 ] || rm -f "$OUT/traces/"*.hbt
exit 0

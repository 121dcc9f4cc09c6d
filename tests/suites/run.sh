#!/bin/bash
# Real programs' own test suites under the runtime (issue #8, item 2).
#
# Runs each suite twice, natively and under `hbtrace run`, compares the
# results (per test: pass/fail/error/skip; exit status), then reports
# every trace.  By hand only, as root: it installs Debian packages, and
# takes far longer than CI's 30 minutes on 2 cores.
#
#   tests/suites/run.sh [python] [xz] [xz-cc]     (default: python xz)
#
# MODES="hbtrace" reruns only the traced half, against the native results
# already under build/suites/ (default MODES="native hbtrace").
#
# Everything goes under build/suites/; see docs/reliability.md.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$ROOT/build/suites
HBTRACE=$ROOT/build/hbtrace
PY=/usr/bin/python3
COMPARE=$ROOT/tests/suites/compare.py
SRC_LIST=/etc/apt/sources.list.d/hbtrace-suites-src.sources

MODES=${MODES:-native hbtrace}
mkdir -p "$OUT"
[ -x "$HBTRACE" ] || make -C "$ROOT" -j2 >/dev/null || exit 2

need_root()
{
	[ "$(id -u)" = 0 ] || {
		echo "run.sh: run as root (installs $*)" >&2
		exit 2
	}
}

# Run a command with SIGINT at its default: a background job inherits
# SIGINT ignored, and test_threading's interrupt_main tests need it.
DFL_INT=($PY -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])')

# Wall time in seconds and exit status of a command, to FILE.time.
timed()
{
	local tag=$1
	shift
	local start end rc
	start=$(date +%s.%N)
	"$@"
	rc=$?
	end=$(date +%s.%N)
	echo "rc=$rc wall=$(awk "BEGIN { print $end - $start }")" >"$tag.time"
	return $rc
}

report_traces()
{
	local dir=$1
	local t
	for t in "$dir"/*.hbt; do
		[ -e "$t" ] || continue
		"$HBTRACE" report --format json "$t" >"${t%.hbt}.json" 2>"${t%.hbt}.report.err"
		echo "$? $t" >>"$dir/report-status.txt"
	done
	$PY "$COMPARE" findings "$dir" >"$dir/findings.txt"
	cat "$dir/findings.txt"
}

# CPython's test_asyncio and test_threading, one regrtest process each,
# sequential (no -j): the whole suite is then one traced interpreter and
# one trace; the subprocesses the tests start (script_helper, asyncio
# subprocess tests) inherit the preload and write their own traces.
run_python()
{
	local mod mode d
	dpkg -s libpython3.11-testsuite >/dev/null 2>&1 || {
		need_root libpython3.11-testsuite
		apt-get install -y libpython3.11-testsuite >/dev/null || exit 2
	}
	for mod in test_threading test_asyncio; do
		for mode in $MODES; do
			d=$OUT/py/$mode/$mod
			rm -rf "$d"
			mkdir -p "$d"
			echo "== $mod $mode"
			if [ $mode = native ]; then
				(cd "$d" && timed "$d/run" "${DFL_INT[@]}" $PY -m test --timeout 1200 \
					--junit-xml "$d/junit.xml" $mod >"$d/log" 2>&1)
			else
				(cd "$d" && timed "$d/run" "${DFL_INT[@]}" "$HBTRACE" run \
					--no-report -o "$d/trace.%p.hbt" -- $PY -m test --timeout 1200 \
					--junit-xml "$d/junit.xml" $mod >"$d/log" 2>&1)
			fi
			cat "$d/run.time"
			tail -n 3 "$d/log"
		done
		$PY "$COMPARE" junit "$OUT/py/native/$mod" "$OUT/py/hbtrace/$mod" |
			tee "$OUT/py/$mod.compare.txt"
		report_traces "$OUT/py/hbtrace/$mod"
	done
}

# xz-utils from Debian's sources: liblzma's multithreaded encoder and
# decoder, xz -T.  Built with its own build system; `make check` runs
# natively and under `hbtrace run` (make, the shell and every test
# program inherit the preload).
xz_source()
{
	local src=$OUT/xz/src
	if [ ! -d "$src" ]; then
		need_root "a deb-src entry ($SRC_LIST)"
		[ -f "$SRC_LIST" ] || cat >"$SRC_LIST" <<-EOF
			Types: deb-src
			URIs: http://deb.debian.org/debian
			Suites: bookworm
			Components: main
			Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
		EOF
		apt-get update >/dev/null || exit 2
		command -v dpkg-source >/dev/null || apt-get install -y dpkg-dev >/dev/null
		mkdir -p "$OUT/xz/dl"
		(cd "$OUT/xz/dl" && apt-get source xz-utils >/dev/null) || exit 2
		mv "$(find "$OUT/xz/dl" -maxdepth 1 -type d -name 'xz-utils-*')" "$src"
	fi
	echo "$src"
}

# One build tree per variant: native (gcc), cc (built with hbtrace cc,
# memory accesses recorded).
xz_build()
{
	local variant=$1 src=$2 b=$OUT/xz/build-$1
	[ -f "$b/.built" ] && return 0
	rm -rf "$b"
	mkdir -p "$b"
	(
		cd "$b" || exit 2
		if [ "$variant" = cc ]; then
			"$src/configure" --disable-shared --disable-doc \
				CC="$HBTRACE cc" CFLAGS="-g -O1" >configure.log 2>&1
		else
			"$src/configure" --disable-doc CFLAGS="-g -O2" >configure.log 2>&1
		fi || exit 2
		make -j2 >make.log 2>&1 || exit 2
		# build the test programs now, so that make check only runs them
		make -j2 -C tests check TESTS= >make-tests.log 2>&1 || exit 2
	) || {
		echo "xz: $variant build failed, see $b" >&2
		exit 2
	}
	touch "$b/.built"
}

xz_check()
{
	local variant=$1 mode=$2 b=$OUT/xz/build-$1 d
	d=$OUT/xz/$variant-$mode
	rm -rf "$d"
	mkdir -p "$d"
	echo "== xz ($variant build) make check, $mode"
	rm -f "$b"/tests/*.log "$b"/tests/*.trs
	if [ $mode = native ]; then
		(cd "$b" && timed "$d/run" make -C tests check >"$d/log" 2>&1)
	else
		(cd "$b" && timed "$d/run" "$HBTRACE" run --no-report \
			-o "$d/trace.%p.hbt" -- make -C tests check >"$d/log" 2>&1)
	fi
	cp "$b"/tests/*.trs "$b"/tests/test-suite.log "$d/" 2>/dev/null
	cat "$d/run.time"
	grep -E '^# (TOTAL|PASS|SKIP|XFAIL|FAIL|XPASS|ERROR)' "$d/log"
}

run_xz()
{
	local variant=$1 src mode
	src=$(xz_source) || exit 2
	xz_build "$variant" "$src"
	for mode in $MODES; do
		xz_check "$variant" $mode
	done
	$PY "$COMPARE" automake "$OUT/xz/$variant-native" "$OUT/xz/$variant-hbtrace" |
		tee "$OUT/xz/$variant.compare.txt"
	report_traces "$OUT/xz/$variant-hbtrace"
}

[ $# -gt 0 ] || set -- python xz
for suite in "$@"; do
	case $suite in
	python) run_python ;;
	xz) run_xz native ;;
	xz-cc) run_xz cc ;;
	*)
		echo "run.sh: unknown suite $suite (python, xz, xz-cc)" >&2
		exit 2
		;;
	esac
done

#!/bin/bash
# tests/fuzz/run.sh - build the libFuzzer harnesses and run each one.
#
#   tests/fuzz/run.sh                  build, then run every harness
#   FUZZ_SECONDS=1800 tests/fuzz/run.sh   the long campaign (see README.md)
#   FUZZ_HARNESSES="reader baseline"   only these (names without fuzz_)
#   FUZZ_BUILD_ONLY=1                  build, do not run
#   FUZZ_REPRO=FILE FUZZ_HARNESSES=x   run one input through one harness
#
# The lib sources are compiled here with clang and the sanitizers into
# $B/fuzz/obj (never the normal build's objects: libFuzzer needs its
# coverage instrumentation in the code under test).  Seeds come from
# testdata/fuzz-corpus/<harness>/ (fuzz_analyze uses reader's) and are
# copied into a working corpus in $B/fuzz/corpus/<harness>/, so new
# inputs never land in the source tree;
# crashes, leaks and timeouts go to $B/fuzz/artifacts/<harness>/.
# Exit status: 0 when no harness found anything, 1 otherwise.
set -u
cd "$(dirname "$0")/../.." || exit 2

B=${B:-build}
OUT=$B/fuzz
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
HARNESSES=${FUZZ_HARNESSES:-reader analyze import_std suppress baseline}
CLANG=${CLANG:-clang}

if ! command -v "$CLANG" >/dev/null; then
	echo "error: $CLANG not found (apt-get install clang)" >&2
	exit 2
fi

SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
CFLAGS="-std=gnu11 -g -O1 -fno-omit-frame-pointer -D_GNU_SOURCE \
	-DHBT_VERSION_STRING=\"fuzz\" -Ilib -Itests/fuzz -Wall -Wextra \
	-Wno-unused-parameter"

mkdir -p "$OUT/obj" || exit 2

# --- build ------------------------------------------------------------
objs=()
for src in lib/*.c lib/*/*.c; do
	obj=$OUT/obj/${src//\//_}
	obj=${obj%.c}.o
	if [ ! -e "$obj" ] || [ "$src" -nt "$obj" ] ||
		[ -n "$(find lib -name '*.h' -newer "$obj" | head -1)" ]; then
		"$CLANG" $CFLAGS $SAN -fsanitize=fuzzer-no-link -c "$src" \
			-o "$obj" || exit 2
	fi
	objs+=("$obj")
done

for h in $HARNESSES; do
	src=tests/fuzz/fuzz_$h.c
	bin=$OUT/fuzz_$h
	if [ ! -e "$src" ]; then
		echo "error: no harness $src" >&2
		exit 2
	fi
	if [ ! -e "$bin" ] || [ -n "$(find "$src" tests/fuzz/fuzz_common.h \
		"${objs[@]}" -newer "$bin" | head -1)" ]; then
		"$CLANG" $CFLAGS $SAN -fsanitize=fuzzer "$src" "${objs[@]}" \
			-o "$bin" -ldw -lelf -lm -lpthread || exit 2
	fi
done
[ -n "${FUZZ_BUILD_ONLY:-}" ] && exit 0

# --- run --------------------------------------------------------------
# One process, niced: the machine is shared.  (No -jobs/-workers: with
# them libFuzzer forks a child whose output goes to ./fuzz-N.log.)
# -timeout catches
# hangs (a reader must answer small inputs at once), -rss_limit_mb and
# -malloc_limit_mb catch a hostile size turned into an allocation.
common=(-timeout=10 -rss_limit_mb=2048
	-malloc_limit_mb=1024 -max_len=65536 -print_final_stats=1)

if [ -n "${FUZZ_REPRO:-}" ]; then
	for h in $HARNESSES; do
		"$OUT/fuzz_$h" "${common[@]}" "$FUZZ_REPRO"
	done
	exit $?
fi

status=0
for h in $HARNESSES; do
	corpus=$OUT/corpus/$h
	art=$OUT/artifacts/$h
	mkdir -p "$corpus" "$art"
	seeds=testdata/fuzz-corpus/$h
	[ $h = analyze ] && seeds=testdata/fuzz-corpus/reader
	for f in "$seeds"/*; do
		[ -e "$f" ] && cp -n "$f" "$corpus/"
	done
	dict=()
	d=tests/fuzz/${h/analyze/reader}.dict
	[ -e "$d" ] && dict=(-dict="$d")
	echo "== fuzz_$h: $FUZZ_SECONDS s, corpus $corpus"
	nice -n 10 "$OUT/fuzz_$h" "${common[@]}" "${dict[@]}" \
		-max_total_time="$FUZZ_SECONDS" -artifact_prefix="$art/" \
		"$corpus" 2>"$OUT/$h.log"
	rc=$?
	grep -E '^(stat::|#[0-9]+[[:space:]]+DONE)' "$OUT/$h.log" | tail -n 8
	if [ $rc -ne 0 ]; then
		echo "fuzz_$h: FOUND A PROBLEM (exit $rc), see $OUT/$h.log and $art/"
		grep -m 3 -E 'ERROR|runtime error|SUMMARY' "$OUT/$h.log"
		status=1
	fi
done
exit $status

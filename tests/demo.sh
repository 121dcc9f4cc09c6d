#!/usr/bin/env bash
# make demo: record the bundled example under hbtrace and show the report.
set -eu
B=${B:-build}
mkdir -p "$B/demo"
make --no-print-directory -s B="$B" "$B/testdata/demo_bank"
echo "\$ hbtrace run -o $B/demo/bank.hbt -- $B/testdata/demo_bank"
"$B/hbtrace" run -o "$B/demo/bank.hbt" -- "$B/testdata/demo_bank"
echo
echo "\$ hbtrace dump $B/demo/bank.hbt | head -n 40"
"$B/hbtrace" dump "$B/demo/bank.hbt" | head -n 40

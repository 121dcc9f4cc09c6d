# SPDX-License-Identifier: MIT
# plot.gnuplot - overhead ratios per benchmark and tool, log scale.
#
#   gnuplot -e "datafile='build/bench/results.dat'; outfile='docs/performance.png'" \
#           tests/bench/plot.gnuplot
#
# results.dat (written by tests/bench/run.sh): one row per benchmark, a
# quoted label then the ratios of median wall time to native for hbtrace
# run, hbtrace cc + run, gcc TSan, Helgrind and DRD; "?" where a tool did
# not run or was skipped.  Bars of a cluster sit at
# x = row + (j - 2) / (5 columns + gap 1): the value labels use the same
# offsets.

if (!exists("datafile")) datafile = 'build/bench/results.dat'
if (!exists("outfile")) outfile = 'docs/performance.png'

set terminal pngcairo size 1200,640 font "DejaVu Sans,10"
set output outfile
set datafile missing "?"
set title "hbtrace vs. peers: wall time relative to native (median of runs, log scale; lower is better)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set logscale y
set yrange [0.5:*]
set ylabel "slowdown (x native)"
set grid ytics
set xtics rotate by -25 nomirror
set key top left
# the 1x line: native speed
set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead dt 2 lc rgb "#444444"

plot datafile using 2:xtic(1) title "hbtrace run" lc rgb "#1b9e77", \
     '' using 3 title "hbtrace cc + run (memory accesses)" lc rgb "#66a61e", \
     '' using 4 title "gcc -fsanitize=thread" lc rgb "#7570b3", \
     '' using 5 title "valgrind helgrind" lc rgb "#d95f02", \
     '' using 6 title "valgrind drd" lc rgb "#e7298a", \
     for [j=0:4] '' using ($0 + (j - 2) / 6.0):(column(j + 2)):(sprintf("%.3gx", column(j + 2))) \
        with labels offset 0,0.7 font ",8" notitle

# Bar chart of tests/bench/net.sh's results: median TCP throughput each way
# per VMM, with min..max error bars. Variables (gnuplot -e): datafile,
# outfile, subtitle, bars (rows in datafile). datafile rows:
#   "VMM" tx_median tx_min tx_max rx_median rx_min rx_max
set terminal pngcairo size 800,520 font "sans,11" noenhanced
set output outfile
set title "TCP through a TAP: minivmm vs QEMU microvm (same guest, TAP and KVM)\n".subtitle
set ylabel "MB/s"
set yrange [0:*]
set offsets 0, 0, graph 0.12, 0
set xrange [-0.6:bars - 0.4]
set xtics nomirror scale 0
set grid ytics
set key below horizontal
set style fill solid 0.8 border -1
set boxwidth 0.36
plot datafile using 0:(NaN):xtic(1) with points notitle, \
     '' using ($0-0.2):2 with boxes title "guest -> host" lc rgb "#2a7ab0", \
     '' using ($0-0.2):2:3:4 with yerrorbars notitle lc rgb "black" pt 7 ps 0.5, \
     '' using ($0-0.2):4:(sprintf("%.1f", $2)) with labels offset 0,0.8 notitle, \
     '' using ($0+0.2):5 with boxes title "host -> guest" lc rgb "#d9822b", \
     '' using ($0+0.2):5:6:7 with yerrorbars notitle lc rgb "black" pt 7 ps 0.5, \
     '' using ($0+0.2):7:(sprintf("%.1f", $5)) with labels offset 0,0.8 notitle

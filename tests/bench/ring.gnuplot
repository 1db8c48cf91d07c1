# Plot for tests/bench/ring.sh: gnuplot -e "data='ring.dat'; out='ring.png'" ring.gnuplot
# ring.dat has one block per variant: letter depth req/s ns/req lines/req bufs/entry min max
set terminal pngcairo size 1200,500 noenhanced
set output out
set multiplot layout 1,2 title "split ring: VIRTIO_F_IN_ORDER publication variants (driver and device threads, no KVM)"
set logscale x 2
set xlabel "queue depth (buffers outstanding)"
set key top left
set grid
set ylabel "million requests/s"
plot for [i=0:4] data index i using 2:($3/1e6):($7/1e6):($8/1e6) with yerrorlines title word("a-unordered b-heap+batch c-heap d-hash e-array", i+1)
set ylabel "used-ring cache lines written per request"
set key top right
plot for [i=0:4] data index i using 2:5 with linespoints title word("a-unordered b-heap+batch c-heap d-hash e-array", i+1)
unset multiplot

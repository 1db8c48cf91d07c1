#!/bin/sh
# Ring benchmark (issue 3): what VIRTIO_F_IN_ORDER costs and saves on a split
# ring shared by a driver thread and a device thread, no KVM. Variants a-e
# and the method are described at the top of tests/bench/bench_ring.c.
#
# Output: the table on stdout and in build/bench/ring.txt, the data in
# build/bench/ring.dat, a plot in build/bench/ring.png (gnuplot).
# Env: RING_SECONDS (per run, default 0.25), RING_RUNS (best of, default 3).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/build/bench
bin=$root/build/bench-bin/bench_ring
[ -x "$bin" ] || { echo "ring bench: $bin missing (make build/bench-bin/bench_ring)" >&2; exit 1; }
mkdir -p "$out"
"$bin" -s "${RING_SECONDS:-0.25}" -r "${RING_RUNS:-3}" -d "$out/ring.dat" | tee "$out/ring.txt"
if command -v gnuplot >/dev/null; then
	gnuplot -e "data='$out/ring.dat'; out='$out/ring.png'" "$root/tests/bench/ring.gnuplot"
	echo "plot: $out/ring.png"
else
	echo "ring bench: gnuplot missing, no plot (apt-get install gnuplot-nox)" >&2
fi

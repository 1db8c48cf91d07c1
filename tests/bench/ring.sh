#!/bin/sh
# Ring benchmark: what VIRTIO_F_IN_ORDER costs the device and saves the
# driver on a split ring, no KVM. Variants a-e: tests/unit/ring_variants.h;
# method: the top of tests/bench/bench_ring.c.
#
# 1. threads: driver and device threads polling, requests/s, median of
#    RING_ROUNDS interleaved rounds (min-max);
# 2. cost: one thread, each side's ns per request, cache lines and used.idx
#    loads per request;
# 3. instructions and simulated branch mispredicts per request under
#    callgrind (when valgrind is installed): the reproducible comparison on a
#    loaded machine;
# then one table of both sides joined from the three.
#
# Output: stdout and build/bench/ring.txt; data in build/bench/ring*.dat; a
# plot in build/bench/ring.png (gnuplot).
# Env: RING_SECONDS (per threads run, default 0.2), RING_ROUNDS (default 5),
# RING_DEPTHS (cost and callgrind, default 16,64,256), RING_CG_REQS (default 50000).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/build/bench
bin=$root/build/bench-bin/bench_ring
[ -x "$bin" ] || { echo "ring bench: $bin missing (make build/bench-bin/bench_ring)" >&2; exit 1; }
mkdir -p "$out"
rounds=${RING_ROUNDS:-5}
depths=${RING_DEPTHS:-16,64,256}
reqs=${RING_CG_REQS:-50000}
# Each part's table as it ends; a failed part ends the script.
part() {
	"$@" >"$out/ring.part" || { cat "$out/ring.part"; echo "ring bench: $* failed" >&2; exit 1; }
	tee -a "$out/ring.txt" <"$out/ring.part"
	rm -f "$out/ring.part"
}
: >"$out/ring.txt"
part "$bin" -s "${RING_SECONDS:-0.2}" -r "$rounds" -d "$out/ring.dat"
echo | tee -a "$out/ring.txt"
part "$bin" -c -r "$rounds" -D "$depths" -d "$out/ring-cost.dat"

: >"$out/ring-instr.dat"
if command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null; then
	cg=$(mktemp -d)
	for v in a b c d e; do
		for d in $(echo "$depths" | tr , ' '); do
			valgrind --tool=callgrind --branch-sim=yes --callgrind-out-file="$cg/$v.$d" \
				"$bin" -c -r 1 -n "$reqs" -D "$d" -V "$v" >/dev/null 2>&1
			# Inclusive instructions (Ir) and mispredicted conditional
			# branches (Bcm, simulated) of the bench's device and driver steps.
			callgrind_annotate --inclusive=yes --show-percs=no "$cg/$v.$d" 2>/dev/null | awk \
				-v n="$reqs" -v v="$v" -v d="$d" '
				function num(x) { gsub(",", "", x); return x == "." ? 0 : x }
				/bench_ring.c:dev_pop_all \[/ { pop = num($1); popm = num($3) }
				/bench_ring.c:dev_publish \[/ { pub = num($1); pubm = num($3) }
				/bench_ring.c:drv_reap \[/ { reap = num($1); reapm = num($3) }
				END { printf "%s %s %.1f %.1f %.1f %.2f %.2f\n", v, d, pop / n, pub / n,
					reap / n, (popm + pubm) / n, reapm / n }' \
				>>"$out/ring-instr.dat"
		done
	done
	rm -rf "$cg"
else
	echo "ring bench: valgrind missing, no instruction counts (apt-get install valgrind)" >&2
fi

# One table, both sides: join by variant and depth.
{
	echo
	echo "both sides per request. req/s: threads, median; ns: cost mode, median; ins and" \
		"miss: callgrind instructions and simulated branch mispredicts (device: pop +" \
		"publish; driver: reap); lines: used-ring cache lines written / read"
	awk '
	FILENAME ~ /ring.dat$/ && NF >= 3 && $1 !~ /^#/ { rps[$1 " " $2] = $3 }
	FILENAME ~ /ring-cost.dat$/ { dns[$1 " " $2] = $3; rns[$1 " " $2] = $4
		wl[$1 " " $2] = $5; rl[$1 " " $2] = $6; il[$1 " " $2] = $7; bpe[$1 " " $2] = $8
		keys[++nk] = $1 " " $2 }
	FILENAME ~ /ring-instr.dat$/ { di[$1 " " $2] = $3 + $4; ri[$1 " " $2] = $5
		dm[$1 " " $2] = $6; rm[$1 " " $2] = $7 }
	END {
		split("unordered heap+batch heap hash array", name, " ")
		printf "%-14s %5s %10s | %7s %7s %6s %7s | %7s %7s %6s %7s %9s | %8s\n",
			"variant", "depth", "req/s", "dev ns", "dev ins", "miss", "lines w",
			"drv ns", "drv ins", "miss", "lines r", "idx loads", "bufs/ent"
		for (i = 1; i <= nk; i++) {
			k = keys[i]; split(k, p, " ")
			printf "%-14s %5s %10s | %7.1f %7s %6s %7.3f | %7.1f %7s %6s %7.3f %9.3f | %8.2f\n",
				p[1] " " name[index("abcde", p[1])], p[2],
				(k in rps) ? rps[k] : "-", dns[k], (k in di) ? sprintf("%.1f", di[k]) : "-",
				(k in dm) ? dm[k] : "-", wl[k], rns[k], (k in ri) ? sprintf("%.1f", ri[k]) : "-",
				(k in rm) ? rm[k] : "-", rl[k], il[k], bpe[k]
		}
	}' "$out/ring.dat" "$out/ring-cost.dat" "$out/ring-instr.dat"
} | tee -a "$out/ring.txt"

if command -v gnuplot >/dev/null; then
	gnuplot -e "data='$out/ring.dat'; out='$out/ring.png'" "$root/tests/bench/ring.gnuplot"
	echo "plot: $out/ring.png"
else
	echo "ring bench: gnuplot missing, no plot (apt-get install gnuplot-nox)" >&2
fi

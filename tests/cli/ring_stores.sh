#!/bin/sh
# Every store minivmm makes into a split ring's used ring or a packed ring's
# descriptor ring and device event area, as the compiler sees it. used.idx
# publishes the entries and the data before it, and so does a packed used
# descriptor's flags field, so those stores must be release stores
# (docs/design.md, "Memory ordering"); the other fields (used entries,
# flags, avail_event, a used descriptor's id and len, the event
# suppression structure) must at least be single atomic stores. On x86, and under TCG, a plain or relaxed store
# runs exactly like a release store, so no run of the code can tell them
# apart; the compiler's own view can: GCC's final GIMPLE (-fdump-tree-
# optimized) shows each atomic store as __atomic_store_N (ADDR, VALUE,
# ORDER), 3 being release, and a plain store as an assignment through a
# pointer. Each file of virtio/ and devices/ is compiled with -O2 as the
# build does; pointers loaded from a struct vq_split's .used field, and
# everything computed from them, are the used ring; those loaded from a
# struct vq_packed's .desc and .device fields are the packed ring's. A
# descriptor's field is known by the pointer's offset modulo 16, followed
# through integer arithmetic (slot * 16 + 14): a 2-byte store whose field
# cannot be told is a failure too.
#
# ring_stores.sh OUT_DIR: prints every used-ring store found and a verdict;
# exit 0 when all hold, 1 when one does not, 77 when it cannot check (no GCC).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:?usage: ring_stores.sh OUT_DIR}
mkdir -p "$out"
cc=${RING_STORES_CC:-gcc}
if ! command -v "$cc" >/dev/null 2>&1; then
	echo "no $cc: cannot dump GIMPLE"
	exit 77
fi
: >"$out/all.gimple"
for f in "$root"/virtio/*.c "$root"/devices/*.c; do
	g=$out/$(basename "$f").gimple
	"$cc" -std=c11 -D_GNU_SOURCE -O2 -I"$root" -fdump-tree-optimized="$g" -c "$f" \
		-o "$out/obj.o" 2>"$out/cc.err" || {
		echo "$cc failed on ${f#"$root"/}: $(head -c 300 "$out/cc.err")"
		exit 1
	}
	printf ';; File %s\n' "${f#"$root"/}" >>"$out/all.gimple"
	cat "$g" >>"$out/all.gimple"
done

# Two passes: the first follows the used ring's pointers (a PHI may name one
# defined further down), the second finds the stores through them.
awk '
function ssa(s) { return s ~ /^[A-Za-z_][A-Za-z0-9_.]*_[0-9]+(\(D\))?$/ || s ~ /^_[0-9]+$/ }
# The used-ring pointer among the SSA names in s, or "".
function ring(s,    n, i, t, parts) {
	n = split(s, parts, /[^A-Za-z0-9_.]+/)
	for (i = 1; i <= n; i++) {
		t = parts[i]
		sub(/\(D\)$/, "", t)
		if ((key, t) in used)
			return t
	}
	return ""
}
FNR == 1 { pass++ }
/^;; File / { file = $3 }
/^;; Function / { fn = $3; key = file ":" fn }
# A load of the used ring pointer out of a vq_split.
/^  [A-Za-z0-9_.]+ = .*(struct vq_split \*.*\]|split)\.used;$/ {
	used[key, $1] = 1
	kind[key, $1] = "used"
	off[key, $1] = 0
	next
}
# The packed ring: the descriptor ring and the device event suppression area.
/^  [A-Za-z0-9_.]+ = .*(struct vq_packed \*.*\]|packed)\.desc;$/ {
	used[key, $1] = 1
	kind[key, $1] = "desc"
	off[key, $1] = 0
	next
}
/^  [A-Za-z0-9_.]+ = .*(struct vq_packed \*.*\]|packed)\.device;$/ {
	used[key, $1] = 1
	kind[key, $1] = "event"
	off[key, $1] = 0
	next
}
# Arithmetic and casts on it, and PHIs of it (never a load through it).
/^  (# )?[A-Za-z0-9_.]+ = / && !/MEM|__atomic|\(\*| = \*/ {
	stmt = $0
	sub(/^  (# )?/, "", stmt)
	lhs = stmt
	sub(/ = .*/, "", lhs)
	rhs = stmt
	sub(/^[^=]*= /, "", rhs)
	if (!ssa(lhs) || (key, lhs) in used)
		next
	# Integers known modulo 16 (x * 16, x << 4, plus constants, casts).
	if (rhs ~ /^[A-Za-z0-9_.]+ \* [0-9]+;$/) {
		c = rhs
		sub(/.* \* /, "", c)
		sub(/;$/, "", c)
		if (c % 16 == 0)
			m16[key, lhs] = 0
	} else if (rhs ~ /^[A-Za-z0-9_.]+ << [0-9]+;$/) {
		c = rhs
		sub(/.* << /, "", c)
		sub(/;$/, "", c)
		if (c >= 4)
			m16[key, lhs] = 0
	} else if (rhs ~ /^[A-Za-z0-9_.]+ \+ [0-9]+;$/) {
		t = rhs
		sub(/ .*/, "", t)
		c = rhs
		sub(/.* \+ /, "", c)
		sub(/;$/, "", c)
		if ((key, t) in m16)
			m16[key, lhs] = (m16[key, t] + c) % 16
	} else if (rhs ~ /^(\([^)]*\) )?[A-Za-z0-9_.]+;$/) {
		t = rhs
		sub(/^\([^)]*\) /, "", t)
		sub(/;$/, "", t)
		if ((key, t) in m16)
			m16[key, lhs] = m16[key, t]
	}
	r = ring(rhs)
	if (r == "")
		next
	used[key, lhs] = 1
	kind[key, lhs] = kind[key, r]
	n2 = rhs
	sub(/^[A-Za-z0-9_.]+ \+ /, "", n2)
	sub(/;$/, "", n2)
	if (kind[key, r] == "desc" && rhs ~ /^[A-Za-z0-9_.]+ \+ [A-Za-z0-9_.]+;$/ && off[key, r] != "" && (key, n2) in m16) {
		off[key, lhs] = (off[key, r] + m16[key, n2]) % 16
	} else if (rhs ~ / \+ [0-9]+;$/ && off[key, r] != "") {
		c = rhs
		sub(/.* \+ /, "", c)
		sub(/;$/, "", c)
		off[key, lhs] = off[key, r] + c
	} else if (rhs ~ /^\([^)]*\) [A-Za-z0-9_.]+;$/ || rhs ~ /^[A-Za-z0-9_.]+;$/) {
		off[key, lhs] = off[key, r]
	} else {
		off[key, lhs] = ""
	}
	next
}
pass == 1 { next }
/__atomic_store_[0-9]+ \(/ {
	s = $0
	sub(/.*__atomic_store_/, "", s)
	size = s
	sub(/ .*/, "", size)
	sub(/^[0-9]+ \(/, "", s)
	n = split(s, a, /, /)
	addr = a[1]
	sub(/\(D\)$/, "", addr)
	order = a[3]
	sub(/\).*/, "", order)
	if (!((key, addr) in used))
		next
	o = off[key, addr]
	k = kind[key, addr]
	printf "%s %s: %s-byte atomic store at %s+%s, order %s\n", file, fn, size, k, o == "" ? "?" : (k == "desc" ? o % 16 : o), order
	stores++
	if (k == "desc") {
		if (o == "") {
			if (size == 2) {
				printf "FAIL: %s %s: 2-byte store into a packed descriptor, field unknown\n", file, fn
				bad++
			}
		} else if (o % 16 <= 14 && o % 16 + size > 14) {
			if (size == 2 && o % 16 == 14 && (order == 3 || order == 5))
				flags_release++
			else {
				printf "FAIL: %s %s stores the flags of a packed descriptor with order %s, size %s, not a 2-byte release\n", file, fn, order, size
				bad++
			}
		}
		next
	}
	if (k == "event")
		next
	if (o == 2 && size == 2) {
		if (order == 3 || order == 5)
			idx_release++
		else {
			printf "FAIL: %s %s stores used.idx with order %s, not release\n", file, fn, order
			bad++
		}
	}
	next
}
# A plain store through the used ring: *p = v or MEM[(T *)p + N] = v.
/^  (\*|MEM)[^=]* = / {
	lhs = $0
	sub(/ = .*/, "", lhs)
	if (ring(lhs) != "") {
		printf "FAIL: %s %s: plain store into the used ring: %s\n", file, fn, $0
		bad++
	}
	next
}
/__builtin_mem(cpy|move|set) \(|[^_]mem(cpy|move|set) \(/ {
	s = $0
	sub(/.*mem(cpy|move|set) \(/, "", s)
	sub(/,.*/, "", s)
	if (ring(s) != "") {
		printf "FAIL: %s %s: plain copy into the used ring: %s\n", file, fn, $0
		bad++
	}
}
END {
	if (!stores) {
		print "FAIL: no atomic store into a used ring found: the check no longer sees the ring (was vq_split.used renamed?)"
		exit 1
	}
	if (!idx_release) {
		print "FAIL: no release store of used.idx found"
		exit 1
	}
	if (!flags_release) {
		print "FAIL: no release store of the flags of a packed descriptor found (was vq_packed.desc renamed?)"
		exit 1
	}
	printf "%d ring stores, %d release stores of used.idx, %d of packed used flags, %d wrong\n", stores, idx_release, flags_release, bad + 0
	exit bad > 0
}' "$out/all.gimple" "$out/all.gimple"

#!/bin/sh
# Call circles between source files, read from their objects: file A calls
# file B when an undefined symbol of A's object is defined by B's (nm). A
# circle (A calls B ... calls A) means neither file can be understood,
# tested or moved without the other. Prints each circle with the names that
# tie it and exits 1, or prints the file count and exits 0.
#   tools/file-cycles.sh OBJDIR SOURCE.c...
# e.g. tools/file-cycles.sh build/obj vmm/*/*.c devices/*.c virtio/*.c
# reads build/obj/vmm/core/vcpu.o for vmm/core/vcpu.c and so on (the
# Makefile's layout): sources, not a find over OBJDIR, so that the object
# of a file since moved or removed cannot add an arrow.
set -u
if [ $# -lt 2 ] || [ ! -d "$1" ]; then
	echo "usage: $0 OBJDIR SOURCE.c... (OBJDIR: a build's object tree, e.g. build/obj)" >&2
	exit 2
fi
objdir=$1
shift
NM=${NM:-nm}
for src in "$@"; do
	if [ ! -f "$objdir/${src%.c}.o" ]; then
		echo "file-cycles: no object $objdir/${src%.c}.o for $src (build it first)" >&2
		exit 2
	fi
done
for src in "$@"; do
	# One line per symbol: source file, kind (U or a defining letter), name.
	"$NM" -P "$objdir/${src%.c}.o" | awk -v f="$src" '{ print f, $2, $1 }'
done | awk -v nfiles="$#" '
$2 == "U" { nu++; ufile[nu] = $1; usym[nu] = $3; next }
$2 ~ /^[TDBRVWGSC]$/ { def[$3] = $1; node[$1] = 1; next }
{ node[$1] = 1 }
END {
	for (i = 1; i <= nu; i++) {
		a = ufile[i]; s = usym[i]
		node[a] = 1
		if (!(s in def) || def[s] == a)
			continue
		b = def[s]
		if (!((a, b) in edge)) { edge[a, b] = s } else if (index(" " edge[a, b] " ", " " s " ") == 0) { edge[a, b] = edge[a, b] " " s }
		reach[a, b] = 1
	}
	m = 0
	for (v in node)
		names[++m] = v
	# Transitive closure (Floyd-Warshall): a few dozen files.
	for (k = 1; k <= m; k++)
		for (i = 1; i <= m; i++)
			if ((names[i], names[k]) in reach)
				for (j = 1; j <= m; j++)
					if ((names[k], names[j]) in reach)
						reach[names[i], names[j]] = 1
	circles = 0
	for (i = 1; i <= m; i++) {
		a = names[i]
		if (a in done || !((a, a) in reach))
			continue
		# a is on a circle: its component is every file it reaches that reaches it.
		circles++
		comp = ""
		for (j = 1; j <= m; j++) {
			b = names[j]
			if (b == a || ((a, b) in reach && (b, a) in reach)) {
				done[b] = 1
				comp = comp " " b
				member[circles, b] = 1
			}
		}
		printf "circle %d:%s\n", circles, comp
		for (j = 1; j <= m; j++)
			for (k = 1; k <= m; k++)
				if (member[circles, names[j]] && member[circles, names[k]] && (names[j], names[k]) in edge)
					printf "  %s -> %s: %s\n", names[j], names[k], edge[names[j], names[k]]
	}
	if (circles) {
		printf "file-cycles: %d circle(s) among %d files\n", circles, nfiles
		exit 1
	}
	printf "file-cycles: no circles among %d files\n", nfiles
}'

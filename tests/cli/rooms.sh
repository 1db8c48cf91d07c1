#!/bin/sh
# The rooms of vmm/ (docs/design.md, Layers), held as the cross tier holds
# the arch boundary:
#   - the VM core (vmm/core/) and the API (vmm/api/) include no frontend
#     header (vmm/cli/, vmm/control/);
#   - the control socket (vmm/control/) includes of the library only the
#     API's headers (vmm/api/), never the core's;
#   - the CLI (vmm/cli/) includes of the library only the public header
#     vmm/api/minivmm.h; one exception, named here: its option parsers
#     (cli_opts.c) take back a half-added disk or card through the config
#     object (vmm/api/config.h), which the public API cannot yet do;
#   - the installed header (vmm/api/minivmm.h) includes no project header;
#   - no function of the CLI is in libminivmm.so or libminivmm.a (nm);
#   - no call circle between the files of vmm/, devices/, virtio/ and arch/
#     (tools/file-cycles.sh over the objects of make all).
# Only "..." includes count: <...> are the system's.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/lib.sh"
build=${MINIVMM_BUILD:-$root/build}
status=0

# allowed FILE INCLUDE: 0 when FILE (vmm/<room>/x.c) may include INCLUDE.
allowed() {
	case $1 in
	vmm/core/* | vmm/api/*)
		case $2 in vmm/cli/* | vmm/control/*) return 1 ;; esac
		[ "$1" = vmm/api/minivmm.h ] && return 1
		return 0
		;;
	vmm/control/*)
		case $2 in vmm/api/* | vmm/control/* | common/*) return 0 ;; esac
		return 1
		;;
	vmm/cli/*)
		case $1:$2 in
		*:vmm/api/minivmm.h | *:vmm/cli/* | *:common/*) return 0 ;;
		vmm/cli/cli_opts.c:vmm/api/config.h) return 0 ;;
		esac
		return 1
		;;
	esac
	return 1
}

why() {
	case $1 in
	vmm/api/minivmm.h) echo "the installed header includes no project header" ;;
	vmm/core/* | vmm/api/*) echo "the core and the API include no frontend (vmm/cli/, vmm/control/)" ;;
	vmm/control/*) echo "the control socket includes only the API's headers (vmm/api/), common/ and its own" ;;
	vmm/cli/*) echo "the CLI includes only the public header vmm/api/minivmm.h, common/ and its own" ;;
	*) echo "vmm/ has only the rooms core/, api/, control/ and cli/" ;;
	esac
}

bad=
n=0
for f in $(cd "$root" && ls vmm/*.[ch] vmm/*/*.[ch] 2>/dev/null); do
	n=$((n + 1))
	hits=$(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$root/$f")
	case $f in vmm/*/*) ;; *) hits="${hits:-(none)}" ;; esac # a file outside the rooms
	for inc in $hits; do
		if ! allowed "$f" "$inc"; then
			line=$(grep -n "include[[:space:]]*\"$inc\"" "$root/$f" | head -n 1 | cut -d: -f1)
			echo "  | $f:${line:-?} includes \"$inc\": $(why "$f")"
			bad="$bad $f"
		fi
	done
done
if [ -z "$bad" ]; then
	record PASS cli/rooms-includes "$n files of vmm/"
else
	record FAIL cli/rooms-includes "forbidden includes in:$bad"
	status=1
fi

# The CLI's own functions and tables, by the names its objects define.
set -- "$root"/vmm/cli/*.c
clisyms=
missing=
for c in "$@"; do
	o=$build/obj/vmm/cli/$(basename "${c%.c}").o
	if [ ! -f "$o" ]; then
		missing="$missing $o"
		continue
	fi
	clisyms="$clisyms $(nm -P --defined-only "$o" | awk '$2 ~ /^[TDRB]$/ { print $1 }')"
done
so=$build/libminivmm.so
ar=$build/libminivmm.a
if [ -n "$missing" ] || [ ! -f "$so" ] || [ ! -f "$ar" ]; then
	record FAIL cli/rooms-cli-not-in-lib "not built (make all):$missing $( [ -f "$so" ] || echo "$so") $( [ -f "$ar" ] || echo "$ar")"
	status=1
else
	inlib=
	for s in $clisyms; do
		if nm "$so" "$ar" 2>/dev/null | awk -v s="$s" '$NF == s { f = 1 } END { exit !f }'; then
			inlib="$inlib $s"
		fi
	done
	if [ -z "$inlib" ] && [ -n "$clisyms" ]; then
		record PASS cli/rooms-cli-not-in-lib "$(echo $clisyms | wc -w) names of vmm/cli/ in neither library"
	else
		record FAIL cli/rooms-cli-not-in-lib "the CLI's${inlib:- (no names found)} in libminivmm"
		status=1
	fi
fi

# Call circles between files: the library's sources and the CLI's.
srcs=$(cd "$root" && ls vmm/*/*.c devices/*.c virtio/*.c arch/x86_64/*.c)
if out=$(cd "$root" && tools/file-cycles.sh "$build/obj" $srcs 2>&1); then
	record PASS cli/rooms-no-circles "$(echo "$out" | tail -n 1)"
else
	echo "$out" | sed 's/^/  | /'
	record FAIL cli/rooms-no-circles "$(echo "$out" | tail -n 1)"
	status=1
fi
exit $status

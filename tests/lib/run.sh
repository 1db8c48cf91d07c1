#!/bin/sh
# Packaging for embedders: make install into a staging directory, then build
# tests/lib/embed.c against what was installed, through pkg-config, as C and
# as C++, with the shared and with the static library; the libraries export
# only the API; man 3 minivmm names all of it, and the README sends readers
# there and to the header rather than keeping a copy; examples/ are
# built and run against the staged install (directly on any /dev/kvm, one
# level down in the boot harness's middle layer without one: the cases in
# tests/lib/cases.sh); make uninstall removes every file install put there.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/lib.sh"
run_dir
work=$MINIVMM_RUN_DIR/lib
rm -rf "$work"
mkdir -p "$work"
status=0
CC=${CC:-cc}
CXX=${CXX:-g++}

fail() {
	record FAIL "lib/$1" "$2"
	status=1
}

# The public functions: those vmm/api/minivmm.h declares.
sed -n 's/^[a-z].*[ *]\(minivmm_[a-z_]*\)(.*/\1/p' "$root/vmm/api/minivmm.h" | sort >"$work/api"
version=$(awk '$2 ~ /^MINIVMM_VERSION_(MAJOR|MINOR|PATCH)$/ { v = v s $3; s = "." } END { print v }' \
	"$root/vmm/api/minivmm.h")
major=${version%%.*}

stage=$work/stage
if ! make -s -C "$root" install DESTDIR="$stage" PREFIX=/usr >"$work/install.log" 2>&1; then
	fail install "$(tail -n 5 "$work/install.log")"
	exit 1
fi
lib=$stage/usr/lib
missing=
for f in bin/minivmm bin/minivmm-ctl include/minivmm.h lib/libminivmm.a \
	lib/libminivmm.so.$version lib/pkgconfig/minivmm.pc share/man/man1/minivmm.1 \
	share/man/man3/minivmm.3; do
	[ -f "$stage/usr/$f" ] || missing="$missing $f"
done
[ "$(readlink "$lib/libminivmm.so.$major")" = "libminivmm.so.$version" ] ||
	missing="$missing libminivmm.so.$major->libminivmm.so.$version"
[ "$(readlink "$lib/libminivmm.so")" = "libminivmm.so.$major" ] ||
	missing="$missing libminivmm.so->libminivmm.so.$major"
if [ -n "$missing" ]; then
	fail install "missing under $stage/usr:$missing"
else
	record PASS lib/install
fi

soname=$(readelf -d "$lib/libminivmm.so.$version" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
if [ "$soname" = "libminivmm.so.$major" ]; then
	record PASS lib/soname "$soname"
else
	fail soname "'$soname', expected libminivmm.so.$major"
fi

# Exactly the API is exported, from the .so and from the .a.
nm -D --defined-only "$lib/libminivmm.so.$version" | awk '{ sub(/@.*/, "", $3); print $3 }' |
	sort >"$work/so-syms"
if [ -s "$work/api" ] && cmp -s "$work/api" "$work/so-syms"; then
	record PASS lib/so-exports "$(wc -l <"$work/api") minivmm_* functions"
else
	fail so-exports "exported vs declared in minivmm.h: $(diff "$work/so-syms" "$work/api" | grep '^[<>]' | head -n 8 | tr '\n' ' ')"
fi
nm -g --defined-only "$lib/libminivmm.a" | awk 'NF == 3 { print $3 }' | sort >"$work/a-syms"
if [ -s "$work/api" ] && cmp -s "$work/api" "$work/a-syms"; then
	record PASS lib/static-exports
else
	fail static-exports "global in libminivmm.a vs declared: $(diff "$work/a-syms" "$work/api" | grep '^[<>]' | head -n 8 | tr '\n' ' ')"
fi

# pkg-config, relocated to the staging directory.
# pc LIBDIR ARGS...
pc() {
	_d=$1
	shift
	PKG_CONFIG_PATH= PKG_CONFIG_LIBDIR=$_d/pkgconfig pkg-config --define-variable=prefix="$stage/usr" "$@"
}
pcfile=$lib/pkgconfig/minivmm.pc
pcv=$(pc "$lib" --modversion minivmm 2>&1)
if ! grep -qx 'prefix=/usr' "$pcfile" || ! grep -qx 'libdir=${exec_prefix}/lib' "$pcfile"; then
	fail pkg-config "minivmm.pc: $(grep dir= "$pcfile" | tr '\n' ' ')"
elif [ "$pcv" != "$version" ]; then
	fail pkg-config "modversion '$pcv', header says $version"
else
	record PASS lib/pkg-config "$pcv"
fi

missing_kernel=$work/no-such-kernel
# run NAME PROGRAM: runs an embedder; it must print the header's version.
run() {
	out=$(LD_LIBRARY_PATH=$lib "$2" "$missing_kernel" 2>&1)
	if [ "$out" = "$version" ]; then
		record PASS "lib/$1"
	else
		fail "$1" "$out"
	fi
}

# Shared: a strict C99 embedder, through pkg-config.
if $CC -std=c99 -pedantic -Wall -Wextra -Werror -o "$work/embed-so" "$root/tests/lib/embed.c" \
	$(pc "$lib" --cflags --libs minivmm) 2>"$work/cc.err"; then
	if readelf -d "$work/embed-so" | grep -q "NEEDED.*\[libminivmm.so.$major\]"; then
		run shared "$work/embed-so"
	else
		fail shared "embed-so does not load libminivmm.so.$major"
	fi
else
	fail shared "$(head -c 400 "$work/cc.err")"
fi

# C++: the header compiles alone, and its extern "C" lets a C++ program link.
printf '#include <minivmm.h>\n' >"$work/header.cc"
if ! $CXX -std=c++11 -pedantic -Wall -Wextra -Werror -fsyntax-only $(pc "$lib" --cflags minivmm) \
	"$work/header.cc" 2>"$work/cxx.err"; then
	fail cxx "$(head -c 400 "$work/cxx.err")"
elif ! $CXX -std=c++11 -Wall -Wextra -Werror -x c++ -o "$work/embed-cxx" "$root/tests/lib/embed.c" \
	-x none $(pc "$lib" --cflags --libs minivmm) 2>"$work/cxx.err"; then
	fail cxx "$(head -c 400 "$work/cxx.err")"
else
	run cxx "$work/embed-cxx"
fi

# Static: an embedder with its own tap_open and a global of every other name
# the library uses inside links, through pkg-config --static (Libs.private).
nm -g --defined-only "$root/build/libminivmm-internal.a" | awk 'NF == 3 { print $3 }' |
	grep -v -e '^minivmm_' -e '^tap_open$' | sort -u |
	awk '{ printf "char %s = 1;\n", $1 }' >"$work/names.c"
if ! nm -g --defined-only "$root/build/libminivmm-internal.a" | grep -q ' T tap_open$' ||
	[ "$(wc -l <"$work/names.c")" -lt 50 ]; then
	fail static-no-clash "the library's internal names changed: $(wc -l <"$work/names.c") besides tap_open; update this test"
elif $CC -static -DEMBEDDER_TAP_OPEN -o "$work/embed-static" "$root/tests/lib/embed.c" "$work/names.c" \
	$(pc "$lib" --static --cflags --libs minivmm) 2>"$work/cc.err"; then
	run static-no-clash "$work/embed-static"
else
	fail static-no-clash "$(grep -m 3 'multiple definition\|undefined reference\|error' "$work/cc.err")"
fi
# The control: against the archive with every symbol it does clash, so the
# test above would see a leak.
if $CC -DEMBEDDER_TAP_OPEN -o "$work/embed-clash" "$root/tests/lib/embed.c" -I"$stage/usr/include" \
	"$root/build/libminivmm-internal.a" -luring -lseccomp -lpthread 2>"$work/cc.err"; then
	fail static-clash-control "linked against libminivmm-internal.a despite two tap_open"
elif grep -q "multiple definition of .tap_open'" "$work/cc.err"; then
	record PASS lib/static-clash-control
else
	fail static-clash-control "$(head -c 400 "$work/cc.err")"
fi

# man 3 minivmm renders without a groff warning and names every function of
# the header. The README keeps no copy of the API (it drifted): it must point
# to the header and the man page instead.
man3=$stage/usr/share/man/man3/minivmm.3
if ! command -v groff >/dev/null 2>&1; then
	echo "SKIP lib/man3: groff is not installed, cannot check docs/minivmm.3"
elif groff -man -ww -z "$man3" >"$work/man3.err" 2>&1 && [ ! -s "$work/man3.err" ]; then
	record PASS lib/man3
else
	fail man3 "$(head -c 300 "$work/man3.err")"
fi
unnamed=
while read -r f; do
	grep -q "\<$f\>" "$man3" || unnamed="$unnamed man3:$f"
done <"$work/api"
for ref in vmm/api/minivmm.h docs/minivmm.3; do
	grep -qF "($ref)" "$root/README.md" || unnamed="$unnamed README-link:$ref"
done
if [ -z "$unnamed" ] && [ -s "$work/api" ]; then
	record PASS lib/docs-name-the-api "$(wc -l <"$work/api") functions in man 3; the README links it and the header"
else
	fail docs-name-the-api "not named:$unnamed"
fi

# The examples, as a third party builds them: the installed header and
# library through pkg-config, the installed minivmm and minivmm-ctl on
# PATH (cases in tests/lib/cases.sh). They boot the test guest: directly on
# any /dev/kvm here, one level down in the boot harness's middle layer
# without one.
tg=$root/build/testguest/testguest.elf
kind=$("$root/tests/host-kvm-kind.sh")
cases=
for c in $(sh -c ". '$root/tests/lib/cases.sh'; echo \$LIB_CASES"); do
	if [ ! -s "$tg" ]; then
		fail "$c" "no test guest at $tg (make all)"
	elif [ "$c" = example_embed ] && ! $CC -std=c99 -pedantic -Wall -Wextra -Werror \
		-o "$work/example-embed" "$root/examples/embed.c" $(pc "$lib" --cflags --libs minivmm) \
		2>"$work/cc.err"; then
		fail "$c" "$(head -c 400 "$work/cc.err")"
	else
		cases="$cases $c"
	fi
done
log=$work/examples.log
: >"$log"
if [ -n "$cases" ] && [ "$kind" != none ]; then
	echo "lib examples: host KVM: $kind; level: direct"
	(EXAMPLE_EMBED=$work/example-embed EXAMPLE_CTL=$root/examples/ctl.sh
	 STAGE_BIN=$stage/usr/bin STAGE_LIB=$lib TESTGUEST=$tg WORK=$work
	 export EXAMPLE_EMBED EXAMPLE_CTL STAGE_BIN STAGE_LIB TESTGUEST WORK
	 . "$root/tests/boot/cases.sh"
	 . "$root/tests/lib/cases.sh"
	 run_cases $cases) >"$log" 2>&1
elif [ -n "$cases" ]; then
	echo "lib examples: host KVM: none; level: nested (Linux with KVM under QEMU TCG)"
	guest=$MINIVMM_RUN_DIR/guest
	. "$root/tests/boot/layer.sh"
	# In the layer the install is where PREFIX=/usr put it: /usr/bin/minivmm,
	# /usr/bin/minivmm-ctl, /usr/lib/libminivmm.so*. The example (as
	# /bin/example-embed) and the installed programs come with every shared
	# library ldd lists for them (libc, liburing, libseccomp, json-c, the
	# loader); ldd runs with LD_LIBRARY_PATH at the staged lib dir so that it
	# resolves libminivmm.so.N and lists that library's dependencies too.
	# The copy of libminivmm.so.N that layer_stage_bin makes under the
	# staging dir's own path is dropped: the one in /usr/lib is the install's.
	# Shared, not a static build through pkg-config --static: the installed
	# minivmm and minivmm-ctl are dynamic, so the layer needs those libraries
	# anyway, and the example is then the very binary the direct level runs,
	# loading the installed libminivmm.so as an embedder's program does (the
	# static link is lib/static-no-clash's).
	x=$work/extra
	rm -rf "$x" "$work/extra-libs"
	mkdir -p "$x/guest" "$x/tests" "$x/bin" "$x/usr/bin" "$x/usr/lib"
	cp "$tg" "$x/guest/"
	cp "$root/examples/ctl.sh" "$x/tests/ctl.sh"
	cp "$stage/usr/bin/minivmm" "$stage/usr/bin/minivmm-ctl" "$x/usr/bin/"
	cp -P "$lib"/libminivmm.so* "$x/usr/lib/"
	[ -e "$work/example-embed" ] && cp "$work/example-embed" "$x/bin/example-embed"
	(LD_LIBRARY_PATH=$lib
	 export LD_LIBRARY_PATH
	 for b in "$x/bin/example-embed" "$x/usr/bin/minivmm" "$x/usr/bin/minivmm-ctl"; do
		[ -e "$b" ] && layer_stage_bin "$work/extra-libs" "$b"
	 done)
	rm -rf "$work/extra-libs$lib" "$work/extra-libs$x"
	cp -a "$work/extra-libs/." "$x/"
	{ cat "$root/tests/boot/cases.sh" "$root/tests/lib/cases.sh"
	  printf 'EXAMPLE_EMBED=/bin/example-embed EXAMPLE_CTL=/tests/ctl.sh\n'
	  printf 'STAGE_BIN=/usr/bin STAGE_LIB=/usr/lib TESTGUEST=/guest/testguest.elf\n'
	  printf 'export EXAMPLE_EMBED EXAMPLE_CTL STAGE_BIN STAGE_LIB TESTGUEST\n'; } >"$work/cases.sh"
	layer_cases lib "$work/cases.sh" "$x" 90 "$log" $cases || status=1
fi
tr -d '\r' <"$log" | grep -a '^MINIVMM-LIB: '
record_results lib "$log" $cases || status=1

# The installed CLI is the same version.
cli=$("$stage/usr/bin/minivmm" --version 2>&1)
if [ "$cli" = "minivmm $version" ]; then
	record PASS lib/cli-version
else
	fail cli-version "'$cli', expected 'minivmm $version'"
fi

# LIBDIR moves the libraries and the .pc, not the rest.
stage2=$work/stage-libdir
multi=/usr/lib/x86_64-linux-gnu
if ! make -s -C "$root" install DESTDIR="$stage2" PREFIX=/usr LIBDIR=$multi >"$work/install.log" 2>&1; then
	fail libdir "$(tail -n 5 "$work/install.log")"
elif [ -e "$stage2/usr/lib/libminivmm.a" ] || [ ! -f "$stage2$multi/libminivmm.a" ] ||
	[ ! -L "$stage2$multi/libminivmm.so" ] || [ ! -f "$stage2/usr/include/minivmm.h" ] ||
	[ "$(PKG_CONFIG_PATH= PKG_CONFIG_LIBDIR=$stage2$multi/pkgconfig pkg-config --variable=libdir minivmm)" != "$multi" ]; then
	fail libdir "$(cd "$stage2" && find . ! -type d | tr '\n' ' ')"
else
	record PASS lib/libdir
fi

# Uninstall leaves no file or link behind.
for s in "$stage:" "$stage2:$multi"; do
	d=${s%%:*} l=${s#*:}
	make -s -C "$root" uninstall DESTDIR="$d" PREFIX=/usr ${l:+LIBDIR=$l} >"$work/uninstall.log" 2>&1
	left=$(cd "$d" && find . ! -type d)
	if [ -n "$left" ]; then
		fail "uninstall${l:+-libdir}" "left: $(echo "$left" | tr '\n' ' ')"
	else
		record PASS "lib/uninstall${l:+-libdir}"
	fi
done
run_dir_done $status

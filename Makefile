# minivmm top-level Makefile. Module sources are found by directory, so a new
# file in virtio/, devices/, arch/$(ARCH)/ or a room of vmm/ (core/, api/,
# control/ for the library, cli/ for the minivmm program) needs no edit here.
#   make            build minivmm, libminivmm.so.$(VERSION) and libminivmm.a
#   make deps       install the Debian packages the project needs (as root)
#   make deps-demo  only those make demo needs (scripts/deps.sh --list demo)
#   make aarch64    cross-build a static arm64 minivmm into build-aarch64/ (same as
#                   make ARCH=aarch64 after make deps-aarch64, which adds dpkg's
#                   arm64 architecture and the arm64 libraries: only then)
#   make check      every test: unit, ASan/UBSan unit, TSan threaded tests, fuzz
#                   smoke, CLI, library, aarch64 cross-compile of the arch
#                   boundary, VM tests, and the arm64 minivmm booting arm64
#                   Linux one level down (so it also runs make deps-aarch64)
#   make check-stress  make check's suite CHECK_STRESS_N times (5) beside two
#                   CPU hogs, then as often quiet; flakes by name (not in check)
#   make unit       Check unit tests only        make asan   same under ASan/UBSan
#   make tsan       the threaded tests under ThreadSanitizer (tests/tsan/run.sh)
#   make fuzz       libFuzzer targets (FUZZ_SECONDS each, default 60)
#   make fuzz-long  fuzzing campaign: every target in turn for FUZZ_EXECS runs
#                   (default 10000000) or FUZZ_MINUTES each; keeps and minimises
#                   build/fuzz-corpus/<target>/, prints execs, exec/s, cov/ft,
#                   corpus size and crash files, fails if any target crashed
#   make bench      benchmarks (not tests): tables and plots under build/bench
#   make check-long the long Linux boot cases (LONG_CASES in tests/boot/cases.sh)
#   make stress     kill trials: acknowledged writes survive SIGKILL (STRESS_TRIALS each)
#   make demo       build the guests and boot the demo guest (make deps-demo
#                   first, not make deps: no cross toolchain, no test tools)
#   make install    PREFIX=/usr/local LIBDIR=$(PREFIX)/lib DESTDIR= (also: make uninstall)
#
# Libraries: libminivmm.so (soname libminivmm.so.MAJOR) and a PIC libminivmm.a
# for embedders, both with only the minivmm_* API of vmm/api/minivmm.h global
# (vmm/api/libminivmm.map; the .a is one object with the rest localized), and
# build/minivmm.pc for pkg-config. The CLI, unit tests and benches link
# build/libminivmm-internal.a, which keeps every symbol. The version comes
# from MINIVMM_VERSION_* in vmm/api/minivmm.h.

# The architecture linked in (arch/arch.h): x86_64 (the host) by default, or
# aarch64, cross-built with Debian's aarch64-linux-gnu-gcc into its own
# build directory: one static minivmm (the libraries, test guest and tests
# are the host's business; the arch-neutral unit tests run on the host).
ARCH    ?= x86_64
PREFIX  ?= /usr/local
LIBDIR  ?= $(PREFIX)/lib
ifeq ($(ARCH),aarch64)
CROSS   ?= aarch64-linux-gnu-
CC      := $(CROSS)gcc
OBJCOPY := $(CROSS)objcopy
LD      := $(CROSS)ld
BUILD   ?= build-aarch64
BIN_LDFLAGS := -static # one file to drop into an arm64 machine or initramfs
else
CC      ?= gcc
OBJCOPY ?= objcopy
BUILD   ?= build
endif
version_part = $(shell awk '$$2 == "MINIVMM_VERSION_$(1)" { print $$3 }' vmm/api/minivmm.h)
VERSION_MAJOR := $(call version_part,MAJOR)
VERSION := $(VERSION_MAJOR).$(call version_part,MINOR).$(call version_part,PATCH)

CSTD     := -std=c11 -D_GNU_SOURCE
WARN     := -Wall -Wextra -Werror
CFLAGS   ?= -O2 -g
ALL_CFLAGS = $(CSTD) $(WARN) $(CFLAGS) -I. -MMD -MP
LIBS     := -luring -lseccomp -ljson-c -lpthread
# libfdt: the aarch64 machine's device tree. Its arm64 build is unpacked
# into $(A64_LIBFDT) rather than installed (scripts/deps-aarch64.sh says why).
A64_LIBFDT := $(BUILD)/arm64-libfdt
ifeq ($(ARCH),aarch64)
LIBS     += -L$(A64_LIBFDT)/usr/lib/aarch64-linux-gnu -lfdt
endif
# libslirp (--net user, devices/net_backend_slirp.c) for the programs linked
# dynamically: Debian ships it only as a shared library, so the static ones
# go without (its calls are weak, and --net user says it is missing), and so
# does minivmm.pc's static link. Weak references alone do not make a library
# needed: --no-as-needed keeps it.
SLIRP_LINK := -Wl,--push-state,--no-as-needed -lslirp -Wl,--pop-state
SLIRP_LIBS := $(if $(and $(filter-out aarch64,$(ARCH)),$(wildcard /usr/include/slirp/libslirp.h)),$(SLIRP_LINK))
DYN_LIBS := $(LIBS) $(SLIRP_LIBS)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lrt -lm -pthread)

# The library: the VM core, the public API and the control socket. The CLI
# (vmm/cli/) is a program over the library, not part of it.
LIB_SRCS  := $(sort $(wildcard virtio/*.c devices/*.c arch/$(ARCH)/*.c vmm/core/*.c vmm/api/*.c vmm/control/*.c))
CLI_SRCS  := $(sort $(wildcard vmm/cli/*.c))
# The CLI's option parsers, for the unit tests and the fuzzer.
CLI_OPT_SRCS := $(filter-out vmm/cli/main.c,$(CLI_SRCS))
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_HELPERS := $(sort $(filter-out $(UNIT_SRCS),$(wildcard tests/unit/*.c))) $(CLI_OPT_SRCS)
# The aarch64 machine's pure parts (Image header and placement, device tree)
# are unit-tested and fuzzed on every host: linked in when the library lacks them.
A64_PURE_SRCS := arch/aarch64/fdt.c arch/aarch64/image.c arch/aarch64/load.c
ifneq ($(ARCH),aarch64)
UNIT_HELPERS += $(A64_PURE_SRCS)
endif
UNIT_LIBS := -lfdt
ifeq ($(ARCH),aarch64)
# The arm64 unit tests run under qemu-aarch64 user emulation (tests/cross/run.sh),
# static, with libfdt in LIBS. Not there: x86's loaders, and dev_thread's
# io_uring, which qemu-user does not emulate.
UNIT_LIBS :=
UNIT_SRCS := $(filter-out tests/unit/test_x86_boot.c tests/unit/test_dev_thread.c tests/unit/test_blk_short.c tests/unit/test_blk_engine.c tests/unit/test_virtio_rng.c tests/unit/test_net_backend.c tests/unit/test_net_slirp.c tests/unit/test_seccomp.c,$(UNIT_SRCS))
endif
# The unit tests whose programs start threads: dev_thread runs real device
# threads on io_uring and calls them from threads of its own; blk_engine and
# blk_short run the thread-pool engine's workers beside a device thread; net_backend
# hands frames to a device thread from the test's, net_slirp from libslirp's. (test_seccomp forks children that
# install filters; it starts no thread.)
TSAN_UNIT_SRCS := tests/unit/test_dev_thread.c tests/unit/test_blk_engine.c tests/unit/test_blk_short.c \
	tests/unit/test_net_backend.c tests/unit/test_net_slirp.c
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
BENCH_SRCS := $(sort $(wildcard tests/bench/bench_*.c))

# Five flavours of the same objects: normal, PIC for the embedders' libraries,
# ASan/UBSan, ThreadSanitizer, and clang for fuzzing.
OBJ      := $(BUILD)/obj
PIC_OBJ  := $(BUILD)/pic
ASAN_OBJ := $(BUILD)/asan
TSAN_OBJ := $(BUILD)/tsan
FUZZ_OBJ := $(BUILD)/fuzz
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# ThreadSanitizer (gcc's libtsan, which build-essential's gcc brings): only
# for the programs that run threads (TSAN_UNIT_SRCS and the lifecycle API
# test), since a single-threaded test can show it no race. -Wno-tsan: gcc
# warns that TSan does not model atomic_thread_fence; the one fence
# (gm_fence_full) orders our stores against the guest's loads, a CPU that
# TSan cannot see anyway, and host threads meet through atomics and locks.
TSAN_FLAGS := -fsanitize=thread -fno-omit-frame-pointer -Wno-tsan

# The freestanding test guest (guests/testguest): no libc, no SSE (its
# entry state leaves CR4.OSFXSR clear), linked at 1 MiB.
TG_SRCS   := $(sort $(wildcard guests/testguest/*.c guests/testguest/*.S))
TG_OBJS   := $(patsubst guests/testguest/%,$(BUILD)/testguest/%.o,$(TG_SRCS))
TG_ELF    := $(BUILD)/testguest/testguest.elf
TG_CFLAGS := -std=gnu11 -ffreestanding -fno-pic -fno-pie -mno-red-zone -mgeneral-regs-only \
	-fno-stack-protector -fno-asynchronous-unwind-tables -fno-builtin -O2 -I. $(WARN) \
	-Wa,--noexecstack

INTERNAL_LIB := $(BUILD)/libminivmm-internal.a
LIB       := $(BUILD)/libminivmm.a
SONAME    := libminivmm.so.$(VERSION_MAJOR)
SO        := $(BUILD)/libminivmm.so.$(VERSION)
LIB_MAP   := vmm/api/libminivmm.map
PC        := $(BUILD)/minivmm.pc
ASAN_LIB  := $(BUILD)/libminivmm-asan.a
TSAN_LIB  := $(BUILD)/libminivmm-tsan.a
BIN       := $(BUILD)/minivmm
CTL       := $(BUILD)/minivmm-ctl
STATIC_BIN := $(BUILD)/minivmm-static
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/unit/%)
ASAN_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/unit-asan/%)
TSAN_BINS := $(TSAN_UNIT_SRCS:tests/unit/%.c=$(BUILD)/unit-tsan/%)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzzers/%)
BENCH_BINS := $(BENCH_SRCS:tests/bench/%.c=$(BUILD)/bench-bin/%)
# The lifecycle API tests (tests/api/run.sh): an embedder of the shared library.
API_TEST := $(BUILD)/api/api_test
API_TEST_STATIC := $(BUILD)/api/api_test-static
# The same under ThreadSanitizer, linked with the library's TSan objects:
# the tsan tier runs some of its cases (tests/tsan/run.sh).
API_TEST_TSAN := $(BUILD)/api/api_test-tsan
# The test guest's virtio-net peer on the host side of a TAP: the guest
# tier's network cases use it as well as the benchmark, so make builds it.
NET_PEER  := $(BUILD)/bench-bin/bench_net

.PHONY: all aarch64 unit-bins deps deps-demo deps-aarch64 check check-stress check-long stress unit asan tsan tsan-bins fuzz fuzz-long fuzz-build bench demo vmtests install uninstall clean format lint FORCE
ifeq ($(ARCH),aarch64)
all: $(BIN)
else
all: $(BIN) $(CTL) $(LIB) $(SO) $(PC) $(STATIC_BIN) $(TG_ELF) $(API_TEST) $(API_TEST_STATIC) $(NET_PEER)
endif

$(BUILD)/testguest/%.o: guests/testguest/%
	@mkdir -p $(dir $@)
	$(CC) $(TG_CFLAGS) -MMD -MP -c $< -o $@

$(TG_ELF): $(TG_OBJS) guests/testguest/testguest.ld
	ld -nostdlib -static -no-pie --build-id=none --no-warn-rwx-segments \
		-T guests/testguest/testguest.ld -o $@ $(TG_OBJS)

deps:
	@scripts/deps.sh check

deps-demo:
	@scripts/deps.sh demo

deps-aarch64:
	@scripts/deps-aarch64.sh build-aarch64/arm64-libfdt

aarch64: deps-aarch64
	@$(MAKE) --no-print-directory ARCH=aarch64 BUILD=build-aarch64 all

$(OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(ASAN_OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -O1 $(SAN_FLAGS) -c $< -o $@

$(TSAN_OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -O1 $(TSAN_FLAGS) -c $< -o $@

$(PIC_OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -fno-semantic-interposition -c $< -o $@

$(INTERNAL_LIB): $(LIB_SRCS:%.c=$(OBJ)/%.o)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# The embedders' static library is one relocatable object in which only
# minivmm_* stays global, so its internal names (tap_open, ...) cannot clash
# with an embedder's own.
$(LIB): $(LIB_SRCS:%.c=$(PIC_OBJ)/%.o)
	$(LD) -r -o $(PIC_OBJ)/libminivmm.o $^
	$(OBJCOPY) --wildcard --keep-global-symbol='minivmm_*' $(PIC_OBJ)/libminivmm.o
	rm -f $@ && ar rcs $@ $(PIC_OBJ)/libminivmm.o

$(SO): $(LIB_SRCS:%.c=$(PIC_OBJ)/%.o) $(LIB_MAP)
	$(CC) $(CFLAGS) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=$(LIB_MAP) -Wl,-z,defs \
		-o $@ $(filter %.o,$^) $(DYN_LIBS)
	ln -sf $(notdir $@) $(BUILD)/$(SONAME)
	ln -sf $(SONAME) $(BUILD)/libminivmm.so

# Rewritten only when PREFIX, LIBDIR or the version changed.
$(PC): FORCE
	@mkdir -p $(dir $@)
	@printf '%s\n' 'prefix=$(PREFIX)' 'exec_prefix=$${prefix}' \
		'libdir=$(patsubst $(PREFIX)/%,$${exec_prefix}/%,$(LIBDIR))' \
		'includedir=$${prefix}/include' '' 'Name: minivmm' \
		'Description: minimal KVM virtual machine monitor (embedding API)' \
		'Version: $(VERSION)' 'Cflags: -I$${includedir}' 'Libs: -L$${libdir} -lminivmm' \
		'Libs.private: $(LIBS)' >$@.tmp
	@if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi

$(ASAN_LIB): $(LIB_SRCS:%.c=$(ASAN_OBJ)/%.o)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(TSAN_LIB): $(LIB_SRCS:%.c=$(TSAN_OBJ)/%.o)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# The CLI links the internal archive statically: its option parsers
# (vmm/cli/cli_opts.c) take back a half-added disk with the config's
# internals, and it needs no installed library to run.
CLI_OBJS := $(CLI_SRCS:%.c=$(OBJ)/%.o)
$(BIN): $(CLI_OBJS) $(INTERNAL_LIB)
	$(CC) $(CFLAGS) $(BIN_LDFLAGS) -o $@ $^ $(DYN_LIBS)

# The control socket's client: json-c only, no part of the library.
$(CTL): tools/minivmm-ctl.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< -ljson-c

# Built as a third party would: the public header alone, the shared library.
$(API_TEST): tests/api/api_test.c tests/api/api_socket_case.c tests/api/api_test.h vmm/api/minivmm.h $(SO)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ivmm/api -o $@ $(filter %.c,$^) -L$(BUILD) -lminivmm -ljson-c -Wl,-rpath,$(abspath $(BUILD))
# The same, static against the public archive, for the api tier one level
# down (the middle layer has no shared libraries).
$(API_TEST_STATIC): tests/api/api_test.c tests/api/api_socket_case.c tests/api/api_test.h vmm/api/minivmm.h $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ivmm/api -static -o $@ $(filter %.c,$^) $(LIB) $(LIBS)
$(API_TEST_TSAN): tests/api/api_test.c tests/api/api_socket_case.c tests/api/api_test.h vmm/api/minivmm.h $(TSAN_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -O1 $(TSAN_FLAGS) -Ivmm/api -o $@ $(filter %.c,$^) $(TSAN_LIB) $(DYN_LIBS)
# The boot harness puts this one into the middle layer's initramfs.
$(STATIC_BIN): $(CLI_OBJS) $(INTERNAL_LIB)
	$(CC) $(CFLAGS) -static -o $@ $^ $(LIBS)

$(BUILD)/unit/%: $(OBJ)/tests/unit/%.o $(UNIT_HELPERS:%.c=$(OBJ)/%.o) $(INTERNAL_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(BIN_LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(UNIT_LIBS) $(DYN_LIBS)

$(BUILD)/unit-asan/%: $(ASAN_OBJ)/tests/unit/%.o $(UNIT_HELPERS:%.c=$(ASAN_OBJ)/%.o) $(ASAN_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(CHECK_LIBS) $(UNIT_LIBS) $(DYN_LIBS)

$(BUILD)/unit-tsan/%: $(TSAN_OBJ)/tests/unit/%.o $(UNIT_HELPERS:%.c=$(TSAN_OBJ)/%.o) $(TSAN_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(TSAN_FLAGS) -o $@ $^ $(CHECK_LIBS) $(UNIT_LIBS) $(DYN_LIBS)

# The pure parts of the library the fuzzers drive (no KVM, no threads), and
# the aarch64 machine's (Image and initrd placement, device tree; libfdt).
FUZZ_LIB_SRCS := virtio/%.c devices/iov.c devices/net_hdr.c devices/net_rx.c arch/x86_64/bzimage.c arch/x86_64/elf_loader.c \
	devices/blk_req.c arch/x86_64/cmdline.c arch/x86_64/boot.c arch/x86_64/e820.c arch/x86_64/mptable.c \
	vmm/api/config.c
# Compiled once for all the fuzzers (fuzzer-no-link: coverage, no main), not
# once per fuzzer: eight targets made that the longest part of the build.
FUZZ_CFLAGS := $(CSTD) $(WARN) -g -O1 -I. -fsanitize=fuzzer-no-link,address,undefined
FUZZ_LIB_OBJS := $(patsubst %.c,$(FUZZ_OBJ)/%.o,$(sort $(filter $(FUZZ_LIB_SRCS),$(LIB_SRCS)) $(A64_PURE_SRCS) $(CLI_OPT_SRCS)))
$(FUZZ_OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/fuzzers/%: tests/fuzz/%.c $(FUZZ_LIB_OBJS)
	@mkdir -p $(dir $@)
	@mkdir -p $(FUZZ_OBJ)/tests/fuzz
	clang $(CSTD) $(WARN) -g -O1 -I. -fsanitize=fuzzer,address,undefined \
		-MMD -MP -MF $(FUZZ_OBJ)/tests/fuzz/$*.d -o $@ $< $(FUZZ_LIB_OBJS) -lfdt

$(BUILD)/bench-bin/%: $(OBJ)/tests/bench/%.o $(INTERNAL_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(DYN_LIBS) -lm

unit-bins: $(UNIT_BINS)

unit: $(UNIT_BINS)
	@tests/run-unit.sh $(BUILD)/unit $(UNIT_BINS)

asan: $(ASAN_BINS)
	@tests/run-unit.sh $(BUILD)/unit-asan $(ASAN_BINS)

# The tsan tier's programs: the threaded unit tests, the API test and its guest.
tsan-bins: $(TSAN_BINS) $(API_TEST_TSAN) $(TG_ELF)

tsan: tsan-bins
	@tests/tsan/run.sh

fuzz-build: $(FUZZ_BINS)

FUZZ_SECONDS ?= 60
fuzz: $(FUZZ_BINS)
	@tests/run-fuzz.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

# Seeds: tests/fuzz/corpus/<target>/ if present. FUZZ_TIMEOUT: seconds per
# input before it counts as a hang (30); FUZZ_FLAGS: more libFuzzer flags.
FUZZ_EXECS ?= 10000000
fuzz-long: $(FUZZ_BINS)
	@FUZZ_EXECS=$(FUZZ_EXECS) FUZZ_MINUTES=$(FUZZ_MINUTES) tests/run-fuzz-long.sh $(FUZZ_BINS)

vmtests: $(BIN) $(STATIC_BIN)
	@tests/boot/run.sh

# One command for every test; prints "N passed, N failed" and fails on any failure.
# The build before a run uses every CPU (JOBS): a fresh clone's check
# builds four flavours of every object first (and the TSan objects the
# threaded tests need).
JOBS ?= $(shell nproc)
# The arm64 tier boots the cross-built minivmm (make aarch64) one level down.
check: deps deps-aarch64
	@$(MAKE) --no-print-directory -j$(JOBS) all $(UNIT_BINS) $(ASAN_BINS) tsan-bins $(FUZZ_BINS)
	@$(MAKE) --no-print-directory -j$(JOBS) ARCH=aarch64 BUILD=build-aarch64 all unit-bins
	@tests/run-all.sh

# Not part of check: about an hour with the defaults (tests/stress.sh).
check-stress: deps deps-aarch64
	@$(MAKE) --no-print-directory -j$(JOBS) all $(UNIT_BINS) $(ASAN_BINS) tsan-bins $(FUZZ_BINS)
	@$(MAKE) --no-print-directory -j$(JOBS) ARCH=aarch64 BUILD=build-aarch64 all unit-bins
	@tests/stress.sh

check-long: deps
	@$(MAKE) --no-print-directory all
	@BOOT_CASES="$$(sh -c '. tests/boot/cases.sh; echo $$LONG_CASES')" tests/boot/run.sh

# Not part of check: STRESS_TRIALS kills of minivmm for each of the page-cache
# and ,direct images, each with and without --in-order (tests/boot/cases.sh).
STRESS_TRIALS ?= 50
stress: deps
	@$(MAKE) --no-print-directory all
	@DURABLE_TRIALS=$(STRESS_TRIALS) \
		BOOT_CASES="$$(sh -c '. tests/boot/cases.sh; echo $$STRESS_CASES')" tests/boot/run.sh

# Like check, it installs and builds everything its scripts run: the test
# guest and the arm64 minivmm as well as the benchmark programs.
bench: deps
	@$(MAKE) --no-print-directory -j$(JOBS) all $(BENCH_BINS)
	@$(MAKE) --no-print-directory -j$(JOBS) aarch64
	@for b in $(sort $(wildcard tests/bench/*.sh)); do $$b || exit 1; done

demo: deps-demo
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh

install: $(BIN) $(CTL) $(LIB) $(SO) $(PC)
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/minivmm
	install -D -m 0755 $(CTL) $(DESTDIR)$(PREFIX)/bin/minivmm-ctl
	install -D -m 0644 vmm/api/minivmm.h $(DESTDIR)$(PREFIX)/include/minivmm.h
	install -D -m 0644 $(LIB) $(DESTDIR)$(LIBDIR)/libminivmm.a
	install -D -m 0755 $(SO) $(DESTDIR)$(LIBDIR)/$(notdir $(SO))
	ln -sf $(notdir $(SO)) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libminivmm.so
	install -D -m 0644 $(PC) $(DESTDIR)$(LIBDIR)/pkgconfig/minivmm.pc
	install -D -m 0644 docs/minivmm.1 $(DESTDIR)$(PREFIX)/share/man/man1/minivmm.1
	install -D -m 0644 docs/minivmm.3 $(DESTDIR)$(PREFIX)/share/man/man3/minivmm.3

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/minivmm $(DESTDIR)$(PREFIX)/bin/minivmm-ctl \
		$(DESTDIR)$(PREFIX)/include/minivmm.h \
		$(DESTDIR)$(LIBDIR)/libminivmm.a $(DESTDIR)$(LIBDIR)/$(notdir $(SO)) \
		$(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/libminivmm.so \
		$(DESTDIR)$(LIBDIR)/pkgconfig/minivmm.pc \
		$(DESTDIR)$(PREFIX)/share/man/man1/minivmm.1 \
		$(DESTDIR)$(PREFIX)/share/man/man3/minivmm.3

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD)

# Objects built by pattern rules are kept (make would delete them as
# intermediates and lose what their dependency files say).
.SECONDARY:

# Files only, and not in a test run's scratch directories.
-include $(shell find $(BUILD) -path '$(BUILD)/run.*' -prune -o -name '*.d' -type f -print 2>/dev/null)

# minivmm top-level Makefile. Module sources are found by directory, so a new
# file in virtio/, devices/, arch/x86_64/ or vmm/ needs no edit here.
#   make            build minivmm and libminivmm.a
#   make deps       install the Debian packages the project needs (as root)
#   make check      every test: unit, ASan/UBSan unit, fuzz smoke, VM tests
#   make unit       Check unit tests only        make asan   same under ASan/UBSan
#   make fuzz       libFuzzer targets (FUZZ_SECONDS each, default 60)
#   make fuzz-long  fuzzing campaign: every target in turn for FUZZ_EXECS runs
#                   (default 10000000) or FUZZ_MINUTES each; keeps and minimises
#                   build/fuzz-corpus/<target>/, prints execs, exec/s, cov/ft,
#                   corpus size and crash files, fails if any target crashed
#   make bench      benchmarks (not tests): tables and plots under build/bench
#   make demo       build the guests and boot the demo guest
#   make install    PREFIX=/usr/local

PREFIX  ?= /usr/local
CC      ?= gcc
BUILD   ?= build
VERSION := 0.1.0

CSTD     := -std=c11 -D_GNU_SOURCE
WARN     := -Wall -Wextra -Werror
CFLAGS   ?= -O2 -g
ALL_CFLAGS = $(CSTD) $(WARN) $(CFLAGS) -I. -DMINIVMM_VERSION='"$(VERSION)"' -MMD -MP
LIBS     := -luring -lpthread
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lrt -lm -pthread)

LIB_SRCS  := $(sort $(wildcard virtio/*.c devices/*.c arch/x86_64/*.c) $(filter-out vmm/main.c,$(wildcard vmm/*.c)))
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_HELPERS := $(sort $(filter-out $(UNIT_SRCS),$(wildcard tests/unit/*.c)))
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
BENCH_SRCS := $(sort $(wildcard tests/bench/bench_*.c))

# Three flavours of the same objects: normal, ASan/UBSan, and clang for fuzzing.
OBJ      := $(BUILD)/obj
ASAN_OBJ := $(BUILD)/asan
FUZZ_OBJ := $(BUILD)/fuzz
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# The freestanding test guest (guests/testguest): no libc, no SSE (its
# entry state leaves CR4.OSFXSR clear), linked at 1 MiB.
TG_SRCS   := $(sort $(wildcard guests/testguest/*.c guests/testguest/*.S))
TG_OBJS   := $(patsubst guests/testguest/%,$(BUILD)/testguest/%.o,$(TG_SRCS))
TG_ELF    := $(BUILD)/testguest/testguest.elf
TG_CFLAGS := -std=gnu11 -ffreestanding -fno-pic -fno-pie -mno-red-zone -mgeneral-regs-only \
	-fno-stack-protector -fno-asynchronous-unwind-tables -fno-builtin -O2 -I. $(WARN) \
	-Wa,--noexecstack

LIB       := $(BUILD)/libminivmm.a
ASAN_LIB  := $(BUILD)/libminivmm-asan.a
BIN       := $(BUILD)/minivmm
STATIC_BIN := $(BUILD)/minivmm-static
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/unit/%)
ASAN_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/unit-asan/%)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzzers/%)
BENCH_BINS := $(BENCH_SRCS:tests/bench/%.c=$(BUILD)/bench-bin/%)

.PHONY: all deps check unit asan fuzz fuzz-long fuzz-build bench demo vmtests install clean format lint
all: $(BIN) $(LIB) $(STATIC_BIN) $(TG_ELF)

$(BUILD)/testguest/%.o: guests/testguest/%
	@mkdir -p $(dir $@)
	$(CC) $(TG_CFLAGS) -MMD -MP -c $< -o $@

$(TG_ELF): $(TG_OBJS) guests/testguest/testguest.ld
	ld -nostdlib -static -no-pie --build-id=none --no-warn-rwx-segments \
		-T guests/testguest/testguest.ld -o $@ $(TG_OBJS)

deps:
	@scripts/deps.sh

$(OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(ASAN_OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -O1 $(SAN_FLAGS) -c $< -o $@

$(LIB): $(LIB_SRCS:%.c=$(OBJ)/%.o)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(ASAN_LIB): $(LIB_SRCS:%.c=$(ASAN_OBJ)/%.o)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BIN): $(OBJ)/vmm/main.o $(LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

# The boot harness puts this one into the middle layer's initramfs.
$(STATIC_BIN): $(OBJ)/vmm/main.o $(LIB)
	$(CC) $(CFLAGS) -static -o $@ $^ $(LIBS)

$(BUILD)/unit/%: $(OBJ)/tests/unit/%.o $(UNIT_HELPERS:%.c=$(OBJ)/%.o) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(CHECK_LIBS) $(LIBS)

$(BUILD)/unit-asan/%: $(ASAN_OBJ)/tests/unit/%.o $(UNIT_HELPERS:%.c=$(ASAN_OBJ)/%.o) $(ASAN_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(CHECK_LIBS) $(LIBS)

$(BUILD)/fuzzers/%: tests/fuzz/%.c $(LIB_SRCS)
	@mkdir -p $(dir $@)
	clang $(CSTD) $(WARN) -g -O1 -I. -fsanitize=fuzzer,address,undefined -o $@ $< $(filter virtio/%.c devices/net_hdr.c devices/net_rx.c,$(LIB_SRCS))

$(BUILD)/bench-bin/%: $(OBJ)/tests/bench/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS) -lm

unit: $(UNIT_BINS)
	@tests/run-unit.sh $(BUILD)/unit $(UNIT_BINS)

asan: $(ASAN_BINS)
	@tests/run-unit.sh $(BUILD)/unit-asan $(ASAN_BINS)

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
check: deps
	@$(MAKE) --no-print-directory all $(UNIT_BINS) $(ASAN_BINS) $(FUZZ_BINS)
	@tests/run-all.sh

bench: $(BIN) $(STATIC_BIN) $(BENCH_BINS)
	@for b in $(sort $(wildcard tests/bench/*.sh)); do $$b || exit 1; done

demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh

install: $(BIN) $(LIB)
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/minivmm
	install -D -m 0644 $(LIB) $(DESTDIR)$(PREFIX)/lib/libminivmm.a
	install -D -m 0644 vmm/minivmm.h $(DESTDIR)$(PREFIX)/include/minivmm.h
	install -D -m 0644 docs/minivmm.1 $(DESTDIR)$(PREFIX)/share/man/man1/minivmm.1

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

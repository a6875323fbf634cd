# corevisor top-level build. `make run` (the main job) and `make test` (all
# tests) are the two commands; each area adds its targets in mk/<area>.mk
# and appends to TESTS (run by `make test`), so this file rarely changes.
#
# Layout: core/ (freestanding, arch-neutral) + crypto/ (libsodium glue)
# build once per target: build/hosted (x86_64 Linux process, debug, ASan +
# UBSan) and build/aarch64 (EL2 image, mk/aarch64.mk).

.DEFAULT_GOAL := all
SHELL := /bin/bash
BUILD ?= build
HB := $(BUILD)/hosted

CC ?= gcc
ifeq ($(origin CC),default)
CC := gcc
endif
PYTHON ?= python3

# --- Dependencies: every target that builds checks/installs packages once.
DEPS_STAMP := $(BUILD)/.deps-host
$(DEPS_STAMP): scripts/install-deps.sh
	@mkdir -p $(BUILD)
	@bash scripts/install-deps.sh host
	@touch $@
deps: $(DEPS_STAMP)

# --- The core, compiled as freestanding code: only compiler headers exist.
GCC_INC := $(shell $(CC) -print-file-name=include)
CORE_SRCS := $(sort $(wildcard core/*/*.c))
CORE_INC := -Iinclude -Icore/include
CORE_WARN := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow \
	-Wstrict-prototypes -Wmissing-prototypes -Wvla
CORE_FREESTANDING := -std=gnu11 -ffreestanding -nostdinc -isystem $(GCC_INC) \
	-fno-builtin -fno-common $(CORE_INC) $(CORE_WARN)

SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
HOSTED_DEBUG := -O1 -g -DCV_DEBUG -DCV_HOSTED $(SAN)

HOSTED_CORE_OBJS := $(patsubst %.c,$(HB)/%.o,$(CORE_SRCS))
$(HB)/core/%.o: core/%.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CORE_FREESTANDING) $(HOSTED_DEBUG) -MMD -MP -c $< -o $@

# --- Hosted machine, crypto glue and everything else that may use libc.
HOSTED_SRCS := $(sort $(wildcard arch/hosted/*.c crypto/*.c))
HOSTED_OBJS := $(patsubst %.c,$(HB)/%.o,$(HOSTED_SRCS))
HOSTED_CFLAGS := -std=gnu11 $(CORE_INC) -Iarch/hosted $(CORE_WARN) \
	-Wno-missing-prototypes $(HOSTED_DEBUG) -pthread
HOSTED_LIBS := -lsodium -pthread $(SAN)
$(HB)/arch/%.o $(HB)/crypto/%.o: CFLAGS_EXTRA :=
$(HB)/arch/%.o: arch/%.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(HOSTED_CFLAGS) -MMD -MP -c $< -o $@
$(HB)/crypto/%.o: crypto/%.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(HOSTED_CFLAGS) -MMD -MP -c $< -o $@

HOSTED_LIB := $(HB)/libcorevisor.a
$(HOSTED_LIB): $(HOSTED_CORE_OBJS) $(HOSTED_OBJS)
	@rm -f $@
	ar rcs $@ $^
hosted: $(HOSTED_LIB)

# --- Unit tests (Criterion): one file per module in tests/unit.
UNIT_SRCS := $(sort $(wildcard tests/unit/*.c tests/support/*.c))
UNIT_OBJS := $(patsubst %.c,$(HB)/%.o,$(UNIT_SRCS))
$(HB)/tests/%.o: tests/%.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(HOSTED_CFLAGS) -Itests/support -MMD -MP -c $< -o $@
UNIT_BIN := $(HB)/unit-tests
$(UNIT_BIN): $(UNIT_OBJS) $(HOSTED_LIB)
	$(CC) -o $@ $(UNIT_OBJS) $(HOSTED_LIB) -lcriterion $(HOSTED_LIBS)

test-unit: $(UNIT_BIN)
	ASAN_OPTIONS=detect_leaks=1 $(UNIT_BIN) --jobs 2 $(CRITERION_ARGS)
TESTS := test-unit

# --- core/ must build freestanding for both targets, with no libc headers.
FREESTANDING_CHECK := $(BUILD)/.freestanding-ok
$(FREESTANDING_CHECK): $(CORE_SRCS) $(wildcard core/include/cv/*.h include/corevisor/*.h) | $(DEPS_STAMP)
	@mkdir -p $(BUILD)/fs-x86_64 $(BUILD)/fs-aarch64
	@for f in $(CORE_SRCS); do \
	  $(CC) $(CORE_FREESTANDING) -O2 -nostdlib -c $$f -o $(BUILD)/fs-x86_64/$$(basename $$f .c).o || exit 1; \
	done
	@if command -v aarch64-linux-gnu-gcc >/dev/null; then \
	  AINC=$$(aarch64-linux-gnu-gcc -print-file-name=include); \
	  for f in $(CORE_SRCS); do \
	    aarch64-linux-gnu-gcc -std=gnu11 -ffreestanding -nostdinc -isystem $$AINC -fno-builtin \
	      -fno-common $(CORE_INC) $(CORE_WARN) -O2 -nostdlib -mgeneral-regs-only -mstrict-align \
	      -c $$f -o $(BUILD)/fs-aarch64/$$(basename $$f .c).o || exit 1; \
	  done; echo "core/ builds freestanding for x86_64 and aarch64"; \
	else echo "core/ builds freestanding for x86_64 (no aarch64 compiler yet)"; fi
	@touch $@
check-freestanding: $(FREESTANDING_CHECK)
TESTS += check-freestanding

-include mk/*.mk

all: hosted $(EXTRA_ALL)

test: $(TESTS)
	@echo "make test: all passed ($(TESTS))"

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD)

.PHONY: all deps hosted test test-unit check-freestanding format clean run
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

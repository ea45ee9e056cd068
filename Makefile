# SPDX-License-Identifier: GPL-2.0
#
# make            build every program (static: they must run in an initramfs)
# make run        the contract suite on the running kernel, KTAP on stdout
#                 (installs what is missing first, as root: scripts/setup)
# make check      the project's own tests, the suite here, and the
#                 differential gate in QEMU (6.1.192 must fail, 6.12 pass)
# make vmtest KERNEL=6.12|/path/to/linux|/path/to/bzImage
# make check-bisect  git bisect run scripts/bisect-run on a planted history
# make install INSTALL_PATH=DIR  kselftest's install layout (run_kselftest.sh)
# make check-upstream  the selftests/mm series: git am, build, checkpatch (6.12)
# make check-lava  the LAVA job under lava-run on 6.1.192 and 6.12.117 (installs
#                 lava-dispatcher), and the LAVA tooling's tests
# make check-detectors  the planted-bug gallery (tests/kernel-patches/) in QEMU
#
# KSRC=/path/to/linux takes the kselftest harness from that tree; without
# it the harness headers come from Debian's linux-source-6.12.  A harness
# that ignores argv (6.1's) is refused (scripts/get-harness).

CC ?= gcc
BUILD ?= build
STATIC ?= -static
KERNEL ?= 6.12

HARNESS_DIR := $(BUILD)/kselftest
# CFLAGS and LDFLAGS are the user's (make CFLAGS=-O0 keeps working); what
# the build needs is in the SUITE_ variables, which nothing replaces.
CFLAGS ?= -O2 -g
SUITE_CFLAGS := -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -Wno-clobbered \
	-pthread -Iselftests -I$(HARNESS_DIR) $(CFLAGS)
SUITE_LDFLAGS := $(STATIC) -pthread $(LDFLAGS)

LIB_SRCS := actors.c agents.c content.c khugepaged_ctl.c ledger.c oracle.c probe.c \
	    shmem_backing.c suite.c thp_knobs.c thp_settings.c uffd_util.c util.c
LIB_OBJS := $(addprefix $(BUILD)/obj/,$(LIB_SRCS:.c=.o))

TESTS := uffd_collapse_contract uffd_collapse_stress
# The stress's own modules (selftests/stress.h), linked into it alone.
STRESS_SRCS := stress_actors.c stress_report.c stress_round.c stress_widen.c
STRESS_OBJS := $(addprefix $(BUILD)/obj/,$(STRESS_SRCS:.c=.o))
UNIT_TESTS := oracle_test helpers_test
PROGS := $(addprefix $(BUILD)/,$(TESTS) $(UNIT_TESTS))

# The sequence fuzzer (fuzz/): liburing and libnuma, linked statically.
FUZZ_SRCS := fz_cover.c fz_exec.c fz_gen.c fz_minimize.c fz_model.c fz_ops.c \
	     fz_replay.c fz_repro.c fz_sys.c
FUZZ_OBJS := $(addprefix $(BUILD)/obj/fuzz/,$(FUZZ_SRCS:.c=.o)) $(BUILD)/obj/fuzz/repro_lib.o \
	     $(addprefix $(BUILD)/obj/,content.o khugepaged_ctl.o suite.o thp_knobs.o thp_settings.o util.o)
# What a reproducer carries: the modules a replay calls into and nothing
# else, in dependency order (the leaves compat and util first).
REPRO_LIB := selftests/compat.h selftests/util.h selftests/util.c \
	     selftests/content.h selftests/content.c \
	     selftests/thp_settings.h selftests/thp_settings.c selftests/thp_knobs.h \
	     selftests/thp_knobs.c selftests/suite.h selftests/suite.c \
	     selftests/khugepaged_ctl.h selftests/khugepaged_ctl.c fuzz/fz.h \
	     fuzz/fz_ops.c fuzz/fz_model.c fuzz/fz_sys.c fuzz/fz_exec.c fuzz/fz_replay.c
FUZZ_PROGS := $(BUILD)/uffd_collapse_fuzz $(BUILD)/fuzz_test
FUZZ_LIBS := -luring -lnuma

all: $(PROGS) $(FUZZ_PROGS) $(BUILD)/settings

$(BUILD)/obj/fuzz/repro_lib.c: fuzz/embed-lib $(REPRO_LIB) Makefile
	@mkdir -p $(dir $@)
	fuzz/embed-lib $@ $(REPRO_LIB)

$(BUILD)/obj/fuzz/%.o: fuzz/%.c fuzz/fz.h $(wildcard selftests/*.h) $(HARNESS_DIR)/kselftest_harness.h
	@mkdir -p $(dir $@)
	$(CC) $(SUITE_CFLAGS) -Ifuzz -DFZ_HAVE_LIBURING -c -o $@ $<

$(BUILD)/obj/fuzz/repro_lib.o: $(BUILD)/obj/fuzz/repro_lib.c
	$(CC) $(SUITE_CFLAGS) -c -o $@ $<

$(BUILD)/uffd_collapse_fuzz $(BUILD)/fuzz_test: $(BUILD)/%: $(BUILD)/obj/fuzz/%.o $(FUZZ_OBJS)
	$(CC) $(SUITE_CFLAGS) -o $@ $^ $(SUITE_LDFLAGS) $(FUZZ_LIBS)

$(HARNESS_DIR)/kselftest_harness.h: scripts/get-harness
	scripts/get-harness $(HARNESS_DIR)

$(BUILD)/obj/%.o: selftests/%.c $(wildcard selftests/*.h) $(HARNESS_DIR)/kselftest_harness.h
	@mkdir -p $(dir $@)
	$(CC) $(SUITE_CFLAGS) -c -o $@ $<

$(BUILD)/%: $(BUILD)/obj/%.o $(LIB_OBJS)
	$(CC) $(SUITE_CFLAGS) -o $@ $^ $(SUITE_LDFLAGS)

# helpers_test tests the stress's widening knobs too.
$(BUILD)/helpers_test: $(BUILD)/obj/helpers_test.o $(BUILD)/obj/stress_widen.o $(LIB_OBJS)
	$(CC) $(SUITE_CFLAGS) -o $@ $^ $(SUITE_LDFLAGS)

$(BUILD)/uffd_collapse_stress: $(BUILD)/obj/uffd_collapse_stress.o $(STRESS_OBJS) $(LIB_OBJS)
	$(CC) $(SUITE_CFLAGS) -o $@ $^ $(SUITE_LDFLAGS)

$(BUILD)/settings: selftests/settings
	cp $< $@

# Minimal reproducers of kernel findings (reproducers/*.c, described in
# docs/findings/): one self-contained C file each, built static into
# $(BUILD)/reproducers/ by plain make.
REPRO_PROGS := $(patsubst reproducers/%.c,$(BUILD)/reproducers/%,$(wildcard reproducers/*.c))
all: $(REPRO_PROGS)

$(BUILD)/reproducers/%: reproducers/%.c
	@mkdir -p $(dir $@)
	$(CC) $(SUITE_CFLAGS) -o $@ $< $(SUITE_LDFLAGS)

reproducers: $(REPRO_PROGS)

STRESS_FLAGS ?= --duration 1

# run and check install what is missing first (scripts/setup, as root):
# on a fresh machine each is the one command to type.
run:
	scripts/setup --if-needed
	$(MAKE) all
	cd $(BUILD) && ./uffd_collapse_contract && ./uffd_collapse_stress $(STRESS_FLAGS)

check:
	scripts/setup --if-needed
	$(MAKE) all
	scripts/check $(CHECK_FLAGS)

# The end-to-end bisect test: about 15 minutes, hence not in check.
check-bisect: all
	scripts/check-bisect

vmtest: all
	scripts/vmtest --kernel $(KERNEL) -- ./uffd_collapse_contract \
		"./uffd_collapse_stress $(STRESS_FLAGS)"

check-upstream:
	scripts/check-upstream

# kselftest's install layout: DIR/run_kselftest.sh runs the suite.
install: all
ifeq ($(INSTALL_PATH),)
	$(error set INSTALL_PATH to use install: make install INSTALL_PATH=DIR)
endif
	scripts/install-kselftest --build $(BUILD) $(INSTALL_PATH)

clean:
	rm -rf $(BUILD)

.PHONY: all run check check-bisect check-upstream vmtest install clean reproducers
.SECONDARY:

# LAVA's own dispatcher (lava-run) runs the suite's job on 6.1.192 and
# 6.12.117 in QEMU: a few minutes with the kernels cached.
check-lava:
	scripts/setup --if-needed
	$(MAKE) all
	scripts/check-lava

.PHONY: check-lava

# The candidate kernel fix (patches/*.patch on 6.12): the reproducers in
# QEMU must exit 1 unpatched and 0 patched.
check-fix: all
	scripts/check-fix

.PHONY: check-fix

# The planted-bug gallery (tests/kernel-patches/ on 6.12): each detector
# must flag its planted bug in QEMU, and 6.12.117 as shipped must be clean.
check-detectors: all
	scripts/check-detectors

.PHONY: check-detectors

# SPDX-License-Identifier: GPL-2.0
#
# make            build every program (static: they must run in an initramfs)
# make run        the contract suite on the running kernel, KTAP on stdout
# make check      the project's own tests, the suite here, and the
#                 differential gate in QEMU (6.1.192 must fail, 6.12 pass)
# make vmtest KERNEL=6.12|/path/to/linux|/path/to/bzImage
# make check-bisect  git bisect run scripts/bisect-run on a planted history
# make install INSTALL_PATH=DIR  kselftest's install layout (run_kselftest.sh)
# make check-upstream  the selftests/mm series: git am, build, checkpatch (6.12)
#
# KSRC=/path/to/linux takes the kselftest harness from that tree; without
# it the harness headers come from Debian's linux-source package.

CC ?= gcc
BUILD ?= build
STATIC ?= -static
KERNEL ?= 6.12

HARNESS_DIR := $(BUILD)/kselftest
CFLAGS ?= -O2 -g
CFLAGS += -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -Wno-clobbered -pthread \
	  -Iselftests -I$(HARNESS_DIR)
LDFLAGS += $(STATIC) -pthread

LIB_SRCS := actors.c content.c khugepaged_ctl.c ledger.c oracle.c probe.c \
	    shmem_backing.c thp_settings.c uffd_util.c
LIB_OBJS := $(addprefix $(BUILD)/obj/,$(LIB_SRCS:.c=.o))

TESTS := uffd_collapse_contract uffd_collapse_stress
UNIT_TESTS := oracle_test helpers_test
PROGS := $(addprefix $(BUILD)/,$(TESTS) $(UNIT_TESTS))

# The sequence fuzzer (fuzz/): liburing and libnuma, linked statically.
FUZZ_SRCS := fz_cover.c fz_exec.c fz_gen.c fz_minimize.c fz_model.c fz_ops.c \
	     fz_replay.c fz_repro.c fz_sys.c
FUZZ_OBJS := $(addprefix $(BUILD)/obj/fuzz/,$(FUZZ_SRCS:.c=.o)) $(BUILD)/obj/fuzz/repro_lib.o \
	     $(addprefix $(BUILD)/obj/,content.o khugepaged_ctl.o ledger.o probe.o \
			 thp_settings.o uffd_util.o)
# What a reproducer carries: everything a replay needs, in dependency order.
REPRO_LIB := selftests/ledger.h selftests/ledger.c selftests/content.h selftests/content.c \
	     selftests/probe.h selftests/probe.c selftests/uffd_util.h selftests/uffd_util.c \
	     selftests/thp_settings.h selftests/thp_settings.c \
	     selftests/khugepaged_ctl.h selftests/khugepaged_ctl.c fuzz/fz.h \
	     fuzz/fz_ops.c fuzz/fz_model.c fuzz/fz_sys.c fuzz/fz_exec.c fuzz/fz_replay.c
FUZZ_PROGS := $(BUILD)/uffd_collapse_fuzz $(BUILD)/fuzz_test
FUZZ_LIBS := -luring -lnuma

all: $(PROGS) $(FUZZ_PROGS) $(BUILD)/settings

$(BUILD)/obj/fuzz/repro_lib.c: fuzz/embed-lib $(REPRO_LIB)
	@mkdir -p $(dir $@)
	fuzz/embed-lib $@ $(REPRO_LIB)

$(BUILD)/obj/fuzz/%.o: fuzz/%.c fuzz/fz.h $(wildcard selftests/*.h) $(HARNESS_DIR)/kselftest_harness.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Ifuzz -DFZ_HAVE_LIBURING -c -o $@ $<

$(BUILD)/obj/fuzz/repro_lib.o: $(BUILD)/obj/fuzz/repro_lib.c
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/uffd_collapse_fuzz $(BUILD)/fuzz_test: $(BUILD)/%: $(BUILD)/obj/fuzz/%.o $(FUZZ_OBJS)
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(FUZZ_LIBS)

$(HARNESS_DIR)/kselftest_harness.h:
	scripts/get-harness $(HARNESS_DIR)

$(BUILD)/obj/%.o: selftests/%.c $(wildcard selftests/*.h) $(HARNESS_DIR)/kselftest_harness.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/%: $(BUILD)/obj/%.o $(LIB_OBJS)
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS)

$(BUILD)/settings: selftests/settings
	cp $< $@

STRESS_FLAGS ?= --duration 1

run: all
	cd $(BUILD) && ./uffd_collapse_contract && ./uffd_collapse_stress $(STRESS_FLAGS)

check: all
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

.PHONY: all run check check-bisect check-upstream vmtest install clean
.SECONDARY:

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/scripts/fuzz-contain.sh - a signal in a sequence is a finding, never
# the fuzzer's death.
#
#   tests/scripts/fuzz-contain.sh [BUILD_DIR]
#
# BUILD_DIR holds the programs (default: $BUILD, else build/).  As root
# with THP and userfaultfd; else the whole file skips.
#
# For each injection of $UFFDC_INJECT (a test hook of the executor, see
# fuzz/fz.h): fuzz-sigbus (a load beyond the EOF of a mapping), fuzz-sigsegv
# (a load from PROT_NONE), fuzz-sigkill (the run process kills itself) and
# fuzz-child-sigkill (the sequence's child does), uffd_collapse_fuzz must
# exit 1 (not 135 or 139: its own process survived) with "VIOLATION crash"
# and the signal's name; save sequence.txt, minimized.txt and repro.c; the
# minimized sequence must be short (2 operations, 3 for the child: mmap,
# fork, touch) and still name the same signal; --replay of it must fail
# the same way with the injection and pass without it; and THP sysfs must
# be as it was.  Prints TAP, then "N passed, N failed".

set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd "$HERE/../.." && pwd -P)
BUILD=${BUILD:-$ROOT/build}
[ $# -gt 0 ] && BUILD=$1

# shellcheck source-path=SCRIPTDIR/../.. source=scripts/lib/tap.sh
. "$ROOT/scripts/lib/tap.sh"

F=$BUILD/uffd_collapse_fuzz
[ -x "$F" ] || tap_skip_all "$F is not built (make)"
[ "$(id -u)" = 0 ] || tap_skip_all "needs root (THP sysfs, userfaultfd)"
[ -d /sys/kernel/mm/transparent_hugepage ] || tap_skip_all "no THP sysfs"

T=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-contain.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT

SYSFS=/sys/kernel/mm/transparent_hugepage
LOCK=/run/uffd-collapse-suite/thp.lock
# Every writable knob, under the suite's lock (as tests/scripts/settings.sh
# does): another run on the machine cannot skew the comparison then.
snapshot() {
	local f
	(cd "$SYSFS" && find . -type f -perm /200 | LC_ALL=C sort |
		while IFS= read -r f; do printf '%s=%s\n' "$f" "$(cat "$f" 2>/dev/null)"; done)
}
thp_state() {
	mkdir -p "${LOCK%/*}"
	flock -w 900 "$LOCK" bash -c "$(declare -f snapshot); SYSFS=$SYSFS; snapshot"
}
thp_state >"$T/thp.before"

# at most 2 operations (mmap, touch), or 3 where the first touch is the child's
for case in sigbus:SIGBUS:3 sigsegv:SIGSEGV:3 sigkill:SIGKILL:3 child-sigkill:SIGKILL:3; do
	IFS=: read -r inj sig want <<<"$case"
	dir=$T/findings-$inj
	run env UFFDC_INJECT="fuzz-$inj" timeout 600 "$F" --seed 1 --iterations 40 \
		--duration 600 --findings "$dir"
	if [ "$code" = 4 ] && has "SKIP"; then
		tap_skip "fuzz-$inj" "$(grep -m1 'SKIP' <<<"$out")"
		continue
	fi
	check "fuzz-$inj: the fuzzer exits 1 (its own process survived)" [ "$code" = 1 ]
	check "fuzz-$inj: a crash finding naming $sig" \
		has_re "^# VIOLATION crash: .* died by $sig during op"
	seqdir=$(find "$dir" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | head -n1)
	check "fuzz-$inj: sequence.txt, minimized.txt and repro.c saved" \
		test -s "$seqdir/sequence.txt" -a -s "$seqdir/minimized.txt" -a -s "$seqdir/repro.c"
	m=$seqdir/minimized.txt
	ops=$(grep -cv '^#' "$m" 2>/dev/null)
	out=$(cat "$m" 2>/dev/null)
	last=$(grep -v '^#' "$m" 2>/dev/null | tail -n 1)
	export last
	check "fuzz-$inj: minimized to $ops operations (at most $want), the same crash, at a touch" \
		eval '[ "$ops" -ge 1 ] && [ "$ops" -le "$want" ] && [ "${last%% *}" = touch ] &&
		      has_re "^# crash at op [0-9]+: .* died by $sig"'
	run env UFFDC_INJECT="fuzz-$inj" timeout 120 "$F" --replay "$m" --runs 1
	check "fuzz-$inj: --replay of the minimized sequence fails the same way" \
		eval '[ "$code" = 1 ] && has "VIOLATION crash in run 1" && has "died by $sig"'
	run timeout 120 "$F" --replay "$m" --runs 1
	check "fuzz-$inj: --replay without the injection passes" [ "$code" = 0 ]
	# the reproducer builds as its header says, and fails the same way
	build=$(sed -n 's|^ \* Build: \(cc .*\)$|\1|p' "$seqdir/repro.c" | head -n1)
	if ! command -v cc >/dev/null || [ -z "$build" ]; then
		tap_skip "fuzz-$inj: repro.c builds and fails the same way" "no cc, or no Build line"
		continue
	fi
	run bash -c "cd '$T' && ${build//repro.c/$seqdir/repro.c}"
	check "fuzz-$inj: repro.c builds ($build)" [ "$code" = 0 ]
	run env UFFDC_INJECT="fuzz-$inj" timeout 120 "$T/repro"
	check "fuzz-$inj: the reproducer exits 1 with the injection, naming $sig" \
		eval '[ "$code" = 1 ] && has "died by $sig"'
	rm -f "$T/repro"
done

thp_state >"$T/thp.after"
run diff "$T/thp.before" "$T/thp.after"
check "THP sysfs is as it was" [ "$code" = 0 ]
tap_done

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/scripts/stress-injections.sh - the stress fails, says why, and fast
#
# Runs uffd_collapse_stress on this machine (root) with each of its test
# hooks (UFFDC_INJECT) and asserts what a developer would see: exit 1,
# the test "not ok", the failure naming its cause, and how long the run
# took, from its start to its exit (the wait for the suite's THP lock, when
# another run holds it, is left out):
#   - spurious-fault: page 0, data, vanishes behind the ledger's back; the
#     fault handler's online verdict names spurious-fault at its fault;
#   - fault-loop: the handler's hook keeps the page missing after each
#     EEXIST; the online verdict names fault-loop at the second fault, and
#     the handler gives up so that the touch returns;
#   - handler-stall: a fault left unanswered; the round cannot finish and
#     fails after STALL_S (3 s), naming the registrar, the page it touches
#     and the round's last fault;
#   - actor-stall: the writer stops; the same, naming the writer, instead
#     of at the deadline (--duration + 30 s);
#   - registrar-crash: the registrar process dies of SIGSEGV; FAIL naming
#     the signal, not SKIP;
#   - handler-exit: the handler dies at its first fault; FAIL naming it.
#
#   tests/scripts/stress-injections.sh [BUILD_DIR]
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd "$HERE/../.." && pwd -P)
# shellcheck source-path=SCRIPTDIR/../.. source=scripts/lib/tap.sh
. "$ROOT/scripts/lib/tap.sh"

B=${1:-$ROOT/build}
[ "$(id -u)" = 0 ] || tap_skip_all "needs root (userfaultfd, THP sysfs)"
[ -d /sys/kernel/mm/transparent_hugepage ] || tap_skip_all "no THP sysfs on this kernel"
[ -x "$B/uffd_collapse_stress" ] || tap_skip_all "$B/uffd_collapse_stress not built (make)"

# inject HOOK VARIANT: run it; $out, $code, and $secs (wall time, less the
# THP lock wait it reports)
inject() {
	local t0 t1 waited
	t0=$(date +%s%N)
	out=$(UFFDC_INJECT=$1 timeout 300 "$B/uffd_collapse_stress" -- -v "$2" 2>&1)
	code=$?
	t1=$(date +%s%N)
	waited=$(sed -n 's/^# THP settings are ours after \([0-9]*\) s$/\1/p' <<<"$out")
	secs=$(awk -v a="$t0" -v b="$t1" -v w="${waited:-0}" 'BEGIN { printf "%.1f", (b - a) / 1e9 - w }')
}
# within LIMIT: the run took at most LIMIT seconds (see inject)
within() { awk -v s="$secs" -v l="$1" 'BEGIN { exit !(s <= l) }'; }
failed_as() { [ "$code" = 1 ] && has "not ok 1 stress.$1.race"; }

inject spurious-fault memfd_madv
check "spurious-fault: online verdict spurious-fault at the fault, exit 1, in ${secs}s (<= 10)" \
	eval 'failed_as memfd_madv && has "FAIL: round 0: the fault handler'"'"'s online verdict: VIOLATION spurious-fault: page 0 (file offset 0x0), map 1" &&
	has "because: [seq 3..4 actor 1] pwrite page 0 gen 1" && within 10'

inject fault-loop memfd_madv
check "fault-loop: online verdict fault-loop at the second fault, the touch released, exit 1, in ${secs}s (<= 10)" \
	eval 'failed_as memfd_madv && has "the fault handler'"'"'s online verdict: VIOLATION fault-loop: page" &&
	has "faulted on the page again after UFFDIO_COPY found it present (EEXIST)" && within 10'

inject fault-loop memfd_madv_registrar_process
check "fault-loop in a registrar process: the same verdict, exit 1, in ${secs}s (<= 10)" \
	eval 'failed_as memfd_madv_registrar_process && has "online verdict: VIOLATION fault-loop: page" &&
	has_re "fault-loop=[1-9]" && within 10'

inject handler-stall memfd_madv
check "handler-stall: the round cannot finish, the registrar and its fault named, exit 1, in ${secs}s (<= 8, not at the deadline)" \
	eval 'failed_as memfd_madv &&
	has_re "cannot finish: the registrar made no progress for [0-9.]+ s, in: touch of the registered range \(page [0-9]+\); the round.s last fault \(1 read\): page [0-9]+ via map 1 by thread [0-9]+, read [0-9.]+ s ago, not resolved" &&
	within 8'

inject actor-stall memfd_madv
check "actor-stall: the writer named, exit 1, in ${secs}s (<= 8, not at the deadline)" \
	eval 'failed_as memfd_madv && has "cannot finish: the writer made no progress for" &&
	has "in: stalled on purpose (UFFDC_INJECT=actor-stall)" && within 8'

inject registrar-crash memfd_madv_registrar_process
check "registrar-crash: FAIL naming the signal, not SKIP, exit 1, in ${secs}s (<= 10)" \
	eval 'failed_as memfd_madv_registrar_process &&
	has_re "the registrar process \(pid [0-9]+\) was killed by signal 11 \(Segmentation fault\), in: " &&
	hasnt "# SKIP" && within 10'

inject handler-exit memfd_madv
check "handler-exit: FAIL naming the dead handler, exit 1, in ${secs}s (<= 10)" \
	eval 'failed_as memfd_madv && has "fault handler thread exited: injected exit (test hook)" &&
	within 10'

tap_done

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/scripts/run.sh - tests of the runner tooling (no kernel, no QEMU)
#
# Feeds recorded console logs to scripts/lib/console-verdict.awk and
# console-ktap.awk, sample KTAP to scripts/ktap-summary, fragments to
# scripts/check-config, and drives scripts/vmtest end to end with
# tests/scripts/fake-qemu standing in for qemu-system-x86_64.
#
# Prints "ok N - desc" / "not ok N - desc" per check, then
# "N passed, N failed"; exits 1 if any check failed.

set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd "$HERE/../.." && pwd -P)
FIX=$HERE/fixtures
VERDICT=$ROOT/scripts/lib/console-verdict.awk
KTAP=$ROOT/scripts/lib/console-ktap.awk
SUMMARY=$ROOT/scripts/ktap-summary

T=$(mktemp -d "${TMPDIR:-/tmp}/vmtest-selftest.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT

n=0
nfail=0
out=
code=

# run CMD...: capture combined output in $out and the exit code in $code
run() {
	out=$("$@" 2>&1)
	code=$?
}

# check DESC TEST...: run a test command, report ok / not ok
check() {
	local desc=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		nfail=$((nfail + 1))
		if [ -n "$out" ]; then
			printf '%s\n' "$out" | tail -n 15 | sed 's/^/#   | /'
		fi
		echo "#   exit code: $code"
	fi
}

has() { grep -F -- "$1" <<<"$out" >/dev/null; }
hasnt() { ! has "$1"; }
lastline_has() { local last=${out##*$'\n'}; [[ "$last" == *"$1"* ]]; }

verdict() {
	local f=$1
	shift
	run awk -f "$VERDICT" "$@" "$FIX/console/$f"
}

# --- console classifier ------------------------------------------------------
verdict clean.log
check "clean run -> PASS (exit 0)" [ "$code" = 0 ]
check "clean run: '# WARNING: BUG:' test diagnostic is not a kernel report" \
	eval 'lastline_has "RESULT PASS" && hasnt "kernel report"'

verdict oops.log
check "oops during a test that still exits 0 -> FAIL (exit 1)" [ "$code" = 1 ]
check "oops: excerpt has the report header and its call trace" \
	eval 'has "kernel report at console line 7 (during cmd 1: ./uffd_collapse_contract): BUG: kernel NULL pointer dereference" && has "madvise_collapse+0x1b1/0x3f0" && has "end trace"'
check "oops: one excerpt for BUG+Oops (merged), reason names the first" \
	eval '[ "$(printf "%s\n" "$out" | grep -c "^---- kernel report")" = 1 ] && lastline_has "RESULT FAIL kernel: BUG: kernel NULL pointer dereference"'

verdict warning.log
check "WARNING (WARN_ON) -> FAIL" eval '[ "$code" = 1 ] && lastline_has "kernel: WARNING: CPU: 0 PID: 31 at mm/khugepaged.c:1890"'
check "WARNING excerpt includes the cut-here line before it" has "[ cut here ]"

verdict hang.log -v timedout=1 -v timeout=600
check "hang (no done marker, timed out) -> FAIL naming the command" \
	eval '[ "$code" = 1 ] && lastline_has "timeout after 600s in cmd 1: ./uffd_collapse_contract -t stuck_fault (hang)"'
check "hang: last console lines are shown" has "global.stuck_fault ..."

verdict panic.log -v "note=qemu exited"
check "kernel BUG + panic, no done marker -> FAIL" \
	eval '[ "$code" = 1 ] && lastline_has "kernel: kernel BUG at mm/filemap.c:1525!" && lastline_has "guest stopped before the done marker in cmd 1"'

verdict rc1.log
check "test rc=1 -> FAIL with command in reason" \
	eval '[ "$code" = 1 ] && lastline_has "RESULT FAIL test rc=1: ./uffd_collapse_contract" && ! lastline_has other_test'

verdict skip.log
check "all commands rc=4 -> SKIP (exit 4)" eval '[ "$code" = 4 ] && lastline_has "RESULT SKIP"'

verdict mixed.log
check "rc=0 and rc=4 mixed -> PASS" eval '[ "$code" = 0 ] && lastline_has "RESULT PASS"'

verdict noboot.log
check "no boot marker -> cannot test (exit 125)" \
	eval '[ "$code" = 125 ] && lastline_has "RESULT ERROR guest never reached the boot marker"'

verdict clean.log -v ncmds=2
check "expected 2 commands but only 1 ran -> FAIL" eval '[ "$code" = 1 ] && lastline_has "cmd 2 has no end marker"'

# Every kernel report pattern fails an otherwise clean run.
while IFS= read -r rep; do
	{
		echo "@@VMTEST boot 6.1.192"
		echo "@@VMTEST begin 1 ./t"
		echo "ok 1 t"
		echo "[   10.000001] $rep"
		echo "@@VMTEST end 1 rc=0"
		echo "@@VMTEST done"
	} >"$T/rep.log"
	run awk -f "$VERDICT" "$T/rep.log"
	check "kernel report '${rep:0:45}' -> FAIL" eval '[ "$code" = 1 ]'
done <<'EOF'
BUG: KASAN: slab-use-after-free in collapse_file+0x1234/0x2000
general protection fault, probably for non-canonical address 0xdead000000000122: 0000 [#1] SMP KASAN
WARNING: possible circular locking dependency detected
WARNING: possible recursive locking detected
WARNING: inconsistent lock state
WARNING: suspicious RCU usage
INFO: task khugepaged:31 blocked for more than 120 seconds.
watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [uffd_collapse_c:88]
rcu: INFO: rcu_sched detected stalls on CPUs/tasks:
BUG: Bad page state in process khugepaged  pfn:0a2c4
kernel BUG at mm/khugepaged.c:1999!
EOF
# ... and ordinary printk noise does not.
printf '%s\n' "@@VMTEST boot 6.1.192" "@@VMTEST begin 1 ./t" \
	"[    2.000000] Out of memory: Killed process 99 (t)" \
	"[    2.000001] t[99]: segfault at 0 ip 0000000000401000" \
	"@@VMTEST end 1 rc=0" "@@VMTEST done" >"$T/noise.log"
run awk -f "$VERDICT" "$T/noise.log"
check "ordinary printk noise (OOM kill, segfault) is not a kernel report" [ "$code" = 0 ]

# --- KTAP extraction -----------------------------------------------------------
run awk -f "$KTAP" "$FIX/console/clean.log"
check "KTAP extraction drops printk lines and CRs, keeps test output" \
	eval 'diff <(printf "%s\n" "$out") "$FIX/console/clean.ktap" >/dev/null'
printf '%s\r\n' "@@VMTEST begin 1 ./t" "ok 1 first" "ok 2 sec[    5.123456] BUG: glued" \
	"no newline here@@VMTEST end 1 rc=0" "outside" >"$T/glued.log"
run awk -f "$KTAP" "$T/glued.log"
check "KTAP extraction cuts glued printk, keeps text before the end marker" \
	eval '[ "$out" = "$(printf "ok 1 first\nok 2 sec\nno newline here")" ]'

# --- ktap-summary --------------------------------------------------------------
run "$SUMMARY" <"$FIX/ktap/harness-pass.ktap"
check "ktap-summary: all pass -> exit 0, counts" \
	eval '[ "$code" = 0 ] && lastline_has "3 passed, 0 failed, 0 skipped" && has "PASS mmap.shmem.missing_then_collapse"'

run "$SUMMARY" <"$FIX/ktap/harness-mixed.ktap"
check "ktap-summary: pass/fail/skip -> exit 1, counts" \
	eval '[ "$code" = 1 ] && lastline_has "2 passed, 1 failed, 1 skipped"'
check "ktap-summary: per-test lines with skip reason" \
	eval 'has "FAIL global.collapse_fills_hole" && has "SKIP global.needs_numa # single node" && has "PASS global.xfail_case # XFAIL"'

run "$SUMMARY" <"$FIX/ktap/harness-crash.ktap"
check "ktap-summary: test that RAN but never reported -> FAIL" \
	eval '[ "$code" = 1 ] && has "FAIL global.crashes_everything # no result" && lastline_has "1 passed, 2 failed, 0 skipped"'

run "$SUMMARY" <"$FIX/ktap/nested.ktap"
check "ktap-summary: nested subtests counted as leaves" \
	eval '[ "$code" = 1 ] && has "PASS suite_a.t1" && has "FAIL suite_b.t2" && lastline_has "2 passed, 1 failed, 0 skipped"'

run "$SUMMARY" "$FIX/ktap/harness-pass.ktap" "$FIX/ktap/skip-all.ktap"
check "ktap-summary: several documents + an empty plan with a skip directive" \
	eval '[ "$code" = 0 ] && has "SKIP (whole program) # no userfaultfd" && lastline_has "3 passed, 0 failed, 1 skipped"'

run "$SUMMARY" </dev/null
check "ktap-summary: no results at all -> exit 1" eval '[ "$code" = 1 ] && lastline_has "0 passed, 0 failed, 0 skipped"'

run "$SUMMARY" "$FIX/console/clean.log"
check "ktap-summary: raw console (markers, printk, CRLF) still parses" \
	eval '[ "$code" = 0 ] && lastline_has "2 passed, 0 failed, 0 skipped"'

# --- check-config ----------------------------------------------------------------
mkdir -p "$T/ksrc"
printf 'config FOO\n\tbool "foo"\nconfig BAR\n\tbool\nmenuconfig BAZ\n\tbool "baz"\nconfig NUM\n\tint\n' >"$T/ksrc/Kconfig"
printf 'CONFIG_FOO=y\n# CONFIG_BAR is not set\nCONFIG_BAZ=y\nCONFIG_NUM=0\n' >"$T/dotconfig"
printf '# check-config: absent-ok OLD_ONLY\nCONFIG_FOO=y\nCONFIG_BAZ=y\n# CONFIG_BAR is not set\n# CONFIG_NUM is not set\nCONFIG_OLD_ONLY=y\n' >"$T/ok.config"
run "$ROOT/scripts/check-config" -s "$T/ksrc" "$T/dotconfig" "$T/ok.config"
check "check-config: fragment that stuck (absent-ok symbol tolerated) -> 0" [ "$code" = 0 ]
printf 'CONFIG_FOO=y\nCONFIG_BAR=y\n# CONFIG_BAZ is not set\nCONFIG_TYPO=y\n' >"$T/bad.config"
run "$ROOT/scripts/check-config" -s "$T/ksrc" "$T/dotconfig" "$T/bad.config"
check "check-config: lists every symbol that did not stick -> 1" \
	eval '[ "$code" = 1 ] && has "CONFIG_BAR: wanted y, got is not set" && has "CONFIG_BAZ: wanted not set, got =y" && has "CONFIG_TYPO: not defined" && hasnt "CONFIG_FOO:"'
run "$ROOT/scripts/check-config" "$T/dotconfig" "$T/ok.config" "$T/bad.config"
check "check-config: later fragment wins" eval '[ "$code" = 1 ] && has "CONFIG_BAR: wanted y"'
for f in "$ROOT"/configs/*.config; do
	run grep -vE '^(CONFIG_[A-Za-z0-9_]+=.+|# CONFIG_[A-Za-z0-9_]+ is not set|#.*|)$' "$f"
	check "configs/$(basename "$f") has only kconfig lines" [ "$code" = 1 ]
done
check "configs/base.config turns BASE_SMALL off for 6.1 and 6.12" \
	eval 'grep -qx "CONFIG_BASE_FULL=y" "$ROOT/configs/base.config" && grep -qx "# CONFIG_BASE_SMALL is not set" "$ROOT/configs/base.config"'

# --- build-kernel argument handling ----------------------------------------------
run env SUITE_CACHE="$T/cache" "$ROOT/scripts/build-kernel" "$T/no-such-tree"
check "build-kernel: bad SPEC -> 125 (cannot test)" [ "$code" = 125 ]
run env SUITE_CACHE="$T/cache" "$ROOT/scripts/build-kernel" --fragments nosuch 6.1
check "build-kernel: unknown fragment -> usage error 2" eval '[ "$code" = 2 ] && has "no such config fragment"'
mkdir -p "$T/dirty/arch/x86" && touch "$T/dirty/Makefile" "$T/dirty/Kconfig" "$T/dirty/.config"
run env SUITE_CACHE="$T/cache" "$ROOT/scripts/build-kernel" "$T/dirty"
check "build-kernel: in-tree configured source -> 125 with advice" eval '[ "$code" = 125 ] && has "mrproper"'

# --- build-kernel caching with a fake kernel tree -----------------------------------
# A "kernel" whose Makefile fakes tinyconfig/olddefconfig/bzImage and counts
# bzImage builds, in a git repository.
fk=$T/fake-linux
mkdir -p "$fk/arch/x86"
cat "$ROOT"/configs/*.config |
	sed -n 's/^CONFIG_\([A-Za-z0-9_]*\)=.*/\1/p; s/^# CONFIG_\([A-Za-z0-9_]*\) is not set/\1/p' |
	sort -u | grep -vx BASE_FULL | sed 's/.*/config &\n\tbool/' >"$fk/Kconfig"
printf '%s\n' \
	'tinyconfig:' \
	'	@mkdir -p $(O)' \
	'	@printf "CONFIG_64BIT=n\n# CONFIG_SMP is not set\n" >$(O)/.config' \
	'olddefconfig:' \
	'	@if [ -n "$$FAKE_DROP" ]; then sed -i "/^CONFIG_$$FAKE_DROP=/d" $(O)/.config; fi' \
	'bzImage:' \
	'	@if [ -n "$$FAKE_FAIL" ]; then echo "mm/khugepaged.c:1: error: fake failure"; exit 1; fi' \
	'	@mkdir -p $(O)/arch/x86/boot $(O)/include/config' \
	'	@echo "image of $$(cat $(CURDIR)/version)" >$(O)/arch/x86/boot/bzImage' \
	'	@echo 6.99.0-fake >$(O)/include/config/kernel.release' \
	'	@echo built >>$(FAKE_COUNT)' >"$fk/Makefile"
echo v1 >"$fk/version"
git -C "$fk" init -q && git -C "$fk" add -A &&
	git -C "$fk" -c user.email=t@t -c user.name=t commit -qm v1 || echo "# git setup failed"
: >"$T/count"
bk() {
	run env SUITE_CACHE="$T/kcache" FAKE_COUNT="$T/count" "$ROOT/scripts/build-kernel" "$@"
}
builds() { wc -l <"$T/count" | tr -d ' '; }

bk "$fk"
img1=$(printf '%s\n' "$out" | tail -n 1)
check "build-kernel: git tree builds out of tree, bzImage path is the last stdout line" \
	eval '[ "$code" = 0 ] && [ "$(cat "$img1" 2>/dev/null)" = "image of v1" ] && [ "$(builds)" = 1 ] && [ ! -e "$fk/.config" ]'
check "build-kernel: version-specific symbol tolerated, all others checked" \
	eval 'has "check-config: all " && has "(1 version-specific absent)"'
bk "$fk"
check "build-kernel: same HEAD, clean -> cache hit, make not run" \
	eval '[ "$code" = 0 ] && has "cached:" && [ "$(builds)" = 1 ]'
echo v2 >"$fk/version"
bk "$fk"
img2=$(printf '%s\n' "$out" | tail -n 1)
check "build-kernel: dirty tree -> rebuilt in the same object dir" \
	eval '[ "$code" = 0 ] && [ "$(builds)" = 2 ] && [ "$(cat "$img2")" = "image of v2" ] && [ "$(ls "$T/kcache/build" | grep -vc lock)" = 1 ]'
bk "$fk"
check "build-kernel: same dirty state again -> cache hit" eval '[ "$code" = 0 ] && [ "$(builds)" = 2 ]'
git -C "$fk" checkout -q version
bk "$fk"
check "build-kernel: back to the clean HEAD -> earlier image, no rebuild" \
	eval '[ "$code" = 0 ] && [ "$(builds)" = 2 ] && [ "$(cat "$(printf "%s\n" "$out" | tail -n 1)")" = "image of v1" ]'
echo v3 >"$fk/version" && git -C "$fk" -c user.email=t@t -c user.name=t commit -qam v3
bk "$fk"
check "build-kernel: new commit -> rebuilt" eval '[ "$code" = 0 ] && [ "$(builds)" = 3 ]'
bk --fragments debug "$fk"
check "build-kernel: other fragments -> own object dir and build" \
	eval '[ "$code" = 0 ] && [ "$(builds)" = 4 ] && [ "$(ls "$T/kcache/build" | grep -vc lock)" = 2 ]'
echo v4 >"$fk/version"
FAKE_DROP=USERFAULTFD bk "$fk"
check "build-kernel: symbol that does not stick -> 125 naming it" \
	eval '[ "$code" = 125 ] && has "CONFIG_USERFAULTFD: wanted y, got absent" && [ "$(builds)" = 4 ]'
FAKE_FAIL=1 bk "$fk"
check "build-kernel: compile error -> 125 with log path and tail" \
	eval '[ "$code" = 125 ] && has "log: $T/kcache/build/" && has "fake failure"'

# --- vmtest end to end with a fake qemu -------------------------------------------
mkdir -p "$T/bin" "$T/st" "$T/tmp"
printf '#!/bin/sh\necho "TAP version 13"\necho "1..1"\necho "ok 1 global.p"\nexit 0\n' >"$T/bin/t_pass"
printf '#!/bin/sh\necho "TAP version 13"\necho "1..1"\necho "not ok 1 global.f"\nexit 1\n' >"$T/bin/t_fail"
printf '#!/bin/sh\necho "TAP version 13"\necho "1..1"\necho "ok 1 global.s # SKIP nope"\nexit 4\n' >"$T/bin/t_skip"
chmod +x "$T/bin"/t_*
echo "not a kernel" >"$T/bzImage"

vm() {
	local scen=$1
	shift
	: >"$T/st/calls"
	run env SUITE_CACHE="$T/cache" TMPDIR="$T/tmp" VMTEST_QEMU="$HERE/fake-qemu" \
		FAKE_QEMU_STATE="$T/st" FAKE_QEMU_SCENARIO="$scen" VMTEST_KVM_DEV="$T/no-kvm" \
		VMTEST_KVM_PROBE_TIMEOUT=2 \
		"$ROOT/scripts/vmtest" --kernel "$T/bzImage" --bin "$T/bin" "$@"
}
fake_gone() {
	local pid
	pid=$(cat "$T/st/pid" 2>/dev/null) || return 1
	sleep 0.2
	! kill -0 "$pid" 2>/dev/null
}

vm pass --log "$T/console.out" --ktap "$T/ktap.out" ./t_pass 'echo "two  spaces;" && ./t_pass'
check "vmtest: passing commands -> exit 0, PASS verdict line last" \
	eval '[ "$code" = 0 ] && lastline_has "vmtest: kernel=6.99.0-fake accel=tcg result=PASS"'
check "vmtest: KTAP on stdout, command quoting preserved" \
	eval 'has "ok 1 global.p" && has "two  spaces;" && hasnt "@@VMTEST begin"'
check "vmtest: --log has the markers, --ktap has only test output" \
	eval 'grep -q "@@VMTEST done" "$T/console.out" && [ "$(grep -c "ok 1 global.p" "$T/ktap.out")" = 2 ] && ! grep -q "^\[" "$T/ktap.out"'
check "vmtest: kernel cmdline has console, panic=-1, printk.time" \
	eval 'grep -q "console=ttyS0.*printk.time=1.*panic=-1" "$T/console.out"'
check "vmtest: temp dir removed" eval '[ -z "$(ls -A "$T/tmp")" ]'

vm pass ./t_pass ./t_fail
check "vmtest: a command exiting 1 -> exit 1 naming it" \
	eval '[ "$code" = 1 ] && lastline_has "result=FAIL (test rc=1: ./t_fail)"'

vm pass ./t_skip ./t_skip
check "vmtest: all commands exit 4 -> exit 4" eval '[ "$code" = 4 ] && lastline_has "result=SKIP"'

vm warn ./t_pass
check "vmtest: kernel WARNING on the console -> exit 1 with excerpt" \
	eval '[ "$code" = 1 ] && has "kernel report at console line" && lastline_has "result=FAIL (kernel: WARNING: CPU: 1 PID: 40"'

vm panic ./t_pass
check "vmtest: oops + panic -> exit 1" eval '[ "$code" = 1 ] && lastline_has "kernel: BUG: unable to handle page fault"'

vm noboot ./t_pass
check "vmtest: guest never boots -> exit 125" eval '[ "$code" = 125 ] && lastline_has "result=ERROR"'

start=$SECONDS
vm hang --timeout 3 ./t_pass
check "vmtest: hang -> killed at --timeout, exit 1" \
	eval '[ "$code" = 1 ] && lastline_has "timeout after 3s in cmd 1: ./t_pass (hang)" && [ $((SECONDS - start)) -lt 20 ]'
check "vmtest: hung qemu process is gone and temp dir removed" eval 'fake_gone && [ -z "$(ls -A "$T/tmp")" ]'

touch "$T/kvm"
run env SUITE_CACHE="$T/cache" TMPDIR="$T/tmp" VMTEST_QEMU="$HERE/fake-qemu" \
	FAKE_QEMU_STATE="$T/st" FAKE_QEMU_SCENARIO=kvm-hang VMTEST_KVM_DEV="$T/kvm" \
	VMTEST_KVM_PROBE_TIMEOUT=2 "$ROOT/scripts/vmtest" --kernel "$T/bzImage" --bin "$T/bin" ./t_pass
check "vmtest --accel auto: kvm hang detected, retried with tcg, verdict cached" \
	eval '[ "$code" = 0 ] && has "caching '"'"'kvm-hangs'"'"'" && lastline_has "accel=tcg result=PASS" && grep -qx kvm-hangs "$T"/cache/accel/kvm-*'
: >"$T/st/calls"
run env SUITE_CACHE="$T/cache" TMPDIR="$T/tmp" VMTEST_QEMU="$HERE/fake-qemu" \
	FAKE_QEMU_STATE="$T/st" FAKE_QEMU_SCENARIO=kvm-hang VMTEST_KVM_DEV="$T/kvm" \
	VMTEST_KVM_PROBE_TIMEOUT=2 "$ROOT/scripts/vmtest" --kernel "$T/bzImage" --bin "$T/bin" ./t_pass
check "vmtest --accel auto: second run goes straight to tcg" \
	eval '[ "$code" = 0 ] && has "cached verdict: kvm hangs" && [ "$(cat "$T/st/calls")" = "accel=tcg" ]'
rm -rf "$T/cache/accel"
run env SUITE_CACHE="$T/cache" TMPDIR="$T/tmp" VMTEST_QEMU="$HERE/fake-qemu" \
	FAKE_QEMU_STATE="$T/st" FAKE_QEMU_SCENARIO=pass VMTEST_KVM_DEV="$T/kvm" \
	"$ROOT/scripts/vmtest" --kernel "$T/bzImage" --bin "$T/bin" ./t_pass
check "vmtest --accel auto: working kvm is used and cached" \
	eval '[ "$code" = 0 ] && lastline_has "accel=kvm result=PASS" && grep -qx kvm-works "$T"/cache/accel/kvm-*'
vm pass --accel kvm ./t_pass
check "vmtest --accel kvm without a usable kvm device -> 125" [ "$code" = 125 ]

if dyn=/usr/bin/true && readelf -lW "$(readlink -f "$dyn")" 2>/dev/null | grep 'program interpreter' >/dev/null; then
	cp "$(readlink -f "$dyn")" "$T/bin/dyn_true"
	vm pass ./t_pass
	check "vmtest: warns about a dynamically linked binary in --bin" has "dyn_true is dynamically linked"
	rm -f "$T/bin/dyn_true"
fi

vm pass
check "vmtest: no command -> usage error 2" [ "$code" = 2 ]
vm pass --smp zero ./t_pass
check "vmtest: bad --smp -> usage error 2" [ "$code" = 2 ]
run env SUITE_CACHE="$T/cache" "$ROOT/scripts/vmtest" --kernel "$T/no-such-tree" --bin "$T/bin" ./t_pass
check "vmtest: kernel that cannot be built -> 125" \
	eval '[ "$code" = 125 ] && lastline_has "result=ERROR (kernel $T/no-such-tree cannot be built)"'

echo "1..$n"
echo "$((n - nfail)) passed, $nfail failed"
[ "$nfail" = 0 ]

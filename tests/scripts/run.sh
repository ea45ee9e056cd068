#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/scripts/run.sh - tests of the runner tooling (no kernel, no QEMU)
#
# Feeds recorded console logs to scripts/lib/console-verdict.awk and
# console-ktap.awk, sample KTAP to scripts/ktap-summary, scripts/ktap-junit
# and ci/lava/ktap-to-lava, checks the CI definitions, the kselftest
# install layout (scripts/install-kselftest) and scripts/export-upstream on
# a miniature kernel tree, fragments to
# scripts/check-config, and drives scripts/vmtest end to end with
# tests/scripts/fake-qemu standing in for qemu-system-x86_64.
#
# Prints "ok N - desc" / "not ok N - desc" per check, then
# "N passed, N failed"; exits 1 if any check failed.

# Variables read only inside the strings that check() evals look unused.
# shellcheck disable=SC2034
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd "$HERE/../.." && pwd -P)
FIX=$HERE/fixtures
VERDICT=$ROOT/scripts/lib/console-verdict.awk
KTAP=$ROOT/scripts/lib/console-ktap.awk
SUMMARY=$ROOT/scripts/ktap-summary

T=$(mktemp -d "${TMPDIR:-/tmp}/vmtest-selftest.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT

# shellcheck source-path=SCRIPTDIR/../.. source=scripts/lib/tap.sh
. "$ROOT/scripts/lib/tap.sh"
lastline_has() { local last=${out##*$'\n'}; [[ "$last" == *"$1"* ]]; }

verdict() {
	local f=$1
	shift
	run awk -f "$VERDICT" "$@" "$FIX/console/$f"
}

# --- every bash script under scripts/: --help, unknown options, no value -------
# --help prints the header comment (after the #! and SPDX lines, up to the
# first line that is not a comment, without "# ") on stdout and exits 0; an
# unknown option is one line on stderr and the usage exit code: 2, or 255
# for bisect-run (anything but a verdict must stop `git bisect run`).
header_of() {
	sed -n '2,/^[^#]\|^$/p' "$1" | grep '^#' | grep -v '^# SPDX-License-Identifier:' |
		sed 's/^# \{0,1\}//' | sed '/./,$!d'
}
for s in "$ROOT"/scripts/*; do
	[ -f "$s" ] && head -n 1 "$s" | grep -q '^#!/bin/bash' || continue
	name=${s##*/}
	ucode=2
	[ "$name" = bisect-run ] && ucode=255
	out=$("$s" --help 2>"$T/help.err")
	code=$?
	check "$name --help: its header on stdout, nothing on stderr, exit 0" \
		eval '[ "$code" = 0 ] && [ ! -s "$T/help.err" ] && [ "$out" = "$(header_of "$s")" ] &&
		[ "$(wc -l <<<"$out")" -ge 2 ] && hasnt SPDX'
	run "$s" --no-such-option
	check "$name --no-such-option: one line naming it, exit $ucode" \
		eval '[ "$code" = "$ucode" ] && [ "$(wc -l <<<"$out")" = 1 ] && has "$name: " && has "--no-such-option"'
done
run "$ROOT/scripts/bisect-run" --tests
check "bisect-run --tests without a value: one line, exit 255 (suite broken, stops the bisection)" \
	eval '[ "$code" = 255 ] && [ "$(wc -l <<<"$out")" = 1 ] && has "--tests needs a value"'
for a in "bench --runs" "diff-gate --keep" "fuzz-gate --seed" "thp-restore --wait" \
	"export-upstream -o" "install-kselftest --build" "check-config -s" \
	"build-kernel --fragments" "vmtest --timeout" "lava-artifacts --build" \
	"lava-matrix --output" "lava-local --bad" "check-detectors --cases" \
	"soak --runs"; do
	run "$ROOT/scripts/${a% *}" "${a#* }"
	check "${a% *} ${a#* } without a value: one line, exit 2" \
		eval '[ "$code" = 2 ] && [ "$(wc -l <<<"$out")" = 1 ] && has "${a#* } needs "'
done
run "$ROOT/scripts/get-harness"
check "get-harness without DIR: one line, exit 2" eval '[ "$code" = 2 ] && [ "$(wc -l <<<"$out")" = 1 ]'

# Every shell script is clean under "shellcheck -S warning -x", from any directory.
if command -v shellcheck >/dev/null; then
	for s in "$ROOT"/scripts/* "$ROOT"/scripts/lib/*.sh "$ROOT"/tests/scripts/* "$ROOT"/ci/lava/*; do
		[ -f "$s" ] && head -n 2 "$s" | grep -qE '^#!/bin/(ba)?sh|shell=bash' || continue
		run shellcheck -S warning -x "$s"
		check "shellcheck -S warning -x ${s#"$ROOT"/}" [ "$code" = 0 ]
	done
else
	tap_skip "shellcheck of the scripts" "no shellcheck (scripts/setup installs it)"
fi

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

# --- hang reports -------------------------------------------------------------
# Recorded consoles of runs that vmtest stopped at a hang report: FAIL, the
# reason starts "hang: " with the report's first line, and the excerpt has
# the trace that followed it.
verdict hang-softlockup.log -v "note=hang report, guest killed"
check "soft lockup -> FAIL (hang) with the report line in the reason" \
	eval '[ "$code" = 1 ] && lastline_has "RESULT FAIL hang: watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [uffd_collapse_s:97] (during cmd 1: ./uffd_collapse_stress --duration 30)"'
check "soft lockup: excerpt has the stuck CPU's trace" \
	eval 'has "kernel report at console line 10 (during cmd 1: ./uffd_collapse_stress --duration 30)" && has "madvise_collapse+0x1d3/0x3f0" && has "RIP: 0010:xas_find+0x6d/0x1b0"'
verdict hang-hungtask.log -v "note=hang report, guest killed"
check "hung task -> FAIL (hang) with the report line in the reason, no second reason" \
	eval '[ "$code" = 1 ] && lastline_has "RESULT FAIL hang: INFO: task uffd_collapse_c:88 blocked for more than 20 seconds. (during cmd 1: ./uffd_collapse_contract)" && ! lastline_has "kernel:" && ! lastline_has "done marker"'
check "hung task: excerpt has the blocked task's stack" \
	eval 'has "task:uffd_collapse_c state:D" && has "rwsem_down_write_slowpath+0x2a4/0x5d0"'
verdict hang-rcu.log -v "note=hang report, guest killed"
check "RCU stall -> FAIL (hang) with the report line in the reason" \
	eval '[ "$code" = 1 ] && lastline_has "RESULT FAIL hang: rcu: INFO: rcu_sched detected stalls on CPUs/tasks: (during cmd 1: ./uffd_collapse_fuzz --seed 7 --duration 60)"'
check "RCU stall: excerpt has the stalled CPU's backtrace" \
	eval 'has "NMI backtrace for cpu 1" && has "migrate_pages_batch+0x3a1/0xb90"'
verdict hang-harness-timeout.log -v "note=hang report, guest killed"
check "kselftest harness 'Test terminated by timeout' -> FAIL (hang) naming the test" \
	eval '[ "$code" = 1 ] && lastline_has "RESULT FAIL hang: contract.tmpfs_advise_khugepaged_partial_one.missing_faults: Test terminated by timeout (during cmd 1: ./uffd_collapse_contract)"'
check "harness timeout: excerpt has what the test did before it" \
	eval 'has "test timeout at console line 12" && has "waiting for khugepaged full_scans > 3" && has "#  RUN           contract.tmpfs_advise_khugepaged_partial_one.missing_faults"'
# Every hang pattern, in a run that otherwise completed, is a hang.
while IFS= read -r rep; do
	{
		echo "@@VMTEST boot 6.12.117"
		echo "@@VMTEST begin 1 ./t"
		echo "$rep"
		echo "ok 1 t"
		echo "@@VMTEST end 1 rc=0"
		echo "@@VMTEST done"
	} >"$T/hang1.log"
	run awk -f "$VERDICT" "$T/hang1.log"
	check "hang line '${rep:0:50}' -> FAIL (hang)" eval '[ "$code" = 1 ] && lastline_has "RESULT FAIL hang: "'
done <<'EOF'
[   31.000001] watchdog: BUG: soft lockup - CPU#1 stuck for 23s! [khugepaged:31]
[   31.000001] watchdog: Watchdog detected hard LOCKUP on cpu 1
[   31.000001] NMI watchdog: Watchdog detected hard LOCKUP on cpu 0
[   31.000001] INFO: task kworker/u4:2:57 blocked for more than 20 seconds.
[   31.000001] rcu: INFO: rcu_sched self-detected stall on CPU
[   31.000001] rcu: INFO: rcu_preempt detected expedited stalls on CPUs/tasks: { 1-... } 5002 jiffies s: 193 root: 0x2/.
[   31.000001] INFO: rcu_tasks detected stalls on tasks:
[   31.000001] BUG: workqueue lockup - pool cpus=1 node=0 flags=0x0 nice=0 stuck for 31s!
# global.stuck_fault: Test terminated by timeout
# # contract.x.missing_faults: Test terminated by timeout
not ok 1 selftests: uffd_collapse: uffd_collapse_stress # TIMEOUT 300 seconds
EOF
# ... and lines that only look alike are not.
printf '%s\n' "@@VMTEST boot 6.12.117" "@@VMTEST begin 1 ./t" \
	"# global.x: waited for the fault, no timeout" "# khugepaged blocked for more than a while" \
	"ok 1 global.x # SKIP TIMEOUT not set" "@@VMTEST end 1 rc=0" "@@VMTEST done" >"$T/nohang.log"
run awk -f "$VERDICT" "$T/nohang.log"
check "lines that merely mention timeouts or blocking are no hang" eval '[ "$code" = 0 ] && lastline_has "RESULT PASS"'
run awk -f "$VERDICT" -v print_hang_re=1 /dev/null
check "console-verdict.awk -v print_hang_re=1 prints one pattern grep -E reads" \
	eval '[ "$code" = 0 ] && [ "$(printf "%s\n" "$out" | wc -l)" = 1 ] &&
	grep -aqE -- "$out" "$FIX/console/hang-rcu.log" && ! grep -aqE -- "$out" "$FIX/console/clean.log"'

# --- KTAP extraction -----------------------------------------------------------
run awk -f "$KTAP" "$FIX/console/clean.log"
check "KTAP extraction drops printk lines and CRs, keeps test output" \
	eval 'diff <(printf "%s\n" "$out") "$FIX/console/clean.ktap" >/dev/null'
printf '%s\r\n' "@@VMTEST begin 1 ./t" "ok 1 first" "ok 2 sec[    5.123456] BUG: glued" \
	"no newline here@@VMTEST end 1 rc=0" "outside" >"$T/glued.log"
run awk -f "$KTAP" "$T/glued.log"
check "KTAP extraction cuts glued printk, keeps text before the end marker" \
	eval '[ "$out" = "$(printf "ok 1 first\nok 2 sec\nno newline here")" ]'

# --- findings per command (check-detectors) ------------------------------------
run awk -f "$ROOT/scripts/lib/console-findings.awk" "$FIX/console/findings.log"
check "console-findings.awk: one line per command: exit, seconds, kinds in order, first 'after S s'" \
	eval '[ "$(printf "%s\n" "$out" | grep "^cmd" | tr "\t" " ")" = "$(printf "%s\n" \
		"cmd 1 1 60.2 lost-fault,fill-on-alloc - ./uffd_collapse_contract" \
		"cmd 2 1 29.2 data-vanished,content 0.532 ./uffd_collapse_stress --duration 2" \
		"cmd 3 - - copy-eexist 3.250 ./uffd_collapse_fuzz --duration 60")" ]'
check "console-findings.awk: the first line naming each kind, once; printk lines name nothing" \
	eval '[ "$(printf "%s\n" "$out" | grep -c "^violation")" = 5 ] &&
	has "$(printf "violation\t1\tlost-fault\tVIOLATION lost-fault: page 3 ")" &&
	hasnt "the second one" && hasnt "a kernel line"'

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

# --- ktap-junit --------------------------------------------------------------------
JUNIT=$ROOT/scripts/ktap-junit
# xmlcheck FILE PYTHON-EXPR...: FILE parses as XML (python3's parser, and
# xmllint when installed) and every expression over its root r is true.
xmlcheck() {
	local f=$1
	shift
	if command -v xmllint >/dev/null 2>&1; then
		xmllint --noout "$f" 2>/dev/null || return 1
	fi
	python3 - "$f" "$@" <<'PY'
import sys
import xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
def suite(name):
    return r.find("testsuite[@name='%s']" % name)
def case(s, name):
    return [c for c in s.iter('testcase') if c.get('name') == name][0]
for e in sys.argv[2:]:
    if not eval(e):
        print('# xmlcheck failed: ' + e)
        sys.exit(1)
PY
}
jx() { "$JUNIT" "$@" >"$T/j.xml" 2>"$T/j.err"; code=$?; out=$(cat "$T/j.xml" "$T/j.err"); }

jx "$FIX/ktap/harness-mixed.ktap"
check "ktap-junit: pass/fail/skip/xfail -> valid XML, counts, exit 1" \
	eval '[ "$code" = 1 ] && xmlcheck "$T/j.xml" "r.get(\"tests\") == \"4\"" "r.get(\"failures\") == \"1\"" "r.get(\"skipped\") == \"1\"" "len(r.findall(\"testsuite\")) == 1"'
check "ktap-junit: failure carries the diagnostics before it, skipped its reason" \
	xmlcheck "$T/j.xml" "'Expected hole (4096) >= SZ_2M' in case(suite('harness-mixed'), 'global.collapse_fills_hole').find('failure').text" \
	"case(suite('harness-mixed'), 'global.needs_numa').find('skipped').get('message') == 'single node'" \
	"case(suite('harness-mixed'), 'global.xfail_case').find('failure') is None" \
	"case(suite('harness-mixed'), 'global.api').find('failure') is None"

jx "$FIX/ktap/nested.ktap"
check "ktap-junit: nested KTAP -> a testsuite per subtest, a testcase per result line" \
	xmlcheck "$T/j.xml" "[s.get('name') for s in r.findall('testsuite')] == ['nested', 'suite_a', 'suite_b']" \
	"suite('suite_b').get('failures') == '1'" "case(suite('suite_b'), 't2').find('failure') is not None" \
	"case(suite('nested'), 'suite_b').find('failure') is not None" "suite('suite_a').get('tests') == '1'"

jx "$FIX/ktap/kselftest-runner.ktap"
check "ktap-junit: run_kselftest.sh's '# '-prefixed program output -> nested suites" \
	eval '[ "$code" = 1 ] && xmlcheck "$T/j.xml" "len(r.findall(\"testsuite\")) == 3" "suite(\"selftests: uffd_collapse: uffd_collapse_contract\").get(\"tests\") == \"3\"" "suite(\"kselftest-runner\").get(\"failures\") == \"1\""'
check "ktap-junit: VIOLATION diagnostics with <&\" in <failure>, escaped and intact" \
	xmlcheck "$T/j.xml" "'& the touch read zeros <\"quoted\">' in case(suite('selftests: uffd_collapse: uffd_collapse_contract'), 'contract.memfd_madv_other_whole_sparse.missing_faults').find('failure').text" \
	"case(suite('selftests: uffd_collapse: uffd_collapse_contract'), 'contract.tmpfs_advise_khugepaged_partial_one.missing_faults').find('skipped').get('message') == 'control: khugepaged did not scan in time'"
check "ktap-junit: the raw XML escapes < and &" \
	eval 'grep -qF "delivered &amp; the touch read zeros &lt;" "$T/j.xml"'

printf 'KTAP version 1\n1..3\n# diag <b>&amp; "q" \001 end\nnot ok 1 a<b>&"c" # exit=1\nok 2 x # SKIP why <&">\nok 3 - dash\n' >"$T/esc.ktap"
jx --name 'top<&">' "$T/esc.ktap"
check "ktap-junit: <&\" and control characters in names, reasons, text -> valid XML" \
	xmlcheck "$T/j.xml" "r.get('name') == 'top<&\">'" "suite('top<&\">') is not None" \
	"case(suite('top<&\">'), 'a<b>&\"c\"').find('failure').get('message') == 'exit=1'" \
	"'diag <b>&amp; \"q\" \ufffd end' in case(suite('top<&\">'), 'a<b>&\"c\"').find('failure').text" \
	"case(suite('top<&\">'), 'x').find('skipped').get('message') == 'why <&\">'" \
	"case(suite('top<&\">'), 'dash').find('failure') is None"
check "ktap-junit: attribute quotes are escaped in the raw XML" eval 'grep -qF "name=\"a&lt;b&gt;&amp;&quot;c&quot;\"" "$T/j.xml"'

jx "$FIX/ktap/harness-crash.ktap"
check "ktap-junit: a test that started but never reported, and a plan shortfall -> failures" \
	xmlcheck "$T/j.xml" "case(suite('harness-crash'), 'global.crashes_everything').find('failure').get('message').startswith('no result')" \
	"suite('harness-crash').get('failures') == '2'"
jx "$FIX/ktap/skip-all.ktap"
check "ktap-junit: a skip-all plan (1..0 with a SKIP directive) -> one skipped testcase, exit 0" \
	eval '[ "$code" = 0 ] && xmlcheck "$T/j.xml" "r.find(\"testsuite/testcase/skipped\").get(\"message\") == \"no userfaultfd\""'
jx </dev/null
check "ktap-junit: no results at all -> a failure, exit 1" \
	eval '[ "$code" = 1 ] && xmlcheck "$T/j.xml" "r.get(\"failures\") == \"1\""'
"$JUNIT" -o "$T/j2.xml" --name harness-pass <"$FIX/ktap/harness-pass.ktap"
code=$?
check "ktap-junit: stdin and -o FILE, all pass -> exit 0" \
	eval '[ "$code" = 0 ] && xmlcheck "$T/j2.xml" "suite(\"harness-pass\").get(\"tests\") == \"3\"" "r.get(\"failures\") == \"0\""'
jx "$FIX/ktap/harness-pass.ktap" "$FIX/ktap/nested.ktap"
check "ktap-junit: several files -> a top-level suite per file" \
	xmlcheck "$T/j.xml" "[s.get('name') for s in r.findall('testsuite')][:2] == ['harness-pass', 'nested']"
jx "$T/no-such-file"
check "ktap-junit: unreadable input -> exit 2" eval '[ "$code" = 2 ] && has "no-such-file"'

# --- ktap-to-lava ----------------------------------------------------------------
printf '#!/bin/sh\necho "$*" >>"%s"\n' "$T/lava.calls" >"$T/lava-test-case"
chmod +x "$T/lava-test-case"
: >"$T/lava.calls"
run env LAVA_TEST_CASE="$T/lava-test-case" "$ROOT/ci/lava/ktap-to-lava" "$FIX/ktap/kselftest-runner.ktap"
check "ktap-to-lava: a lava-test-case per result, programs and their tests, exit 1" \
	eval '[ "$code" = 1 ] && [ "$(wc -l <"$T/lava.calls")" = 6 ] &&
	grep -qx "uffd_collapse_contract.contract.memfd_madv_other_whole_sparse.missing_faults --result fail" "$T/lava.calls" &&
	grep -qx "uffd_collapse_contract.contract.tmpfs_advise_khugepaged_partial_one.missing_faults --result skip" "$T/lava.calls" &&
	grep -qx "uffd_collapse_contract --result fail" "$T/lava.calls" &&
	grep -qx "uffd_collapse_stress.stress.memfd_madv.race --result pass" "$T/lava.calls"'
: >"$T/lava.calls"
run env LAVA_TEST_CASE="$T/lava-test-case" "$ROOT/ci/lava/ktap-to-lava" <"$FIX/ktap/nested.ktap"
check "ktap-to-lava: indented KTAP from stdin" \
	eval 'grep -qx "t2 --result fail" "$T/lava.calls" && grep -qx "suite_a --result pass" "$T/lava.calls"'
run env LAVA_TEST_CASE="$T/none" "$ROOT/ci/lava/ktap-to-lava" "$FIX/ktap/harness-pass.ktap"
check "ktap-to-lava: no lava-test-case -> prints NAME RESULT, exit 0" \
	eval '[ "$code" = 0 ] && has "global.api pass"'

# --- CI definitions ------------------------------------------------------------------
run python3 - "$ROOT/ci/lava/uffd-collapse.yaml" <<'PY'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
assert d['metadata']['format'] == 'Lava-Test Test Definition 1.0', 'format'
assert d['metadata']['name'], 'name'
steps = d['run']['steps']
assert any('run_kselftest.sh' in s for s in steps), 'run_kselftest.sh'
assert any('ci/lava/ktap-to-lava' in s for s in steps), 'ktap-to-lava'
for k in ('SUITE_DIR', 'SUITE_URL', 'STRESS_ARGS'):
    assert k in d['params'], k
PY
check "ci/lava/uffd-collapse.yaml: a LAVA test definition running run_kselftest.sh" [ "$code" = 0 ]
run python3 - "$ROOT/ci/kernelci/uffd-collapse.yaml" "$ROOT/configs/base.config" <<'PY'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
base = set(l.strip() for l in open(sys.argv[2]) if l.startswith('CONFIG_'))
frag = d['fragments']['uffd-collapse']['configs']
missing = [c for c in frag if c not in base]
assert not missing, 'not in configs/base.config: %s' % missing
for c in ('CONFIG_USERFAULTFD=y', 'CONFIG_TRANSPARENT_HUGEPAGE=y', 'CONFIG_SHMEM=y'):
    assert c in frag, c
job = d['jobs']['kselftest-uffd-collapse']
assert job['params']['collections'] == 'uffd_collapse'
assert d['test_plan'] == 'uffd-collapse'
PY
check "ci/kernelci/uffd-collapse.yaml: fragment lines all in configs/base.config, collection uffd_collapse" \
	[ "$code" = 0 ]

# --- install layout ----------------------------------------------------------------
# Fake programs, the real kselftest runner (cached in build/kselftest-runner).
ib=$T/ibuild
mkdir -p "$ib"
printf '#!/bin/sh\necho "TAP version 13"\necho "1..1"\necho "ok 1 contract.x.missing_faults"\n' >"$ib/uffd_collapse_contract"
printf '#!/bin/sh\necho "TAP version 13"\necho "1..1"\necho "# args: $*"\necho "not ok 1 stress.y.race"\nexit 1\n' >"$ib/uffd_collapse_stress"
chmod +x "$ib"/uffd_collapse_*
if [ ! -r "$ROOT/build/kselftest-runner/kselftest/runner.sh" ]; then
	"$ROOT/scripts/get-harness" --runner "$ROOT/build/kselftest-runner" >/dev/null 2>&1
fi
if cp -r "$ROOT/build/kselftest-runner" "$ib/" 2>/dev/null; then
	run "$ROOT/scripts/install-kselftest" --build "$ib" "$T/inst"
	check "install-kselftest: kselftest's layout" \
		eval '[ "$code" = 0 ] && [ -x "$T/inst/run_kselftest.sh" ] && [ -r "$T/inst/kselftest/runner.sh" ] &&
		[ -r "$T/inst/kselftest/prefix.pl" ] && [ -x "$T/inst/uffd_collapse/uffd_collapse_contract" ] &&
		grep -qx "timeout=[0-9]*" "$T/inst/uffd_collapse/settings" &&
		[ "$(cat "$T/inst/kselftest-list.txt")" = "$(printf "uffd_collapse:uffd_collapse_contract\nuffd_collapse:uffd_collapse_stress")" ]'
	echo "other:prog" >"$T/inst/kselftest-list.txt"
	run "$ROOT/scripts/install-kselftest" --build "$ib" "$T/inst"
	check "install-kselftest: other collections in kselftest-list.txt are kept" \
		eval '[ "$(head -n 1 "$T/inst/kselftest-list.txt")" = other:prog ] && [ "$(wc -l <"$T/inst/kselftest-list.txt")" = 3 ]'
	printf 'uffd_collapse:uffd_collapse_contract\nuffd_collapse:uffd_collapse_stress\n' >"$T/inst/kselftest-list.txt"
	run env KSELFTEST_UFFD_COLLAPSE_STRESS_ARGS="--duration 7" sh -c 'cd "$1" && ./run_kselftest.sh' sh "$T/inst"
	check "install: run_kselftest.sh runs the collection, KTAP, stress args passed" \
		eval 'has "ok 1 selftests: uffd_collapse: uffd_collapse_contract" && has "not ok 2 selftests: uffd_collapse: uffd_collapse_stress # exit=1" && has "# args: --duration 7"'
	printf '%s\n' "$out" >"$T/inst.ktap"
	jx "$T/inst.ktap"
	check "install: ktap-junit reads the real runner's output" \
		xmlcheck "$T/j.xml" "len(r.findall('testsuite')) == 3" "r.get('failures') == '2'"
else
	for d in "install-kselftest: layout" "install-kselftest: list kept" "install: run_kselftest.sh" "install: ktap-junit"; do
		n=$((n + 1))
		echo "ok $n - $d # SKIP no kselftest runner (get-harness --runner failed)"
	done
fi
run "$ROOT/scripts/install-kselftest" --build "$T/empty" "$T/inst2"
check "install-kselftest: programs not built -> exit 1 saying so" eval '[ "$code" = 1 ] && has "is not built"'
run "$ROOT/scripts/install-kselftest"
check "install-kselftest: no INSTALL_PATH -> usage error 2" [ "$code" = 2 ]

# --- export-upstream and check-upstream ---------------------------------------------
# A miniature kernel tree with the lines the series anchors to.
kt=$T/ktree
mkdir -p "$kt/tools/testing/selftests/mm"
printf 'VERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 99\n' >"$kt/Makefile"
echo '/* harness */' >"$kt/tools/testing/selftests/kselftest_harness.h"
printf '%s\n' '# SPDX-License-Identifier: GPL-2.0' 'LOCAL_HDRS += $(selfdir)/mm/local_config.h' '' \
	'TEST_GEN_FILES = cow' 'TEST_GEN_FILES += uffd-unit-tests' 'TEST_GEN_FILES += ksm_tests' '' \
	'include ../lib.mk' '' '$(OUTPUT)/uffd-unit-tests: uffd-common.c' '' >"$kt/tools/testing/selftests/mm/Makefile"
printf 'cow\nuffd-unit-tests\n' >"$kt/tools/testing/selftests/mm/.gitignore"
printf 'CONFIG_USERFAULTFD=y\nCONFIG_TRANSPARENT_HUGEPAGE=y\n' >"$kt/tools/testing/selftests/mm/config"
printf '%s\n' '#!/bin/bash' 'usage() {' '	cat <<EOF' '- mdwe' '	test prctl' '' 'example: ./run_vmtests.sh -t "hmm mmap ksm"' 'EOF' '}' \
	'CATEGORY="mdwe" run_test ./mdwe_test' '' 'echo "SUMMARY: PASS=${count_pass}"' >"$kt/tools/testing/selftests/mm/run_vmtests.sh"
cp -r "$kt" "$T/ktree-pristine"
run env UFFDC_SIGNOFF="Test Person <tp@example.org>" "$ROOT/scripts/export-upstream" -q -o "$T/series" "$kt"
check "export-upstream: a plain tree -> four patches, the tree untouched" \
	eval '[ "$code" = 0 ] && [ "$(ls "$T/series" | wc -l)" = 4 ] && diff -r "$kt" "$T/ktree-pristine" >/dev/null'
check "export-upstream: Signed-off-by from UFFDC_SIGNOFF, the fix cited, subjects" \
	eval '[ "$(grep -l "^Signed-off-by: Test Person <tp@example.org>" "$T"/series/*.patch | wc -l)" = 4 ] &&
	[ "$(grep -l "mm/khugepaged: skip shmem with$" "$T"/series/*.patch | wc -l)" = 4 ] &&
	grep -q "^Subject: \[PATCH 2/4\] selftests/mm: add uffd_collapse_contract" "$T"/series/0002-*.patch'
check "export-upstream: helpers renamed, includes rewritten, vm_util.c clash renamed" \
	eval 'grep -q "^+++ b/tools/testing/selftests/mm/uffdc_ledger.c" "$T"/series/0001-*.patch &&
	grep -q "^+#include \"../kselftest_harness.h\"" "$T"/series/0002-*.patch &&
	grep -q "^+#include \"uffdc_uffd_util.h\"" "$T"/series/0003-*.patch &&
	! grep -hE "^\+#include \"(ledger|oracle|rng|thp_knobs|uffd_util)\.h\"" "$T"/series/*.patch &&
	! grep -q "uffd_unregister" "$T"/series/*.patch && grep -q "uffd_deregister" "$T"/series/0001-*.patch'
check "export-upstream: typed THP settings are mm's thp_settings.h (uffdc_thp_knobs.h includes it, no thp_knobs.c)" \
	eval '[ "$(grep -l "^+#include \"thp_settings.h\"" "$T"/series/*.patch | wc -l)" = 1 ] &&
	awk "/^\+\+\+ .*uffdc_thp_knobs.h/ { f = 1 } f && /^diff --git/ { exit } f" "$T"/series/0001-*.patch |
		grep -q "^+#include \"thp_settings.h\"" &&
	! grep -q "^+++ .*thp_knobs.c" "$T"/series/*.patch &&
	grep -q "^+#include \"uffdc_thp_knobs.h\"" "$T"/series/0002-*.patch'
mkdir -p "$T/kgit" && cp -r "$kt/." "$T/kgit/" && git -C "$T/kgit" init -q &&
	git -C "$T/kgit" add -A -f && git -C "$T/kgit" -c user.name=t -c user.email=t@t commit -qm base
run git -C "$T/kgit" -c user.name=t -c user.email=t@t am "$T"/series/*.patch
check "export-upstream: the series applies with git am; Makefile, .gitignore, run_vmtests.sh, config wired" \
	eval '[ "$code" = 0 ] && m="$T/kgit/tools/testing/selftests/mm" &&
	grep -qx "TEST_GEN_FILES += uffd_collapse_stress" "$m/Makefile" &&
	grep -qx "\$(OUTPUT)/uffd_collapse_contract: \$(UFFDC_HELPERS)" "$m/Makefile" &&
	grep -q "^LOCAL_HDRS += \$(addprefix \$(selfdir)/mm/,uffdc_actors.h" "$m/Makefile" &&
	grep -qx "uffd_collapse_stress" "$m/.gitignore" && grep -qx "CONFIG_SHMEM=y" "$m/config" &&
	grep -qx "CATEGORY=\"uffd_collapse\" run_test ./uffd_collapse_contract" "$m/run_vmtests.sh" &&
	[ "$(grep -c "^CONFIG_USERFAULTFD=y" "$m/config")" = 1 ] && bash -n "$m/run_vmtests.sh"'
run env UFFDC_SIGNOFF="Test Person <tp@example.org>" "$ROOT/scripts/export-upstream" -q -o "$T/series2" "$T/kgit" --base HEAD~4
check "export-upstream: a git tree at --base REV -> the same series, byte for byte" \
	eval '[ "$code" = 0 ] && diff -r "$T/series" "$T/series2" >/dev/null'
sed -i '/uffd-unit-tests: uffd-common.c/d' "$kt/tools/testing/selftests/mm/Makefile"
run "$ROOT/scripts/export-upstream" -q -o "$T/series3" "$kt"
check "export-upstream: a Makefile without the anchor line -> exit 1 naming it" \
	eval '[ "$code" = 1 ] && has "Makefile" && has "no line matching"'
run "$ROOT/scripts/export-upstream" -q -o "$T/series3" "$T/kgit"
check "export-upstream: series already applied -> exit 1 saying so" eval '[ "$code" = 1 ] && has "already exists"'
run "$ROOT/scripts/export-upstream" --signoff "nobody" "$T/kgit"
check "export-upstream: a malformed --signoff -> exit 1" eval '[ "$code" = 1 ] && has "Name <email>"'
run "$ROOT/scripts/export-upstream"
check "export-upstream: no KERNEL_TREE -> usage error 2" [ "$code" = 2 ]
run env -u KSRC UFFDC_UPSTREAM_TARBALL="$T/none.tar.xz" SUITE_CACHE="$T/ucache" "$ROOT/scripts/check-upstream"
check "check-upstream: no kernel tree -> a skip-all plan with the reason, exit 4" \
	eval '[ "$code" = 4 ] && has "1..0 # SKIP no kernel tree"'

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

# --- get-harness pins a harness that reads argv; make CFLAGS= keeps ours ------
for h in old new; do
	mkdir -p "$T/ksrc-$h/tools/testing/selftests"
	: >"$T/ksrc-$h/tools/testing/selftests/kselftest.h"
done
printf '%s\n' 'static int test_harness_run(int __attribute__((unused)) argc,' \
	>"$T/ksrc-old/tools/testing/selftests/kselftest_harness.h"
printf '%s\n' 'static int test_harness_argv_check(int argc, char **argv)' \
	>"$T/ksrc-new/tools/testing/selftests/kselftest_harness.h"
run env KSRC="$T/ksrc-old" "$ROOT/scripts/get-harness" "$T/h-old"
check "get-harness: a harness that ignores argv (6.1's) is refused, exit 1" \
	eval '[ "$code" = 1 ] && has "ignores its arguments" && [ ! -e "$T/h-old/kselftest_harness.h" ]'
run env KSRC="$T/ksrc-new" "$ROOT/scripts/get-harness" "$T/h-new"
check "get-harness: a harness that reads argv is taken" \
	eval '[ "$code" = 0 ] && [ -e "$T/h-new/kselftest_harness.h" ]'
run make -s -n -C "$ROOT" BUILD="$T/mk" CFLAGS=-O1 "$T/mk/obj/util.o"
check "make CFLAGS=-O1: the compile line keeps the include and warning flags" \
	eval 'has_re "gcc .*-Wall.*-Iselftests .*-O1 .*util\.c|cc .*-Wall.*-Iselftests .*-O1 .*util\.c"'

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
check "vmtest: kernel cmdline has console, panic=-1, printk.time, lockups reported without panic" \
	eval 'grep -q "console=ttyS0.*printk.time=1.*panic=-1 softlockup_panic=0 hung_task_panic=0" "$T/console.out"'
check "vmtest: the guest init shortens hung_task_timeout_secs and starts the kmsg relay" \
	eval 'grep -q "echo 20 >/proc/sys/kernel/hung_task_timeout_secs" "$T/st/init" && grep -q "cat /dev/kmsg" "$T/st/init" && grep -q "kmsg-relay.awk" "$T/st/init"'
# The relay, run by the guest's awk (busybox) over /dev/kmsg records: after
# a hung-task report, the records below the console level, once each.
if command -v busybox >/dev/null; then
	printf '%s\n' '6,500,23400000,-;an info line before the report' \
		'3,501,23520114,-;INFO: task t_pass:88 blocked for more than 20 seconds.' \
		'3,502,23520791,-;      Not tainted 6.99.0-fake #1' \
		'6,503,23521263,-;task:t_pass          state:D stack:0     pid:88    ppid:86     flags:0x00004002' \
		' SUBSYSTEM=cpu' \
		'6,504,23521540,-;Call Trace:' '6,505,23521815,-; rwsem_down_write_slowpath+0x2a4/0x5d0; x' \
		'4,506,23522000,-;a warning the console showed' \
		'6,503,23521263,-;task:t_pass state:D (read again after a restart)' >"$T/kmsg"
	run busybox awk -F';' -v cl=5 -f "$T/st/kmsg-relay.awk" "$T/kmsg"
	check "kmsg relay: the hung task's KERN_INFO stack, with timestamps, nothing else" \
		eval '[ "$code" = 0 ] && [ "$out" = "$(printf "%s\n" "[   23.521263] task:t_pass          state:D stack:0     pid:88    ppid:86     flags:0x00004002" "[   23.521540] Call Trace:" "[   23.521815]  rwsem_down_write_slowpath+0x2a4/0x5d0; x")" ]'
else
	n=$((n + 1))
	echo "ok $n - kmsg relay # SKIP no busybox"
fi
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

# --accel auto with a fake kvm device: every way kvm can fail before the
# boot marker ends in a tcg run and a cached verdict that the next run uses
# without probing.  Each case has its own cache.
touch "$T/kvm"
chmod 600 "$T/kvm"
# vmk KVM-BEHAVIOUR CACHE SCENARIO [vmtest args...]: one run of ./t_pass,
# calls reset; $KVMDEV overrides the kvm device.
vmk() {
	local kb=$1 cache=$2 scen=${3:-pass}
	shift 3
	: >"$T/st/calls"
	run env SUITE_CACHE="$cache" TMPDIR="$T/tmp" VMTEST_QEMU="$HERE/fake-qemu" \
		FAKE_QEMU_STATE="$T/st" FAKE_QEMU_SCENARIO="$scen" FAKE_QEMU_KVM="$kb" \
		VMTEST_KVM_DEV="${KVMDEV:-$T/kvm}" VMTEST_KVM_PROBE_TIMEOUT=2 \
		"$ROOT/scripts/vmtest" --kernel "$T/bzImage" --bin "$T/bin" "$@" ./t_pass
}
calls() { tr '\n' ' ' <"$T/st/calls" | sed 's/ $//'; }
cached() { cat "$1"/accel/kvm-* 2>/dev/null; }
while IFS='|' read -r kb what; do
	c=$T/acache-$kb
	start=$SECONDS
	vmk "$kb" "$c" pass
	check "vmtest --accel auto, kvm $kb: tcg rerun passes, 'kvm-fails' cached with the reason" \
		eval '[ "$code" = 0 ] && lastline_has "accel=tcg result=PASS" && [ "$(calls)" = "accel=kvm accel=tcg" ] &&
		cached "$c" | grep -q "^kvm-fails: .*$what" && [ "$(cached "$c" | wc -l)" = 1 ] &&
		has "accel: kvm failed: " && has "retrying with tcg" && has "verdict '"'"'kvm-fails'"'"' cached in $c/accel/kvm-" && [ $((SECONDS - start)) -lt 20 ]'
	vmk "$kb" "$c" pass
	check "vmtest --accel auto, kvm $kb: the next run goes straight to tcg and says why" \
		eval '[ "$code" = 0 ] && lastline_has "accel=tcg result=PASS" && [ "$(calls)" = "accel=tcg" ] &&
		has "accel: tcg (cached verdict '"'"'kvm-fails: " && hasnt "accel: trying kvm"'
done <<'EOF'
abort|qemu killed by SIGABRT before the boot marker: qemu-system-x86_64: error: failed to set MSR 0x10a
exit1|qemu exited with status 1 before the boot marker: .*failed to initialize kvm
nocpu|qemu exited with status 1 before the boot marker: .*CPU model 'host' requires KVM
hang|no boot marker within 2\.[0-9]s$
internal-error|qemu reported an error before the boot marker: KVM internal error
EOF
vmk abort "$T/acache-abort" fail --accel kvm
check "vmtest --accel kvm is strict: kvm aborts -> 125, no tcg run, qemu's error shown" \
	eval '[ "$code" = 125 ] && lastline_has "accel=kvm result=ERROR (guest never reached the boot marker (qemu killed by SIGABRT))" &&
	[ "$(calls)" = "accel=kvm" ] && has "failed to set MSR 0x10a" && hasnt "Aborted"'
start=$SECONDS
vmk internal-error "$T/acache-ie" pass --accel kvm
check "vmtest --accel kvm: qemu's KVM internal error ends the run at once -> 125" \
	eval '[ "$code" = 125 ] && lastline_has "result=ERROR" && has "KVM internal error" && [ $((SECONDS - start)) -lt 15 ] && fake_gone'

vmk exit1 "$T/acache-both" noboot
check "vmtest --accel auto: tcg does not boot either -> 125, no verdict cached" \
	eval '[ "$code" = 125 ] && lastline_has "accel=tcg result=ERROR" && [ "$(calls)" = "accel=kvm accel=tcg" ] &&
	[ -z "$(cached "$T/acache-both")" ] && has "no verdict cached"'

vmk ok "$T/acache-ok" pass
check "vmtest --accel auto: working kvm is used, no fallback, 'kvm-works' cached" \
	eval '[ "$code" = 0 ] && lastline_has "accel=kvm result=PASS" && [ "$(calls)" = "accel=kvm" ] && [ "$(cached "$T/acache-ok")" = kvm-works ]'
vmk ok "$T/acache-ok" pass
check "vmtest --accel auto: with 'kvm-works' cached, kvm is used again" \
	eval '[ "$code" = 0 ] && lastline_has "accel=kvm result=PASS" && [ "$(calls)" = "accel=kvm" ]'

vmk late-abort "$T/acache-late" pass
check "vmtest --accel auto: qemu dies after the boot marker -> FAIL under kvm, no tcg rerun" \
	eval '[ "$code" = 1 ] && lastline_has "accel=kvm result=FAIL (guest stopped before the done marker in cmd 1: ./t_pass (qemu killed by SIGABRT))" &&
	[ "$(calls)" = "accel=kvm" ] && [ "$(cached "$T/acache-late")" = kvm-works ]'
vmk ok "$T/acache-late2" warn
check "vmtest --accel auto: a kernel report under kvm -> FAIL under kvm, no tcg rerun" \
	eval '[ "$code" = 1 ] && lastline_has "accel=kvm result=FAIL (kernel: WARNING:" && [ "$(calls)" = "accel=kvm" ]'

mkdir -p "$T/acache-old/accel"
echo kvm-hangs >"$T/acache-old/accel/kvm-$(uname -r)-qemu-7.2.99"
vmk hang "$T/acache-old" pass
check "vmtest --accel auto: an older 'kvm-hangs' verdict is still honoured" \
	eval '[ "$code" = 0 ] && [ "$(calls)" = "accel=tcg" ] && has "cached verdict '"'"'kvm-hangs'"'"'"'

KVMDEV=$T/no-kvm vmk ok "$T/acache-noaccess" pass
check "vmtest --accel auto: no kvm device -> tcg without probing, nothing cached" \
	eval '[ "$code" = 0 ] && [ "$(calls)" = "accel=tcg" ] && has "not accessible" && [ -z "$(cached "$T/acache-noaccess")" ]'
vm pass --accel kvm ./t_pass
check "vmtest --accel kvm without a usable kvm device -> 125" [ "$code" = 125 ]

# A hung task in the guest: vmtest stops at the report, long before --timeout.
start=$SECONDS
vm hang-report --timeout 60 ./t_pass
check "vmtest: a hung-task report ends the run at once -> FAIL (hang), well before --timeout" \
	eval '[ "$code" = 1 ] && lastline_has "result=FAIL (hang: INFO: task t_pass:88 blocked for more than 20 seconds. (during cmd 1: ./t_pass))" &&
	[ $((SECONDS - start)) -lt 20 ]'
check "vmtest: the hang report and its trace are on stderr, the guest is gone" \
	eval 'has "hang report on the console after" && has "rwsem_down_write_slowpath+0x2a4/0x5d0" && fake_gone && [ -z "$(ls -A "$T/tmp")" ]'

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

# --- soak: runs tallied, on this machine (a fake program) and in a fake guest --
SB=$T/soak-bin
mkdir -p "$SB"
cat >"$SB/prog" <<'PROG'
#!/bin/sh
echo "# prog: seed=$$"
case $1 in
xfail) echo "# VIOLATION seek-flicker: page 3"; echo "ok 1 t # XFAIL known gap: seek-flicker=1" ;;
counted) echo "# fill-on-alloc=2 (ignored; UFFDC_STRICT=1 to fail): 9 pages"
	 echo "# seek-flicker=0 (ignored; UFFDC_STRICT=1 to fail): 0 pages"; echo "ok 1 fuzz" ;;
fail) echo "# VIOLATION lost-fault: page 2"; echo "not ok 1 t"; exit 1 ;;
skip) echo "ok 1 t # SKIP no THP here"; exit 4 ;;
hang) sleep 60 ;;
*) echo "ok 1 t" ;;
esac
PROG
chmod +x "$SB/prog"
if [ "$(id -u)" = 0 ]; then
	run "$ROOT/scripts/soak" --bin "$SB" --runs 3 "./prog xfail"
	check "soak: 3 runs that pass with a known gap: 3 oks, each with its seed, the gap fenced" \
		eval '[ "$code" = 0 ] && [ "$(grep -c "^ok [0-9] - run [0-9]: seed [0-9]*, exit 0, .*named: seek-flicker, 1 XFAIL" <<<"$out")" = 3 ] &&
		has "fenced (named in runs that passed): seek-flicker in 3 run(s): 1 2 3" && has "# findings: none" &&
		[ "$(tail -n 1 <<<"$out")" = "3 passed, 0 failed, 0 skipped" ]'
	run "$ROOT/scripts/soak" --bin "$SB" --runs 1 "./prog counted"
	check "soak: a gap the program counted as ignored (the fuzzer's) is named fenced; a zero count is not" \
		eval '[ "$code" = 0 ] && has_re "^ok 1 - run 1: .*named: fill-on-alloc$" &&
		has "fenced (named in runs that passed): fill-on-alloc in 1 run(s): 1" && hasnt "seek-flicker"'
	run "$ROOT/scripts/soak" --bin "$SB" --runs 2 "./prog fail"
	check "soak: a failing run is not ok, its finding and first line named, exit 1" \
		eval '[ "$code" = 1 ] && has_re "^not ok 1 - run 1: seed [0-9]+, exit 1, .*named: lost-fault" &&
		has "#   VIOLATION lost-fault: page 2" && has "finding (runs that failed): lost-fault in 2 run(s): 1 2" &&
		[ "$(tail -n 1 <<<"$out")" = "0 passed, 2 failed, 0 skipped" ]'
	run "$ROOT/scripts/soak" --bin "$SB" --runs 1 --timeout 2 "./prog hang"
	check "soak: a run past --timeout is killed and failed as a hang, in bounded time" \
		eval '[ "$code" = 1 ] && has "exit 124" && has "a hang" && has "unnamed in 1 run(s)"'
	run "$ROOT/scripts/soak" --bin "$SB" --for 1 "./prog skip"
	check "soak: --for S repeats runs until S seconds passed; exit 4 is a skip with its reason" \
		eval '[ "$code" = 0 ] && has_re "^ok 1 - run 1: .* # SKIP no THP here$" &&
		has_re "^0 passed, 0 failed, [1-9][0-9]* skipped$"'
else
	tap_skip "soak on this machine" "needs root"
fi
run env SOAK_VMTEST="$HERE/fake-vmtest-soak" FAKE_SOAK=xfail FAKE_SOAK_ARGS="$T/soak.args" \
	"$ROOT/scripts/soak" --kernel 6.12 --swap 256 --runs 2 --bin "$SB" ./uffd_collapse_stress
check "soak in a guest: one boot per run with --swap, kinds and the run's time from the console log (printk lines name nothing)" \
	eval '[ "$code" = 0 ] && [ "$(wc -l <"$T/soak.args")" = 2 ] && grep -q -- "--swap 256" "$T/soak.args" &&
	has_re "^ok 2 - run 2: seed 42, exit 0, 7.0 s, named: seek-flicker, 1 XFAIL; vmtest: PASS" && hasnt "lost-fault"'
run env SOAK_VMTEST="$HERE/fake-vmtest-soak" FAKE_SOAK=fail \
	"$ROOT/scripts/soak" --kernel 6.12 --runs 1 --bin "$SB" ./uffd_collapse_stress
check "soak in a guest: vmtest's FAIL is a failed run naming the kind" \
	eval '[ "$code" = 1 ] && has_re "^not ok 1 - run 1: seed 42, exit 1, .*named: lost-fault; vmtest: FAIL"'
run env SOAK_VMTEST="$HERE/fake-vmtest-soak" FAKE_SOAK=cannot \
	"$ROOT/scripts/soak" --kernel 6.12 --runs 5 --bin "$SB" ./uffd_collapse_stress
check "soak in a guest: a guest that cannot boot stops the soak with 125 after one try" \
	eval '[ "$code" = 125 ] && [ "$(grep -c "^not ok" <<<"$out")" = 1 ] && has "cannot test"'
for bad in "--runs 0 ./p" "--for x ./p" "--timeout -1 ./p" "--swap 64 ./p" "./p ./q" "''"; do
	eval "run \"\$ROOT/scripts/soak\" --bin \"\$SB\" $bad"
	check "soak $bad: one line, exit 2" eval '[ "$code" = 2 ] && [ "$(wc -l <<<"$out")" = 1 ]'
done

# --- fuzz-gate verdicts (fake-vmtest-fuzz stands in for the QEMU runs) ---------
# The real fuzzer writes each reproducer and cc builds it: needs build/.
gate() {	# gate VAR=VALUE... : the gate, with that fake kernel behaviour
	run env FUZZ_GATE_VMTEST="$HERE/fake-vmtest-fuzz" FAKE_MIN_OPS=4 "$@" \
		"$ROOT/scripts/fuzz-gate"
}
if [ -x "$ROOT/build/uffd_collapse_fuzz" ] && command -v cc >/dev/null; then
	gate
	check "fuzz-gate: bug found, minimized, reproduced, fixed kernel clean -> six oks" \
		eval '[ "$code" = 0 ] && [ "$(grep -c "^ok " <<<"$out")" = 6 ] && ! has_re "^not ok"'
	check "fuzz-gate: builds the reproducer it writes (cc -static)" \
		has_re '^ok 3 - reproducer builds: cc -static'
	gate FAKE_BAD_FINDS=0
	check "fuzz-gate: 6.1 finds nothing -> not ok 1 and 2" \
		eval '[ "$code" = 1 ] && has_re "^not ok 1 - 6.1: the fuzzer finds" && has_re "^not ok 2 - 6.1: minimized to 0"'
	gate FAKE_MIN_OPS=11
	check "fuzz-gate: minimized to 11 operations -> not ok 2" \
		eval '[ "$code" = 1 ] && has_re "^not ok 2 - 6.1: minimized to 11 operations" && has_re "^ok 1 "'
	gate FAKE_REPRO_BAD_RC=0
	check "fuzz-gate: reproducer passes on the buggy kernel -> not ok 4" \
		eval '[ "$code" = 1 ] && has_re "^not ok 4 - 6.1: the reproducer exits 1" && has_re "^ok 5 "'
	gate FAKE_REPRO_GOOD_RC=1
	check "fuzz-gate: reproducer fails on the fixed kernel -> not ok 5" \
		eval '[ "$code" = 1 ] && has_re "^not ok 5 - 6.12: the reproducer exits 0"'
	gate FAKE_GOOD_FINDS=1
	check "fuzz-gate: a finding on the fixed kernel -> not ok 6" \
		eval '[ "$code" = 1 ] && has_re "^not ok 6 - 6.12: no finding" && has_re "^ok 5 "'
else
	echo "# fuzz-gate checks skipped: needs build/uffd_collapse_fuzz (make) and cc"
fi

tap_done

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The LAVA tooling's own tests, without QEMU: reading the results LAVA
# recorded (tests/scripts/fixtures/lava: lava-run logs of the 6.1.192 and
# 6.12.117 jobs, as recorded by scripts/lava-local and trimmed, the same in
# lava-server's output.yaml form, `lavacli jobs results --yaml`, a canceled
# job), scripts/lava-results' lines, exit codes and JUnit, and
# scripts/lava-matrix: a 2 kernels x 2 configs matrix gives 4 jobs that
# LAVA's job schema accepts and, where lava-run is installed, that
# `lava-run --validate` accepts; --gather and --submit/--fetch (a fake
# lavacli).  Parts that need lava-dispatcher's Python modules SKIP
# without it.  Prints TAP and "N passed, N failed".
#
#   tests/scripts/lava.sh
set -u -o pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
FIX=$ROOT/tests/scripts/fixtures/lava
# shellcheck source-path=SCRIPTDIR/../.. source=scripts/lib/tap.sh
. "$ROOT/scripts/lib/tap.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/lava-selftest.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
py=/usr/bin/python3
lj=$ROOT/scripts/lib/lava_job.py
lr=$ROOT/scripts/lava-results
lm=$ROOT/scripts/lava-matrix

if ! "$py" -c 'import yaml, jinja2' 2>/dev/null; then
	tap_skip_all "python3-yaml or python3-jinja2 missing (scripts/setup installs them)"
fi
lastline_has() { local last=${out##*$'\n'}; [[ "$last" == *"$1"* ]]; }
have_lava=0
"$py" -c 'import lava_common.schemas' 2>/dev/null && have_lava=1

# line RESULT CASE FILE: lava-results printed "RESULT JOB SUITE/CASE" for it.
line() { grep -qE "^$1 [^ ]+ [0-9]+_uffd-collapse/$2\$" <<<"$out"; }

# --- reading what LAVA recorded ------------------------------------------------
run "$lr" "$FIX/lava-run-6.1.192.yaml"
check "6.1.192 lava-run log: the job completed, LAVA's own cases pass" \
	eval 'has "PASS lava-run-6.1.192 lava/job" && has "PASS lava-run-6.1.192 lava/login-action" && ! has_re "^FAIL [^ ]+ lava/"'
check "6.1.192: uffd_collapse_contract and a shmem scenario fail, a private-anonymous one passes" \
	eval 'line FAIL uffd_collapse_contract && line FAIL "uffd_collapse_contract.contract.memfd_madv_other_whole_sparse.missing_faults" &&
	line PASS "uffd_collapse_contract.contract.private_anon_madv_self_whole_sparse.missing_faults"'
check "6.1.192: kernel-log passes; a failed test case makes lava-results exit 1" \
	eval 'line PASS kernel-log && [ "$code" = 1 ]'
check "6.1.192: the closing line counts every result" \
	eval 'lastline_has "$(grep -c "^PASS " <<<"$out") passed, $(grep -c "^FAIL " <<<"$out") failed, $(grep -c "^SKIP " <<<"$out") skipped"'
nbad=$(grep -cE '^(PASS|FAIL|SKIP) ' <<<"$out")

run "$lr" "$FIX/lava-run-6.12.117.yaml"
check "6.12.117 lava-run log: every case passes or skips, exit 0" \
	eval '[ "$code" = 0 ] && ! has_re "^FAIL " && line PASS uffd_collapse_contract && line PASS kernel-log &&
	line PASS "uffd_collapse_contract.contract.memfd_madv_other_whole_sparse.missing_faults"'
check "6.12.117: a fill scenario (XFAIL on the device) is recorded as pass" \
	eval 'line PASS "uffd_collapse_contract.contract.memfd_fill_load.missing_faults"'
check "6.12.117: the same number of results as 6.1.192" \
	eval '[ "$(grep -cE "^(PASS|FAIL|SKIP) " <<<"$out")" = "$nbad" ]'

# lava-server keeps the same records as a YAML list (output.yaml).
sed 's/^/- /' "$FIX/lava-run-6.12.117.yaml" >"$T/output.yaml"
run "$lr" --name a "$FIX/lava-run-6.12.117.yaml"
# shellcheck disable=SC2034  # read in the eval below
from_log=$out
run "$lr" --name a "$T/output.yaml"
check "lava-server's output.yaml form reads as the lava-run log does" \
	eval '[ "$out" = "$from_log" ] && [ "$code" = 0 ]'

run "$lr" "$FIX/lavacli-results.yaml"
check "lavacli jobs results --yaml: suite/name/result, a fail and a skip" \
	eval '[ "$code" = 1 ] && has "PASS lavacli-results lava/job" && has "PASS lavacli-results lava/login-action" &&
	has "FAIL lavacli-results 1_uffd-collapse/uffd_collapse_contract" &&
	has "SKIP lavacli-results 1_uffd-collapse/uffd_collapse_contract.contract.tmpfs_advise_khugepaged_partial_one.missing_faults" &&
	lastline_has "3 passed, 1 failed, 1 skipped"'

run "$lr" "$FIX/canceled.yaml"
check "a canceled job: lava/job fail recorded, exit 1" \
	eval '[ "$code" = 1 ] && has "FAIL canceled lava/job" && has "FAIL canceled lava/validate"'

: >"$T/empty.yaml"
run "$lr" "$T/empty.yaml"
check "a file without any result: the job did not run, exit 1" \
	eval '[ "$code" = 1 ] && has "FAIL empty results (none recorded)" && lastline_has "0 passed, 1 failed"'
printf 'key: [unclosed\n' >"$T/bad.yaml"
run "$lr" "$T/bad.yaml"
check "a file that is not YAML: one line, exit 2" eval '[ "$code" = 2 ] && [ "$(wc -l <<<"$out")" = 1 ]'
run "$lr" "$T/no-such-file"
check "a missing file: exit 2" eval '[ "$code" = 2 ] && has "cannot read"'
run "$lr"
check "no FILE: usage, exit 2" eval '[ "$code" = 2 ]'

run "$lr" -o "$T/r.xml" "$FIX/lava-run-6.1.192.yaml" "$FIX/lava-run-6.12.117.yaml" "$T/empty.yaml"
run "$py" - "$T/r.xml" "$nbad" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = {s.get('name'): s for s in root.iter('testsuite')}
assert 'lava-run-6.1.192/lava' in suites, suites.keys()
td = [n for n in suites if n.startswith('lava-run-6.1.192/') and n.endswith('_uffd-collapse')]
assert len(td) == 1, td
bad = suites[td[0]]
case = [c for c in bad.iter('testcase') if c.get('name') == 'uffd_collapse_contract'][0]
assert case.find('failure') is not None
assert int(bad.get('failures')) > 0
good = [s for n, s in suites.items() if n.startswith('lava-run-6.12.117/') and n.endswith('_uffd-collapse')][0]
assert good.get('failures') == '0', good.get('failures')
assert suites['empty'].find('testcase/failure') is not None
n = sum(1 for s in suites.values() if s.get('name').startswith('lava-run-6.1.192/') for c in s.iter('testcase'))
assert n == int(sys.argv[2]), (n, sys.argv[2])
PY
check "JUnit: a testsuite per job and LAVA suite, failures where LAVA recorded fail, one per result" [ "$code" = 0 ]

# --- the matrix -----------------------------------------------------------------
mkdir -p "$T/art"
for f in bz-a bz-b rootfs.cpio.gz uffd-collapse-kselftest.tar.gz; do : >"$T/art/$f"; done
cat >"$T/matrix.yaml" <<EOF
lab:
  testdef_repo: https://git.example.org/uffd-collapse.git
  testdef_revision: main
  artifact_url: file://$T/art
kernels:
  - name: "6.1.192"
    url: "file://$T/art/bz-a"
  - name: "6.12.117"
    url: "file://$T/art/bz-b"
configs: [base, swap]
programs: [contract]
EOF
run "$lm" -o "$T/m" "$T/matrix.yaml"
check "lava-matrix: 2 kernels x 2 configs x 1 program -> 4 job files, TAP" \
	eval '[ "$code" = 0 ] && [ "$(ls "$T/m/jobs" | wc -l)" = 4 ] && [ "$(wc -l <"$T/m/cells.tsv")" = 4 ] &&
	lastline_has "4 passed, 0 failed" && [ -f "$T/m/jobs/6.12.117-swap-contract.yaml" ]'
run "$py" - "$T/m/jobs/6.1.192-swap-contract.yaml" "$T" <<'PY'
import sys, yaml
j = yaml.safe_load(open(sys.argv[1]))
d, b, t = (a[k] for a, k in zip(j['actions'], ('deploy', 'boot', 'test')))
k = d['images']['kernel']
assert k['url'] == 'file://%s/art/bz-a' % sys.argv[2], k['url']
assert 'brd.rd_size=262144' in k['image_arg'] and '-smp 2,sockets=2' in k['image_arg']
r = d['images']['ramdisk']
assert r['format'] == 'cpio.newc' and r['overlays']['lava'] is True
assert r['overlays']['suite']['path'] == '/opt/uffd-collapse'
assert b['method'] == 'qemu' and b['prompts'] == ['uffdc# ']
td = t['definitions'][0]
assert td['path'] == 'ci/lava/uffd-collapse.yaml' and td['revision'] == 'main'
assert td['parameters']['SWAP_DEV'] == '/dev/ram0'
assert td['parameters']['TESTS'] == 'uffd_collapse:uffd_collapse_contract'
assert j['metadata']['uffdc.config'] == 'swap'
assert j['timeouts']['job']['minutes'] >= t['timeout']['minutes'] + b['timeout']['minutes']
PY
check "a swap cell: its kernel URL, RAM disk on the command line, SWAP_DEV, the overlays, timeouts" [ "$code" = 0 ]

if [ "$have_lava" = 1 ]; then
	run "$lm" -o "$T/m" --validate "$T/matrix.yaml"
	check "LAVA's job schema (lava_common, as lava-server on submit) accepts the 4 jobs" \
		eval '[ "$code" = 0 ] && [ "$(grep -c "job schema: valid" <<<"$out")" = 4 ]'
	run "$py" - "$T/m/jobs/6.1.192-base-contract.yaml" <<'PY'
import sys, yaml
from lava_common.schemas import validate
j = yaml.safe_load(open(sys.argv[1]))
j['actions'][2]['test']['definitions'][0]['name'] = 'has space'
try:
    validate(j, strict=True)
except Exception:
    sys.exit(0)
sys.exit(1)
PY
	check "the schema check is real: a test name with a space is refused" [ "$code" = 0 ]
else
	tap_skip "LAVA's job schema accepts the 4 jobs" "no lava_common (apt-get install lava-dispatcher)"
	tap_skip "the schema check is real" "no lava_common"
fi

templates=${LAVA_DEVICE_TYPES:-$(ls -d "${SUITE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/uffd-collapse-suite}"/lava/lava-server-*/device-types 2>/dev/null | tail -n 1)}
if [ "$have_lava" = 1 ] && command -v lava-run >/dev/null && [ -r "$templates/qemu.jinja2" ]; then
	"$py" "$lj" device "$ROOT/ci/lava/devices/qemu-uffdc.jinja2" "$templates" no_kvm=true >"$T/device.yaml"
	check "the device dictionary renders with lava-server's qemu.jinja2" \
		eval 'grep -q "qemu-system-x86_64" "$T/device.yaml" && grep -q -- "-accel tcg" "$T/device.yaml" && ! grep -q -- "-enable-kvm" "$T/device.yaml"'
	run "$lm" -o "$T/m" --device "$T/device.yaml" "$T/matrix.yaml"
	check "lava-run --validate accepts the 4 jobs on that device" \
		eval '[ "$code" = 0 ] && [ "$(grep -c "lava-run --validate: pass" <<<"$out")" = 4 ]'
else
	tap_skip "the device dictionary renders" "no lava-run or no lava-server templates (scripts/lava-local fetches them)"
	tap_skip "lava-run --validate accepts the 4 jobs" "no lava-run or no lava-server templates"
fi

run "$lm" -o "$T/m2" "$FIX/../../../../ci/lava/matrix.yaml"
check "ci/lava/matrix.yaml (2 kernels x 4 configs x 2 programs) expands to 16 jobs" \
	eval '[ "$code" = 0 ] && [ "$(ls "$T/m2/jobs" | wc -l)" = 16 ]'

printf 'kernels:\n  - name: a\n    debian: "6.1"\n    url: x\n' >"$T/bad-matrix.yaml"
run "$lm" -o "$T/m3" "$T/bad-matrix.yaml"
check "a kernel with two sources is refused, naming it" eval '[ "$code" = 2 ] || [ "$code" = 1 ]; has "kernel a: exactly one of"'
printf 'kernels:\n  - name: a\n    debian: "6.1"\nlab:\n  testdef_repo: x\n' >"$T/nourl.yaml"
run "$lm" -o "$T/m3" "$T/nourl.yaml"
check "a kernel built here without artifact_url is refused, saying where to set it" \
	eval '[ "$code" = 1 ] && has "artifact_url"'

# --- results back: --gather, --submit, --fetch ----------------------------------
g=$T/m
mkdir -p "$g/results"
cp "$FIX/lava-run-6.1.192.yaml" "$g/results/6.1.192-base-contract.yaml"
cp "$FIX/lava-run-6.12.117.yaml" "$g/results/6.12.117-base-contract.yaml"
cp "$FIX/lavacli-results.yaml" "$g/results/6.12.117-swap-contract.yaml"
run "$lm" --gather "$g"
check "--gather: one JUnit of every cell; the cell without results fails; exit 1" \
	eval '[ "$code" = 1 ] && [ -s "$g/results.xml" ] && has "FAIL 6.1.192-swap-contract results (none recorded)" &&
	grep -q "testsuite name=\"6.12.117-swap-contract/lava\"" "$g/results.xml"'

cat >"$T/lavacli" <<'EOF'
#!/bin/bash
# fake lavacli: -i ID jobs submit FILE | jobs wait N | jobs results N --yaml
echo "$*" >>"${LAVACLI_LOG:?}"
case "$3 $4" in
"jobs submit") n=$(($(wc -l <"$LAVACLI_LOG") + 100)); echo "$n" ;;
"jobs wait") echo "Finished" ;;
"jobs results") cat "$LAVACLI_RESULTS" ;;
*) exit 1 ;;
esac
EOF
chmod +x "$T/lavacli"
export LAVACLI_LOG=$T/lavacli.log LAVACLI_RESULTS=$FIX/lavacli-results.yaml
: >"$LAVACLI_LOG"
rm -rf "$g/results"
PATH=$T:$PATH run "$lm" --submit lab "$g"
check "--submit: lavacli -i ID jobs submit each job, ids in submitted.tsv" \
	eval '[ "$code" = 0 ] && [ "$(wc -l <"$g/submitted.tsv")" = 4 ] &&
	grep -q "^-i lab jobs submit $g/jobs/6.1.192-base-contract.yaml" "$LAVACLI_LOG"'
PATH=$T:$PATH run "$lm" --fetch lab "$g"
check "--fetch: waits for each job and stores lavacli's results per cell" \
	eval '[ "$code" = 0 ] && [ "$(ls "$g/results" | wc -l)" = 4 ] && grep -q "jobs wait" "$LAVACLI_LOG" &&
	grep -q -- "--yaml" "$LAVACLI_LOG"'
run "$lm" --gather -o "$T/all.xml" "$g"
check "--gather -o: 4 cells of lavacli results into one JUnit" \
	eval '[ "$code" = 1 ] && [ "$(grep -o "<testsuite " "$T/all.xml" | wc -l)" = 8 ]'

tap_done

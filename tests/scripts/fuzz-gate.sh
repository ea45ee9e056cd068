#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/scripts/fuzz-gate.sh - scripts/fuzz-gate's verdicts, with
# tests/scripts/fake-vmtest-fuzz standing in for the QEMU runs.  The real
# fuzzer writes each reproducer and cc builds it, so build/ must be built.
# Prints "ok N - desc" per check and "N passed, N failed".
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd "$HERE/../.." && pwd -P)
export FUZZ_GATE_VMTEST=$HERE/fake-vmtest-fuzz
n=0 nfail=0 out= code=

gate() {	# gate VAR=VALUE... : run the gate with that fake kernel behaviour
	out=$(env FAKE_MIN_OPS=4 "$@" "$ROOT/scripts/fuzz-gate" 2>&1)
	code=$?
}

check() {
	local desc=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		nfail=$((nfail + 1))
		printf '%s\n' "$out" | tail -n 15 | sed 's/^/#   | /'
		echo "#   exit code: $code"
	fi
}
has() { grep -qE -- "$1" <<<"$out"; }

if [ ! -x "$ROOT/build/uffd_collapse_fuzz" ] || ! command -v cc >/dev/null; then
	echo "1..0 # SKIP needs build/uffd_collapse_fuzz (make) and cc"
	exit 4
fi

gate
check "bug found, minimized, reproduced, fixed kernel clean -> exit 0, six oks" \
	eval '[ "$code" = 0 ] && [ "$(grep -c "^ok " <<<"$out")" = 6 ] && ! has "^not ok"'
check "the gate builds the reproducer it writes (cc -static)" \
	has '^ok 3 - reproducer builds: cc -static'
gate FAKE_BAD_FINDS=0
check "6.1 finds nothing -> not ok 1 and 2, exit 1" \
	eval '[ "$code" = 1 ] && has "^not ok 1 - 6.1: the fuzzer finds" && has "^not ok 2 - 6.1: minimized to 0"'
gate FAKE_MIN_OPS=11
check "minimized to 11 operations -> not ok 2" \
	eval '[ "$code" = 1 ] && has "^not ok 2 - 6.1: minimized to 11 operations" && has "^ok 1 "'
gate FAKE_REPRO_BAD_RC=0
check "reproducer passes on the buggy kernel -> not ok 4" \
	eval '[ "$code" = 1 ] && has "^not ok 4 - 6.1: the reproducer exits 1" && has "^ok 5 "'
gate FAKE_REPRO_GOOD_RC=1
check "reproducer fails on the fixed kernel -> not ok 5" \
	eval '[ "$code" = 1 ] && has "^not ok 5 - 6.12: the reproducer exits 0"'
gate FAKE_GOOD_FINDS=1
check "a finding on the fixed kernel -> not ok 6" \
	eval '[ "$code" = 1 ] && has "^not ok 6 - 6.12: no finding" && has "^ok 5 "'

echo "1..$n"
echo "$((n - nfail)) passed, $nfail failed"
[ "$nfail" -eq 0 ]

# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# TAP helpers for the suite's shell tests, sourced:
#   run CMD...       run CMD, its output (stdout and stderr) in $out, exit in $code
#   check DESC CMD... "ok N - DESC" when CMD succeeds, else "not ok N - DESC"
#                    with the tail of $out and $code as diagnostics
#   has TEXT / hasnt TEXT / has_re ERE   look in $out
#   tap_ok DESC / tap_notok DESC / tap_skip DESC   a result decided by the caller
#   tap_skip_all WHY  the whole file skips: "1..0 # SKIP WHY", exit 4
#   tap_done          the plan and the "N passed, N failed" line; returns
#                    non-zero when a check failed
n=0
nfail=0
out=
code=

run() {
	out=$("$@" 2>&1)
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
		if [ -n "$out" ]; then
			printf '%s\n' "$out" | tail -n 15 | sed 's/^/#   | /'
		fi
		echo "#   exit code: $code"
	fi
}

tap_ok() { n=$((n + 1)); echo "ok $n - $*"; }
tap_notok() { n=$((n + 1)); nfail=$((nfail + 1)); echo "not ok $n - $*"; }
tap_skip() { n=$((n + 1)); echo "ok $n - $* # SKIP"; }

has() { grep -F -- "$1" <<<"$out" >/dev/null; }
hasnt() { ! has "$1"; }
has_re() { grep -E -- "$1" <<<"$out" >/dev/null; }

tap_skip_all() {
	echo "1..0 # SKIP $1"
	exit 4
}

tap_done() {
	echo "1..$n"
	echo "$((n - nfail)) passed, $nfail failed"
	[ "$nfail" = 0 ]
}

# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# TAP helpers for the suite's shell tests, sourced:
#   run CMD...       run CMD, its output (stdout and stderr) in $out, exit in $code
#   check DESC CMD... "ok N - DESC" when CMD succeeds, else "not ok N - DESC"
#                    with the tail of $out and $code as diagnostics
#   has TEXT / hasnt TEXT / has_re ERE   look in $out
#   tap_ok DESC / tap_notok DESC   a result decided by the caller
#   tap_skip DESC [WHY]  "ok N - DESC # SKIP[ WHY]"
#   tap_status RC DESC   tap_ok DESC when RC is 0 (an exit status), else
#                    tap_notok DESC:  [ "$rc" = 0 ]; tap_status $? "DESC"
#   tap_diag [FILE...]   its input or the files, each line as a "# " diagnostic
#   tap_skip_all WHY  the whole file skips: "1..0 # SKIP WHY", exit 4
#   tap_plan          the plan "1..N"; returns non-zero when a check failed
#   tap_done          the plan and the "N passed, N failed" line; returns
#                    non-zero when a check failed
# tap_sep is what stands between the number and the description (" - ").
n=0
nfail=0
out=
code=
tap_sep=" - "

run() {
	out=$("$@" 2>&1)
	code=$?
}

check() {
	local desc=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n$tap_sep$desc"
	else
		echo "not ok $n$tap_sep$desc"
		nfail=$((nfail + 1))
		if [ -n "$out" ]; then
			printf '%s\n' "$out" | tail -n 15 | sed 's/^/#   | /'
		fi
		echo "#   exit code: $code"
	fi
}

tap_ok() { n=$((n + 1)); echo "ok $n$tap_sep$*"; }
tap_notok() { n=$((n + 1)); nfail=$((nfail + 1)); echo "not ok $n$tap_sep$*"; }
tap_skip() { n=$((n + 1)); echo "ok $n$tap_sep$1 # SKIP${2:+ $2}"; }
tap_status() {
	local rc=$1
	shift
	if [ "$rc" = 0 ]; then tap_ok "$@"; else tap_notok "$@"; fi
}
tap_diag() { sed 's/^/# /' "$@"; }

has() { grep -F -- "$1" <<<"$out" >/dev/null; }
hasnt() { ! has "$1"; }
has_re() { grep -E -- "$1" <<<"$out" >/dev/null; }

tap_skip_all() {
	echo "1..0 # SKIP $1"
	exit 4
}

tap_plan() {
	echo "1..$n"
	[ "$nfail" = 0 ]
}

tap_done() {
	echo "1..$n"
	echo "$((n - nfail)) passed, $nfail failed"
	[ "$nfail" = 0 ]
}

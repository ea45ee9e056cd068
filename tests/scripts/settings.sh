#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/scripts/settings.sh - THP settings survive anything, one run at a time
#
# Runs the built programs on this machine (root) and asserts, after each
# way a run can end, that THP sysfs is exactly as it was before (every
# knob but the read-only stats):
#   - kill -9 of a program mid-run: its supervisor restores, and no
#     process of the run (the harness's test child included) survives;
#   - kill -9 of the program and its supervisor: the next run of any
#     program, or scripts/thp-restore, restores from the state file;
#   - SIGTERM, SIGINT, and SIGPIPE (output piped into head);
#   - two programs started together: one waits for the other, both pass;
#   - a bounded lock wait ends in SKIP with the reason, a bad
#     UFFDC_LOCK_WAIT in a one-line error and exit 2;
#   - unprivileged (setpriv): every program SKIPs with exit 4.
#
#   tests/scripts/settings.sh [BUILD_DIR]
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd "$HERE/../.." && pwd -P)
# shellcheck source-path=SCRIPTDIR/../.. source=scripts/lib/tap.sh
. "$ROOT/scripts/lib/tap.sh"

B=${1:-$ROOT/build}
SYSFS=/sys/kernel/mm/transparent_hugepage
STATE=/run/uffd-collapse-suite/thp.state
LOCK=/run/uffd-collapse-suite/thp.lock

[ "$(id -u)" = 0 ] || tap_skip_all "needs root (changes THP sysfs)"
[ -d "$SYSFS" ] || tap_skip_all "no THP sysfs on this kernel"
for p in uffd_collapse_contract uffd_collapse_stress helpers_test uffd_collapse_fuzz; do
	[ -x "$B/$p" ] || tap_skip_all "$B/$p not built (make)"
done
T=$(mktemp -d "${TMPDIR:-/tmp}/settings-test.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT

snapshot() {
	local f
	# Every writable knob: the stats and counters change by themselves.
	(cd "$SYSFS" && find . -type f -perm /200 | LC_ALL=C sort |
		while IFS= read -r f; do printf '%s=%s\n' "$f" "$(cat "$f" 2>/dev/null)"; done)
}
# Under the suite's lock: no other run is changing the settings then, so
# another run on the machine (CI beside a developer) cannot skew the
# comparison; runs restore before they release it.
locked_snapshot() {
	flock -w 900 "$LOCK" bash -c "$(declare -f snapshot); SYSFS=$SYSFS; snapshot"
}
mkdir -p "${LOCK%/*}"
locked_snapshot >"$T/before"
same() {
	locked_snapshot >"$T/now"
	out=$(diff "$T/before" "$T/now")
}
# wait_until SECS CMD...: poll CMD every 0.1 s, bounded
wait_until() {
	local i limit=$(($1 * 10))
	shift
	for ((i = 0; i < limit; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
changed() { [ -e "$STATE" ] && ! snapshot | cmp -s - "$T/before"; }
no_state() { [ ! -e "$STATE" ]; }
settled() { no_state && snapshot | cmp -s - "$T/before"; }
group_gone() { ! pgrep -g "$1" >/dev/null; }
# The supervisor of the run whose owner was PID: a session leader of the
# same name, detached (its own session).
supervisor_of() {
	ps -eo pid=,sid=,stat=,comm= | awk -v c="${2:0:15}" -v o="$1" \
		'$1 == $2 && $3 !~ /^Z/ && $4 == c && $1 != o { print $1 }'
}

# start NAME ARGS...: the program in a process group of its own; $pid
start() {
	local p=$1
	shift
	# A background job of a script starts with SIGINT ignored: undo that.
	setsid env --default-signal=INT,QUIT "$B/$p" "$@" >"$T/$p.out" 2>&1 </dev/null &
	pid=$!
}

# --- kill -9 mid-run: the supervisor restores, the run's processes are gone
for cmd in "uffd_collapse_stress --duration 30" \
	   "uffd_collapse_fuzz --seed 1 --duration 30 --findings $T/findings"; do
	p=${cmd%% *}
	# shellcheck disable=SC2086
	start $cmd
	if wait_until 20 changed; then
		kill -9 "$pid"
		wait "$pid" 2>/dev/null
		wait_until 20 group_gone "$pid"
		check "kill -9 of $p: no process of its group survives (its children die with it)" \
			group_gone "$pid"
		wait_until 20 settled
		same
		check "kill -9 of $p: THP sysfs exactly as before (supervisor)" [ -z "$out" ]
		check "kill -9 of $p: the state file is gone" no_state
	else
		check "$p changed THP settings within 20 s (to kill it mid-run)" false
	fi
done

# --- kill -9 of the run and its supervisor: the next run restores
for next in "contract" "thp-restore"; do
	start uffd_collapse_stress --duration 30
	if wait_until 20 changed; then
		sup=$(supervisor_of "$pid" uffd_collapse_stress)
		# shellcheck disable=SC2086
		kill -9 "$pid" $sup
		wait "$pid" 2>/dev/null
		wait_until 20 group_gone "$pid"
		check "kill -9 of the stress and its supervisor ($sup): the state file stays" \
			eval '[ -n "$sup" ] && [ -e "$STATE" ]'
		if [ "$next" = contract ]; then
			run "$B/uffd_collapse_contract" -l
			check "next run (uffd_collapse_contract -l) restores the killed run's settings" \
				eval '[ "$code" -le 4 ] && has "restored" && settled'
		else
			run "$ROOT/scripts/thp-restore"
			check "scripts/thp-restore restores the killed run's settings" \
				eval '[ "$code" = 0 ] && has "restored" && settled'
		fi
		same
		check "after kill -9 and $next: THP sysfs exactly as before" [ -z "$out" ]
	else
		check "the stress changed THP settings within 20 s (to kill it mid-run)" false
	fi
done
run "$ROOT/scripts/thp-restore"
check "scripts/thp-restore with nothing to restore: exit 0" eval '[ "$code" = 0 ] && has "nothing to restore"'

# --- catchable signals
# A signal this shell was started ignoring (nohup ignores HUP) is ignored
# by the programs too, as it should be: nothing to test then.
ignored_by_caller() {
	local mask
	mask=$(awk '/^SigIgn:/ { print $2 }' /proc/$$/status)
	(((16#$mask >> ($(kill -l "$1") - 1)) & 1))
}
for sig in TERM INT HUP; do
	if ignored_by_caller "$sig"; then
		tap_skip "SIG$sig: the stress dies by it, THP sysfs exactly as before at once" \
			"SIG$sig ignored by this test's caller (nohup?): the programs inherit that"
		continue
	fi
	start uffd_collapse_stress --duration 30
	if wait_until 20 changed; then
		kill -"$sig" "$pid"
		wait "$pid" 2>/dev/null
		# shellcheck disable=SC2034  # read by the check's eval below
		code=$?
		wait_until 20 group_gone "$pid"
		same
		check "SIG$sig: the stress dies by it, THP sysfs exactly as before at once" \
			eval '[ "$code" = $((128 + $(kill -l "$sig"))) ] && [ -z "$out" ] && no_state'
	else
		check "the stress changed THP settings within 20 s (to signal it)" false
	fi
done

# --- SIGPIPE: output into head
for cmd in "uffd_collapse_contract" "uffd_collapse_stress --duration 5" \
	   "uffd_collapse_fuzz --seed 1 --iterations 2 --findings $T/findings"; do
	# shellcheck disable=SC2086
	(cd "$B" && ./$cmd 2>/dev/null | head -n 3 >/dev/null)
	wait_until 20 settled
	same
	check "SIGPIPE (./${cmd%% *} | head -3): THP sysfs exactly as before" eval '[ -z "$out" ] && no_state'
done

# --- two at once
pair() {
	local a=$1 b=$2 pa pb ra rb
	# shellcheck disable=SC2086
	(cd "$B" && exec ./$a) >"$T/a.out" 2>&1 </dev/null &
	pa=$!
	# shellcheck disable=SC2086
	(cd "$B" && exec ./$b) >"$T/b.out" 2>&1 </dev/null &
	pb=$!
	wait "$pa"
	ra=$?
	wait "$pb"
	rb=$?
	out=$(cat "$T/a.out" "$T/b.out")
	# A variant may skip for its own reasons (khugepaged found nothing to
	# collapse in 1 s); never for the lock or the settings.
	check "two at once (${a%% *} + ${b%% *}): both exit 0 ($ra, $rb), no skip for the lock" \
		eval '[ "$ra" = 0 ] && [ "$rb" = 0 ] && ! has_re "^1\.\.0|SKIP (another run|cannot)"'
	check "two at once (${a%% *} + ${b%% *}): one waited for the other" has "waiting up to"
	wait_until 20 settled
	same
	check "two at once (${a%% *} + ${b%% *}): THP sysfs exactly as before" eval '[ -z "$out" ] && no_state'
}
pair "uffd_collapse_stress --duration 1" "uffd_collapse_stress --duration 1"
pair "uffd_collapse_contract" "uffd_collapse_fuzz --seed 1 --iterations 20 --findings $T/findings"

# --- bounded wait, bad bound
exec 9<>"$LOCK"
flock 9
run env UFFDC_LOCK_WAIT=1 "$B/uffd_collapse_contract"
check "lock held elsewhere, UFFDC_LOCK_WAIT=1: SKIP (exit 4) with the reason" \
	eval '[ "$code" = 4 ] && has "1..0 # SKIP another run"'
flock -u 9
exec 9>&-
run env UFFDC_LOCK_WAIT=soon "$B/uffd_collapse_contract"
check "UFFDC_LOCK_WAIT=soon: one-line error, exit 2" \
	eval '[ "$code" = 2 ] && [ "$(printf "%s\n" "$out" | wc -l)" = 1 ] && has UFFDC_LOCK_WAIT'

# --- unprivileged
if command -v setpriv >/dev/null; then
	for cmd in uffd_collapse_contract uffd_collapse_stress helpers_test \
		   "uffd_collapse_fuzz --iterations 1 --findings $T/nobody"; do
		# shellcheck disable=SC2086
		run setpriv --reuid=65534 --regid=65534 --clear-groups "$B"/$cmd
		check "unprivileged ${cmd%% *}: SKIP with the reason, exit 4" \
			eval '[ "$code" = 4 ] && has_re "SKIP.*root"'
	done
else
	echo "# unprivileged checks skipped: no setpriv (util-linux)"
fi
same
check "at the end: THP sysfs exactly as before" [ -z "$out" ]
tap_done

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/scripts/bad-input.sh - hardened input: every bad command line,
# environment and sequence file is one line on stderr and exit 2, never a
# crash, a hang or a false violation.
#
#   tests/scripts/bad-input.sh [--no-replay] [BUILD_DIR]
#
# BUILD_DIR holds the programs (default: $BUILD, else build/).
#
# 1. tests/inputs/bad-args: bad options and $UFFDC_SEED, all programs.
# 2. tests/inputs/seq-*.txt and a few made here (too big, too many lines or
#    operations, a FIFO): --check, --replay and --write-repro each refuse.
# 3. 500 mutations of tests/inputs/valid-sequence.txt (byte flips,
#    truncation, duplicated, dropped and swapped lines, big numbers, random
#    fields, other kinds; a fixed seed) through --check: exit 0 or 2,
#    nothing else, and one line on stderr for each refusal.
# 4. As root with THP, a handful of the mutants --check accepts replayed for
#    real (--runs 1): none may report a violation on a fixed kernel, and the
#    THP settings are as they were afterwards (--no-replay skips this).
#
# Every command runs under `timeout 10`.  Prints "ok N - desc" / "not ok N
# - desc" per check, then "N passed, N failed"; exits 1 if any failed.

set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd "$HERE/../.." && pwd -P)
IN=$ROOT/tests/inputs
BUILD=${BUILD:-$ROOT/build}
SEED=20250610
MUTANTS=500
REPLAYS=4
replay=1
if [ "${1:-}" = --no-replay ]; then
	replay=0
	shift
fi
[ $# -gt 0 ] && BUILD=$1

T=$(mktemp -d "${TMPDIR:-/tmp}/bad-input.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT

# shellcheck source-path=SCRIPTDIR/../.. source=scripts/lib/tap.sh
. "$ROOT/scripts/lib/tap.sh"

for p in uffd_collapse_fuzz uffd_collapse_stress uffd_collapse_contract; do
	if [ ! -x "$BUILD/$p" ]; then
		echo "1..0 # SKIP $BUILD/$p is not built (make)"
		exit 4
	fi
done

# run DESC CMD...: exit 2 and exactly one line on stderr, in 10 s.
rc=0
refused() {
	local desc=$1 lines
	shift
	(cd "$BUILD" && timeout 10 "$@") >"$T/out" 2>"$T/err" </dev/null
	rc=$?
	lines=$(wc -l <"$T/err")
	# (the $(...) drops a final newline: one line ends in one)
	if [ "$rc" = 2 ] && [ "$lines" = 1 ] && [ -z "$(tail -c1 "$T/err")" ]; then
		tap_ok "$desc: $(head -c 150 "$T/err")"
	else
		tap_notok "$desc: exit $rc (want 2), $lines stderr line(s) (want 1)"
		head -n 5 "$T/err" | sed 's/^/#   | /'
	fi
}

# --- 1. options and the environment ------------------------------------------
mkfifo "$T/fifo"
while IFS= read -r line; do
	case "$line" in '#'* | '') continue ;; esac
	words=${line//@SEQ@/$IN/valid-sequence.txt}
	words=${words//@FIFO@/$T/fifo}
	words=${words//@NODIR@/$T/no-such-dir}
	eval "set -- $words"
	envs=()
	while [ $# -gt 0 ] && [[ "$1" == *=* ]]; do
		envs+=("$1")
		shift
	done
	prog=$1
	shift
	refused "$line" env -u UFFDC_SEED "${envs[@]}" "./$prog" "$@"
done <"$IN/bad-args"

# --- 2. sequence files ---------------------------------------------------------
V='mmap a=0 y=0 s=0 f=0 u=0 r=0 p=0 n=512 g=0'
yes '# a comment line that is long enough to fill a megabyte soon' | head -c 1100000 >"$T/seq-too-big.txt"
echo "$V" >>"$T/seq-too-big.txt"
{ yes '' | head -n 9000; echo "$V"; } >"$T/seq-too-many-lines.txt"
yes "$V" | head -n 257 >"$T/seq-too-many-ops.txt"
mkfifo "$T/seq-fifo.txt"
for f in "$IN"/seq-*.txt "$T"/seq-*.txt; do
	name=${f##*/}
	refused "--check $name" ./uffd_collapse_fuzz --check "$f"
	# the same parser: only when it refused, so that nothing runs
	if [ "$rc" = 2 ]; then
		refused "--replay $name" ./uffd_collapse_fuzz --replay "$f" --runs 1
		refused "--write-repro $name" ./uffd_collapse_fuzz --write-repro "$f"
	fi
done
(cd "$BUILD" && timeout 10 ./uffd_collapse_fuzz --check "$IN/valid-sequence.txt") >"$T/out" 2>"$T/err"
rc=$?
if [ "$rc" = 0 ] && [ ! -s "$T/err" ]; then
	tap_ok "--check valid-sequence.txt: $(cat "$T/out")"
else
	tap_notok "--check valid-sequence.txt: exit $rc, stderr: $(head -c 200 "$T/err")"
fi

# --- 3. mutations ------------------------------------------------------------------
# One awk run writes every mutant: 1-3 mutations each, from a fixed seed.
mkdir "$T/m"
awk -v seed="$SEED" -v count="$MUTANTS" -v dir="$T/m" '
	function rnd(k) { return int(rand() * k) }
	{ orig[NR] = $0 }
	END {
		srand(seed)
		split("0 1 2 3 255 256 511 512 1023 1024 1025 65535 65536 2147483647 " \
		      "2147483648 4294967295 4294967296 18446744073709551615 " \
		      "18446744073709551616 -1 nan inf 0x10 1e3 99999999999999999999999", nums, " ")
		nnums = 0
		for (k in nums) nnums++
		split("nop mmap munmap mremap madvise fallocate ftruncate pwrite pread touch " \
		      "register unregister uffdio probe khugepaged fork numa populate writeprotect uffd mthp pageout join", kinds, " ")
		for (i = 1; i <= count; i++) {
			n = NR
			for (k = 1; k <= n; k++) l[k] = orig[k]
			trunc = -1
			muts = 1 + rnd(3)
			for (m = 0; m < muts; m++) {
				k = 1 + rnd(n)
				t = rnd(8)
				if (t == 0 || t == 1) {		# a byte flipped or replaced
					p = 1 + rnd(length(l[k]) + 1)
					c = t == 0 ? substr("0123456789azAZ=#- \t.x", 1 + rnd(22), 1) : \
						     sprintf("%c", 1 + rnd(255))
					l[k] = substr(l[k], 1, p - 1) c substr(l[k], p + 1)
				} else if (t == 2) {		# truncated, within a line
					trunc = k
					n = k
					l[k] = substr(l[k], 1, rnd(length(l[k]) + 1))
				} else if (t == 3) {		# a line duplicated
					for (j = n; j > k; j--) l[j + 1] = l[j]
					l[k + 1] = l[k]
					n++
				} else if (t == 4) {		# a line dropped, or swapped
					if (rnd(2)) {
						for (j = k; j < n; j++) l[j] = l[j + 1]
						n--
					} else if (k < n) {
						s = l[k]; l[k] = l[k + 1]; l[k + 1] = s
					}
				} else if (t == 5 || t == 6) {	# a field: big, odd or random
					nf = split(l[k], f, " ")
					j = 1 + rnd(nf)
					if (f[j] ~ /=/) {
						v = rnd(2) ? nums[1 + rnd(nnums)] : rnd(1100)
						sub(/=.*/, "=" v, f[j])
						s = f[1]
						for (q = 2; q <= nf; q++) s = s " " f[q]
						l[k] = s
					}
				} else {			# another kind of operation
					sub(/^[a-z]+/, kinds[1 + rnd(18)], l[k])
				}
			}
			file = sprintf("%s/m%03d.txt", dir, i)
			for (k = 1; k <= n; k++) {
				if (k == trunc && k == n)
					printf "%s", l[k] > file
				else
					print l[k] > file
			}
			if (n == 0)
				printf "" > file
			close(file)
		}
	}' "$IN/valid-sequence.txt"
crashes=0 bad=0 accepted=0 refusedn=0 multi=0
: >"$T/accepted"
for f in "$T"/m/m*.txt; do
	timeout 10 "$BUILD/uffd_collapse_fuzz" --check "$f" >"$T/out" 2>"$T/err" </dev/null
	rc=$?
	case "$rc" in
	0)
		accepted=$((accepted + 1))
		[ -s "$T/err" ] && multi=$((multi + 1))
		cmp -s "$f" "$IN/valid-sequence.txt" || echo "$f" >>"$T/accepted"
		;;
	2)
		refusedn=$((refusedn + 1))
		if [ "$(wc -l <"$T/err")" != 1 ]; then
			multi=$((multi + 1))
			echo "# ${f##*/}: not one line on stderr:"
			sed 's/^/#   | /' "$T/err" | head -n 3
		fi
		;;
	*)
		if [ "$rc" -ge 124 ]; then crashes=$((crashes + 1)); else bad=$((bad + 1)); fi
		echo "# ${f##*/}: exit $rc; its differences:"
		diff "$IN/valid-sequence.txt" "$f" | head -n 10 | sed 's/^/#   | /'
		;;
	esac
done
total=$(find "$T/m" -name 'm*.txt' | wc -l)
if [ "$total" = "$MUTANTS" ] && [ $((crashes + bad + multi)) = 0 ] && [ "$refusedn" -gt 0 ] && [ "$accepted" -gt 0 ]; then
	tap_ok "$MUTANTS mutants (seed $SEED) through --check: $refusedn refused in one line, $accepted accepted, 0 crashes or hangs"
else
	tap_notok "$total/$MUTANTS mutants: $crashes crashes or hangs, $bad other exits, $multi not one line on stderr ($refusedn refused, $accepted accepted)"
fi

# --- 4. a few accepted mutants, for real --------------------------------------
thp=/sys/kernel/mm/transparent_hugepage
if [ "$replay" = 0 ]; then
	tap_skip "replays of accepted mutants (--no-replay)"
elif [ "$(id -u)" != 0 ] || [ ! -w "$thp/shmem_enabled" ]; then
	tap_skip "replays of accepted mutants (needs root and THP sysfs)"
else
	before=$(cat "$thp/shmem_enabled" "$thp/enabled" "$thp/khugepaged/scan_sleep_millisecs")
	mapfile -t picks < <(head -n "$REPLAYS" "$T/accepted")
	for f in "${picks[@]}"; do
		(cd "$BUILD" && timeout 120 ./uffd_collapse_fuzz --replay "$f" --runs 1) >"$T/out" 2>&1
		rc=$?
		if [ "$rc" = 0 ] || [ "$rc" = 4 ]; then
			tap_ok "replay of mutant ${f##*/} on $(uname -r): exit $rc, $(tail -n1 "$T/out")"
		else
			tap_notok "replay of mutant ${f##*/} on $(uname -r): exit $rc (a violation from a sequence the parser accepted?)"
			sed 's/^/#   | /' "$T/out" | head -n 20
			sed 's/^/#   > /' "$f" | head -n 60
		fi
	done
	after=$(cat "$thp/shmem_enabled" "$thp/enabled" "$thp/khugepaged/scan_sleep_millisecs")
	if [ "$before" = "$after" ]; then
		tap_ok "THP settings restored after the replays"
	else
		tap_notok "THP settings changed by the replays: before '$before', after '$after'"
	fi
fi

tap_done

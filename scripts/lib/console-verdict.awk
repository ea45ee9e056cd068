# SPDX-License-Identifier: GPL-2.0
#
# console-verdict.awk - classify a scripts/vmtest guest console log
#
#   awk -f scripts/lib/console-verdict.awk [-v VAR=VALUE ...] CONSOLE.LOG
#
# Variables (all optional):
#   ncmds=N      number of commands the guest was asked to run (default:
#                highest "@@VMTEST begin N" seen)
#   timedout=1   the host killed the guest because --timeout expired
#   timeout=S    that timeout, for the message
#   note=TEXT    host-side note for "why did it stop" messages
#   ctx=N        lines of context after a kernel report (default 30)
#   tailn=N      console lines shown for hangs / no boot (default 40)
#   maxreports=N report excerpts printed at most (default 10)
#   print_hang_re=1  print the hang-report pattern (an ERE that grep -E
#                reads too) and exit: scripts/vmtest watches the console
#                for it while the guest runs, so the two agree
#
# Guest protocol (printed by the /init that scripts/vmtest packs):
#   @@VMTEST boot <uname -r> ...      userspace is up
#   @@VMTEST begin <n> <command>      before command n
#   @@VMTEST end <n> rc=<rc>          after command n
#   @@VMTEST done                     all commands ran
#
# Prints a human readable report and, as its last line,
#   RESULT <PASS|FAIL|SKIP|ERROR> <reason>
# and exits 0 PASS, 1 FAIL, 4 SKIP, 125 ERROR (guest never booted).
#
# Rules, in order: no boot marker -> ERROR (125).  A hang report -> FAIL,
# the reason starting "hang: " with the report's first line: a soft or hard
# lockup, a hung task ("blocked for more than"), an RCU stall, a workqueue
# lockup, or a test killed by a timeout (the kselftest harness's "Test
# terminated by timeout", run_kselftest.sh's "# TIMEOUT N seconds").  Any
# other kernel report (Oops, BUG:, WARNING:, KASAN, lockdep, panic) -> FAIL.
# No done marker (crash, timeout) -> FAIL.  Any command rc not in {0,4} ->
# FAIL.  Every command rc=4 -> SKIP.  Else PASS.

function kmsg(s) {
	# Kernel console lines carry a printk timestamp (vmtest boots with
	# printk.time=1); it may be glued behind partial userspace output.
	if (match(s, /\[ *[0-9]+\.[0-9][0-9][0-9][0-9][0-9][0-9]\]/)) {
		s = substr(s, RSTART + RLENGTH)
		sub(/^ /, "", s)
		if (match(s, /^\[ *[TC][0-9]+\] ?/))
			s = substr(s, RLENGTH + 1)
		return s
	}
	# Untimestamped: still treat it as kernel output unless it is a KTAP
	# diagnostic or result line.
	if (s ~ /^[ \t]*#/ || s ~ /^[ \t]*(not )?ok /)
		return ""
	return s
}

function is_report(m) {
	if (m ~ /^(BUG|WARNING|UBSAN|KASAN|KFENCE|KMSAN): /)
		return 1
	if (m ~ /^(kernel BUG at |Oops|general protection fault|Kernel panic)/)
		return 1
	if (m ~ /^INFO: task .* blocked for more than/)
		return 1
	if (m ~ /BUG: soft lockup|detected hard LOCKUP|KASAN: /)
		return 1
	if (m ~ /possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage/)
		return 1
	if (m ~ /(rcu: )?INFO: rcu_[a-z_]+ (self-)?detected (expedited )?stall/ || m ~ /^rcu: INFO: .*detected (expedited )?stall/)
		return 1
	return 0
}

# Lines that say something is stuck, matched anywhere in the raw console
# line (kernel lines carry a timestamp, the test lines a "#" or "not ok"
# prefix).  Kernel wording from 6.1 and 6.12: kernel/watchdog.c,
# watchdog_hld.c, hung_task.c, rcu/tree_stall.h, rcu/tree_exp.h,
# workqueue.c; tools/testing/selftests/kselftest_harness.h and
# kselftest/runner.sh.  Plain ERE, the subset both mawk and grep -E read.
function hang_pattern() {
	return "BUG: soft lockup - CPU#[0-9]+ stuck for" \
		"|[Dd]etected hard LOCKUP on cpu" \
		"|INFO: task .+ blocked for more than [0-9]+ seconds" \
		"|INFO: rcu_[a-z_]+ (self-)?detected (expedited )?stalls?" \
		"|BUG: workqueue lockup - pool" \
		"|#.*: Test terminated by timeout" \
		"|not ok [0-9]+ .* # TIMEOUT [0-9]+ seconds"
}

# A hang line as the reason shows it: no CR, printk timestamp or "# "
# prefixes.
function hang_text(s) {
	gsub(/\r/, "", s)
	if (match(s, /\[ *[0-9]+\.[0-9][0-9][0-9][0-9][0-9][0-9]\] /))
		s = substr(s, RSTART + RLENGTH)
	sub(/^[ \t]*(# )*/, "", s)
	return s
}

function repwhere(r) {
	if (repcmd[r])
		return "during cmd " repcmd[r] ": " cmdname(repcmd[r])
	return (rep[r] < boot || !boot) ? "during boot" : "outside the commands"
}

function cmdname(i) {
	return (i in cmdtxt) ? cmdtxt[i] : ("#" i)
}

function addreason(r) {
	reason = (reason == "") ? r : (reason "; " r)
}

function show_tail(title,    s) {
	s = NR - tailn + 1
	if (s < 1)
		s = 1
	printf "---- %s: last %d console lines ----\n", title, NR - s + 1
	for (; s <= NR; s++)
		print L[s]
	print "----"
}

BEGIN {
	hang_re = hang_pattern()
	if (print_hang_re) {
		print hang_re
		printed_re = 1
		exit 0
	}
	if (ctx == "") ctx = 30
	if (tailn == "") tailn = 40
	if (maxreports == "") maxreports = 10
	cur = 0
}

{
	gsub(/\r/, "")
	L[NR] = $0
	if (match($0, /@@VMTEST (boot|begin|end|done)/)) {
		mk = substr($0, RSTART)
		split(mk, f, " ")
		if (f[2] == "boot") {
			if (!boot) {
				boot = NR
				bootinfo = mk
				sub(/^@@VMTEST boot ?/, "", bootinfo)
			}
		} else if (f[2] == "begin" && f[3] ~ /^[0-9]+$/) {
			i = f[3] + 0
			cmdtxt[i] = mk
			sub(/^@@VMTEST begin [0-9]+ ?/, "", cmdtxt[i])
			if (i > maxcmd)
				maxcmd = i
			cur = i
		} else if (f[2] == "end" && f[3] ~ /^[0-9]+$/) {
			i = f[3] + 0
			r = f[4]
			sub(/^rc=/, "", r)
			ended[i] = NR
			rc[i] = r
			cur = 0
		} else if (f[2] == "done") {
			done = NR
		}
		next
	}
	m = kmsg($0)
	k = (m != "" && is_report(m))
	h = ($0 ~ hang_re)
	if (k || h) {
		rep[++nrep] = NR
		reptxt[nrep] = h ? hang_text($0) : m
		repcmd[nrep] = cur
		repkernel[nrep] = k
		if (h)
			hangs[++nhang] = nrep
		else if (!kfirst)
			kfirst = nrep
		if (k)
			nkernel++
	}
}

END {
	if (printed_re)
		exit 0
	reason = ""

	if (!boot) {
		if (timedout)
			addreason("guest never reached the boot marker (no marker within " timeout "s)")
		else
			addreason("guest never reached the boot marker" (note != "" ? " (" note ")" : ""))
		if (nrep)
			addreason("kernel: " reptxt[1])
		show_tail("no boot")
		print "RESULT ERROR " reason
		exit 125
	}

	fail = 0
	if (bootinfo != "")
		print "guest: " bootinfo

	if (nrep) {
		fail = 1
		printf "kernel reports: %d\n", nkernel
		if (nrep > nkernel)
			printf "test timeouts: %d\n", nrep - nkernel
		blockend = 0
		shown = 0
		for (r = 1; r <= nrep; r++) {
			if (rep[r] <= blockend)
				continue
			if (++shown > maxreports) {
				printf "(further reports not shown, see the full console log)\n"
				break
			}
			# A test timeout: the lines before it say what the test did.
			s = rep[r] - (repkernel[r] ? 3 : 10)
			if (s <= blockend)
				s = blockend + 1
			if (s < 1)
				s = 1
			e = rep[r] + ctx
			if (e > NR)
				e = NR
			printf "---- %s at console line %d%s: %s ----\n",
				(repkernel[r] ? "kernel report" : "test timeout"), rep[r],
				(repcmd[r] ? " (during cmd " repcmd[r] ": " cmdname(repcmd[r]) ")" : (rep[r] < boot ? " (during boot)" : "")),
				reptxt[r]
			for (; s <= e; s++)
				print L[s]
			blockend = e
		}
		print "----"
		if (nhang)
			addreason("hang: " reptxt[hangs[1]] " (" repwhere(hangs[1]) ")" (nhang > 1 ? " (+" (nhang - 1) " more)" : ""))
		nother = nrep - nhang
		if (nother)
			addreason("kernel: " reptxt[kfirst] (nother > 1 ? " (+" (nother - 1) " more)" : ""))
	}

	n = (ncmds != "" && ncmds + 0 > 0) ? ncmds + 0 : maxcmd
	if (!done) {
		fail = 1
		where = ""
		if (cur)
			where = " in cmd " cur ": " cmdname(cur)
		else if (maxcmd == 0)
			where = " before the first command"
		# After a hang report, the hang is why the guest stopped.
		if (nhang)
			;
		else if (timedout)
			addreason("timeout after " timeout "s" where " (hang)")
		else
			addreason("guest stopped before the done marker" where (note != "" ? " (" note ")" : ""))
		# Unless a hang report's excerpt already ends the console.
		if (!(nhang && blockend >= NR))
			show_tail("no done marker")
	}

	all4 = (n > 0)
	for (i = 1; i <= n; i++) {
		if (!(i in ended)) {
			all4 = 0
			if (done) {
				fail = 1
				addreason("cmd " i " has no end marker")
			}
			printf "cmd %d rc=none %s\n", i, cmdname(i)
			continue
		}
		printf "cmd %d rc=%s %s\n", i, rc[i], cmdname(i)
		if (rc[i] != "4")
			all4 = 0
		if (rc[i] != "0" && rc[i] != "4") {
			fail = 1
			addreason("test rc=" rc[i] ": " cmdname(i))
		}
	}

	if (fail) {
		print "RESULT FAIL " reason
		exit 1
	}
	if (all4) {
		print "RESULT SKIP all " n " command(s) skipped (rc=4)"
		exit 4
	}
	print "RESULT PASS " n " command(s) passed"
	exit 0
}

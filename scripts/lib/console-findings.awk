# SPDX-License-Identifier: GPL-2.0
#
# console-findings.awk - what each command of a scripts/vmtest run found,
# from its console log (--log)
#
#   awk -f scripts/lib/console-findings.awk CONSOLE.LOG
#
# One tab-separated line per command that began ("@@VMTEST begin N LABEL"):
#
#   cmd  N  RC  SECS  KINDS  FIRST_S  LABEL
#
# RC is the exit status from "@@VMTEST end N rc=RC" ("-" when the command
# never ended: the guest was stopped, e.g. after a hang report); SECS the
# guest's uptime from the previous marker (boot, or the end of the previous
# command) to this command's end ("-" when it never ended); KINDS the
# finding kinds its output named, in order of first appearance, comma
# separated ("-" for none): "VIOLATION KIND:" lines (the oracle's report
# in the contract suite and the stress, the fuzzer's finding); FIRST_S the
# first "after S s" that a stress round ("N violation(s) after S s") or the
# fuzzer ("VIOLATION KIND: ... after S s: ...") printed with a violation
# ("-" when none did).  Then, for every command and kind, the first line
# that named it:
#
#   violation  N  KIND  TEXT
#
# Carriage returns are removed; kernel printk lines ("[   1.234567] ...")
# are not output and name nothing.

BEGIN {
	OFS = "\t"
	cur = 0
	ncmd = 0
}

{
	gsub(/\r/, "")
}

/@@VMTEST boot / {
	if (match($0, /uptime=[0-9.]+/))
		last_up = substr($0, RSTART + 7, RLENGTH - 7)
	next
}

/@@VMTEST begin [0-9]+/ {
	match($0, /@@VMTEST begin [0-9]+/)
	cur = substr($0, RSTART + 15, RLENGTH - 15) + 0
	label[cur] = substr($0, RSTART + RLENGTH + 1)
	order[++ncmd] = cur
	rc[cur] = "-"
	secs[cur] = "-"
	kinds[cur] = ""
	first_s[cur] = "-"
	next
}

/@@VMTEST end [0-9]+ rc=/ {
	match($0, /@@VMTEST end [0-9]+ rc=[^ ]+/)
	split(substr($0, RSTART, RLENGTH), f, /[ =]/)
	n = f[3] + 0
	rc[n] = f[5]
	if (match($0, /uptime=[0-9.]+/)) {
		up = substr($0, RSTART + 7, RLENGTH - 7)
		if (last_up != "")
			secs[n] = sprintf("%.1f", up - last_up)
		last_up = up
	}
	cur = 0
	next
}

!cur || /^\[ *[0-9]+\.[0-9]+\]/ {
	next
}

/VIOLATION [a-z][a-z-]*[: ]/ {
	match($0, /VIOLATION [a-z][a-z-]*/)
	k = substr($0, RSTART + 10, RLENGTH - 10)
	if (index("," kinds[cur] ",", "," k ",") == 0) {
		kinds[cur] = kinds[cur] (kinds[cur] == "" ? "" : ",") k
		text = $0
		sub(/^[# \t]*/, "", text)
		first[cur, k] = substr(text, 1, 300)
	}
}

first_s[cur] == "-" && /violation\(s\) after [0-9.]+ s|VIOLATION .* after [0-9.]+ s/ {
	match($0, /after [0-9.]+ s/)
	first_s[cur] = substr($0, RSTART + 6, RLENGTH - 8)
}

END {
	for (i = 1; i <= ncmd; i++) {
		n = order[i]
		print "cmd", n, rc[n], secs[n], (kinds[n] == "" ? "-" : kinds[n]), first_s[n], label[n]
		m = split(kinds[n], ks, ",")
		for (j = 1; j <= m; j++)
			print "violation", n, ks[j], first[n, ks[j]]
	}
}

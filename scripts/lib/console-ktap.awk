# SPDX-License-Identifier: GPL-2.0
#
# console-ktap.awk - extract the test programs' output (KTAP) from a
# scripts/vmtest console log
#
#   awk -f scripts/lib/console-ktap.awk CONSOLE.LOG
#
# Prints the lines between "@@VMTEST begin N" and "@@VMTEST end N" markers,
# with carriage returns removed and kernel printk lines ("[   1.234567] ...")
# dropped.  A printk glued behind partial userspace output is cut off.

{
	gsub(/\r/, "")
}

/@@VMTEST begin [0-9]+/ {
	inside = 1
	next
}

/@@VMTEST end [0-9]+/ {
	# Output without a trailing newline ends up in front of the marker.
	if (inside) {
		sub(/@@VMTEST end [0-9]+.*/, "")
		if ($0 != "")
			print
	}
	inside = 0
	next
}

inside {
	if (match($0, /\[ *[0-9]+\.[0-9][0-9][0-9][0-9][0-9][0-9]\]/)) {
		if (RSTART == 1)
			next
		$0 = substr($0, 1, RSTART - 1)
	}
	print
}

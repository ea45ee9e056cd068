# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# What every bash script under scripts/ shares, sourced after its `set`:
#   msg TEXT... / warn TEXT...  "NAME: TEXT" on stderr (NAME: the script's
#                     file name); to fd $msg_fd instead when a script sets it
#   die TEXT [CODE]   msg TEXT, then exit CODE (default $die_code: 1)
#   usage_error TEXT  die TEXT with $usage_code (default 2), one line
#   need_value NARGS OPT [WHAT]  in an option loop, called with $#: when OPT
#                     is the last argument, usage_error "OPT needs WHAT"
#                     (WHAT: "a value" unless given)
#   unknown_option OPT  usage_error "unknown option OPT (see --help)"
#   help              the script's header comment on stdout, exit 0
#   usage             the same on stderr, exit $usage_code
#   suite_cache       the cache directory: $SUITE_CACHE, else
#                     ${XDG_CACHE_HOME:-~/.cache}/uffd-collapse-suite
#   slot CMD...       CMD under an exclusive flock on $SUITE_VM_LOCK when it
#                     is set (one kernel build or guest at a time on a
#                     shared machine), else CMD
# The header is the first comment block after the #! line, the SPDX line
# and any bare "#" lines, up to the first line that is not a comment,
# printed without its leading "# ".
# A script whose documented exit codes differ sets die_code or usage_code
# after sourcing (bisect-run: 255, "the suite itself is broken").

prog=${0##*/}
die_code=1
usage_code=2
msg_fd=2
# shellcheck disable=SC2034  # for the scripts that source this file
suite_cache=${SUITE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/uffd-collapse-suite}

msg() { echo "$prog: $*" >&"$msg_fd"; }
warn() { msg "$@"; }
die() {
	msg "$1"
	exit "${2:-$die_code}"
}
usage_error() { die "$1" "$usage_code"; }
need_value() { [ "$1" -ge 2 ] || usage_error "$2 needs ${3:-a value}"; }
unknown_option() { usage_error "unknown option $1 (see --help)"; }

slot() {
	if [ -n "${SUITE_VM_LOCK:-}" ]; then
		flock "$SUITE_VM_LOCK" "$@"
	else
		"$@"
	fi
}

header() {
	awk 'NR == 1 && /^#!/ { next }
	     !on && (/^# SPDX-License-Identifier:/ || /^#$/) { next }
	     /^#/ { on = 1; sub(/^# ?/, ""); print; next }
	     { exit }' "$0"
}
help() {
	header
	exit 0
}
usage() {
	header >&2
	exit "$usage_code"
}

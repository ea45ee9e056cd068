# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# A git copy of a Debian linux-source tarball in the cache, to which
# scripts/check-fix and scripts/check-detectors apply patches with `git am`.
# One repository per tarball, shared by both: scripts/build-kernel builds a
# git tree in one object directory, so switching its commits rebuilds only
# what they change.  Sourced after common.sh:
#
#   ptree_open TARBALL   set $ptree (${suite_cache}/fix/linux-tar-KEY) and
#                        $ptree_kver (e.g. 6.12.117), take $ptree.lock (an
#                        exclusive flock, held until ptree_close or exit),
#                        and make the repository if it has no tag pristine
#                        (unpack, commit, tag: once, about two minutes).
#                        Returns 1 with the reason in $ptree_why.
#   ptree_apply LOG PATCH...  reset the repository to pristine (checkout,
#                        clean) and `git am --whitespace=error-all` the
#                        patches, in order; git's output goes to LOG.
#                        Returns 1 when the reset failed, 2 when a patch
#                        does not apply (the am is aborted).
#   ptree_close          release the lock
#   ptree_git ARGS...    git in $ptree, committing with fixed identities and
#                        dates: the same patches on the same tarball make
#                        the same commit, which build-kernel finds in its
#                        cache
#
# Debian's .gitignore ignores the top level and every dot file: the
# repository drops those two lines and adds everything with -f.

# shellcheck disable=SC2034  # for the scripts that source this file
ptree_kver=
ptree=
ptree_why=
ptree_fd=

ptree_git() {
	GIT_AUTHOR_DATE="2025-01-01T00:00:00Z" GIT_COMMITTER_DATE="2025-01-01T00:00:00Z" \
	GIT_COMMITTER_NAME=check-fix GIT_COMMITTER_EMAIL=check-fix@localhost \
		git -C "$ptree" -c user.name=check-fix -c user.email=check-fix@localhost \
		-c advice.detachedHead=false -c commit.gpgsign=false "$@"
}

ptree_open() {
	# shellcheck disable=SC2154  # suite_cache: set by common.sh
	local tarball=$1 key cache=$suite_cache/fix new

	key=$(stat -c '%s-%Y' "$tarball" | sha1sum | cut -c1-12)
	ptree=$cache/linux-tar-$key
	mkdir -p "$cache" || { ptree_why="cannot create $cache"; return 1; }
	exec {ptree_fd}>"$ptree.lock" || { ptree_why="cannot open $ptree.lock"; return 1; }
	if ! flock -n "$ptree_fd"; then
		echo "# waiting for $ptree.lock (check-fix or check-detectors at work)"
		flock "$ptree_fd" || { ptree_why="cannot lock $ptree.lock"; return 1; }
	fi
	if ! git -C "$ptree" rev-parse -q --verify pristine >/dev/null 2>&1; then
		echo "# preparing a git tree from $tarball in $ptree (once; a few minutes)"
		new=$ptree.new
		rm -rf "$ptree" "$new"
		if ! mkdir -p "$new" || ! tar -xJf "$tarball" -C "$new" --strip-components=1; then
			ptree_why="cannot unpack $tarball"
			return 1
		fi
		sed -i -e '\|^/\*$|d' -e '\|^!/debian/$|d' "$new/.gitignore"
		if ! (ptree=$new
		      ptree_git init -q && ptree_git add -A -f &&
			ptree_git commit -q -m "pristine $tarball" && ptree_git tag pristine); then
			ptree_why="cannot make a git repository of $tarball"
			return 1
		fi
		mv "$new" "$ptree" || { ptree_why="cannot move $new to $ptree"; return 1; }
	fi
	# shellcheck disable=SC2034  # for the scripts that source this file
	ptree_kver=$(sed -n 's/^VERSION = //p; s/^PATCHLEVEL = //p; s/^SUBLEVEL = //p' \
		"$ptree/Makefile" | paste -sd.)
}

ptree_apply() {
	local log=$1
	shift
	ptree_git am --abort >/dev/null 2>&1
	ptree_git checkout -q -f --detach pristine && ptree_git clean -q -f -d -x || return 1
	[ $# -gt 0 ] || return 0
	if ! ptree_git am -q --whitespace=error-all "$@" >"$log" 2>&1; then
		ptree_git am --abort >/dev/null 2>&1
		return 2
	fi
}

ptree_close() {
	[ -n "$ptree_fd" ] || return 0
	exec {ptree_fd}>&-
	ptree_fd=
}

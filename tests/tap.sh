# SPDX-License-Identifier: GPL-3.0-or-later
# TAP output for the shell tests: `. tap.sh` after setting $tmp (a scratch folder), then
#   check NAME COMMAND…   runs the command quietly; its output is shown, as TAP comments, only
#                         when it fails
#   ok NAME / not_ok NAME  a result decided by the caller
# and at the end: echo "1..$n"; exit $fail
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; }
check() {
	local name=$1
	shift
	if "$@" >"$tmp/check.out" 2>&1; then
		ok "$name"
	else
		not_ok "$name"
		sed 's/^/# /' "$tmp/check.out"
	fi
}

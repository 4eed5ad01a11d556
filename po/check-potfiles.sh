#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Checks po/POTFILES.in against the tree, in the spirit of fwupd's contrib/ci/check-potfiles.py:
#  - every listed file exists (xgettext stops at the first missing one);
#  - every source under src/ that marks strings for translation (_(), N_(), C_(), NC_() in C,
#    translatable="yes" in GtkBuilder .ui files) is listed, unless po/POTFILES.skip names it;
#  - every desktop, metainfo and GSettings schema file under data/ is listed;
#  - the list is sorted (LC_ALL=C) without duplicates.
# Usage: check-potfiles.sh [SOURCE_ROOT]   (default: the parent of this script's directory)
set -eu
LC_ALL=C
export LC_ALL

root="${1:-$(dirname "$0")/..}"
cd "$root"
potfiles=po/POTFILES.in
skipfile=po/POTFILES.skip
if [ ! -f "$potfiles" ]; then
	echo "check-potfiles: $root/$potfiles not found" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# the list without comments and blank lines
sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$potfiles" >"$tmp/listed"
if [ -f "$skipfile" ]; then
	sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$skipfile" >"$tmp/skipped"
else
	: >"$tmp/skipped"
fi

status=0

# listed files that do not exist
missing=$(while IFS= read -r f; do [ -f "$f" ] || echo "$f"; done <"$tmp/listed")
if [ -n "$missing" ]; then
	echo "check-potfiles: po/POTFILES.in lists files that do not exist:" >&2
	echo "$missing" | sed 's/^/  /' >&2
	status=1
fi

# files with translatable strings
{
	if [ -d src ]; then
		find src -type f \( -name '*.c' -o -name '*.h' \) -exec \
			grep -lE '(^|[^[:alnum:]_])N?C?_\(' {} + || true
		find src -type f -name '*.ui' -exec \
			grep -lE 'translatable="(yes|true|1)"' {} + || true
	fi
	if [ -d data ]; then
		find data -type f \( -name '*.desktop.in' -o -name '*.metainfo.xml.in' \
			-o -name '*.gschema.xml' \) -print
	fi
} | sort -u >"$tmp/needed"

sort -u "$tmp/listed" "$tmp/skipped" >"$tmp/known"
unlisted=$(comm -23 "$tmp/needed" "$tmp/known")
if [ -n "$unlisted" ]; then
	echo "check-potfiles: these files have translatable strings but are not in po/POTFILES.in:" >&2
	echo "$unlisted" | sed 's/^/  /' >&2
	status=1
fi

# sorted, no duplicates
if ! sort -u -c "$tmp/listed" 2>/dev/null; then
	echo "check-potfiles: po/POTFILES.in is not sorted or has duplicates; expected order:" >&2
	sort -u "$tmp/listed" | sed 's/^/  /' >&2
	status=1
fi

if [ "$status" -eq 0 ]; then
	echo "check-potfiles: po/POTFILES.in lists all $(wc -l <"$tmp/listed" | tr -d ' ') files with translatable strings"
fi
exit "$status"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The layering rules of src/DESIGN.md, checked on the source tree (TAP):
# the engine and the simulator never include GTK; the window and the CLI include no simulator
# header (simulated boards reach them through the engine's port registry); the transport base
# class includes no backend; no source file grows past 900 lines.
set -u
src=${1:-$(dirname "$0")/../src}
n=0
failed=0

check() {
	local what=$1 found=$2
	n=$((n + 1))
	if [ -z "$found" ]; then
		echo "ok $n - $what"
	else
		echo "not ok $n - $what"
		printf '%s\n' "$found" | sed 's/^/# /'
		failed=$((failed + 1))
	fi
}

check "the engine and the simulator do not include GTK" \
	"$(grep -rnE '#include <(gtk|adwaita)' "$src/engine" "$src/sim" || true)"
check "the window and the CLI include no simulator header" \
	"$(grep -rn '#include "fk-sim' "$src/ui" "$src/cli" || true)"
check "the transport base class includes no backend" \
	"$(grep -nE '#include "fk-(port|transport-[a-z0-9]+)\.h"' "$src/engine/fk-transport.c" "$src/engine/fk-transport.h" || true)"
check "no source file is longer than 900 lines" \
	"$(find "$src" -name '*.c' -exec wc -l {} + | awk '$2 != "total" && $1 > 900 {print $2 ": " $1 " lines"}')"
echo "1..$n"
[ "$failed" -eq 0 ]

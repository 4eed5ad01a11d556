#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Interoperability test: esptool-js (Espressif's JavaScript implementation of the serial
# protocol) against flashkeep-sim over TCP.
#
#   run-esptool-js.sh FLASHKEEP_SIM CHIP SIZE [NODE]
#
# 1. Starts the simulator with a fixed seed and stops it at once: its --dump is the pristine flash.
# 2. Starts it again with the same seed and runs esptool-js-client.mjs against it (backup, chip
#    erase, restore, test writes, region erase, final read).
# 3. Stops the simulator with SIGTERM and compares, byte for byte:
#      the client's backup            with the pristine flash,
#      the simulator's final dump     with what the client expects the flash to hold,
#      the client's final read        with the simulator's final dump.
#
# NODE is the node binary (empty or absent: node on PATH). Environment: FK_INTEROP_TRACE=1 (wire traces
# from both sides), FK_INTEROP_KEEP=1 (keep the work directory), FK_INTEROP_SEED (default 20240).

set -u

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [ $# -lt 3 ]; then
	echo "usage: $0 FLASHKEEP_SIM CHIP SIZE" >&2
	exit 2
fi
sim="$1"
chip="$2"
size="$3"
seed="${FK_INTEROP_SEED:-20240}"

fail() {
	echo "FAIL: $*"
	exit 1
}

node="${4:-}"
if [ -z "$node" ]; then
	node="$(command -v node || true)"
fi
if [ -z "$node" ] || ! [ -x "$node" ]; then
	fail "node (Node.js 20 or newer) is not installed. Install it, then run: npm ci --prefix tests/node"
fi
if ! [ -f "$here/node_modules/esptool-js/package.json" ]; then
	fail "tests/node/node_modules is missing. Run: npm ci --prefix tests/node"
fi
if ! [ -x "$sim" ]; then
	fail "simulator not found or not executable: $sim"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/fk-esptool-js-$chip.XXXXXX")" || fail "mktemp"
sim_pid=""

# shellcheck disable=SC2317 # called through the EXIT trap
cleanup() {
	if [ -n "$sim_pid" ] && kill -0 "$sim_pid" 2>/dev/null; then
		kill -KILL "$sim_pid" 2>/dev/null
		wait "$sim_pid" 2>/dev/null
	fi
	if [ "${FK_INTEROP_KEEP:-0}" = 1 ]; then
		echo "work directory kept: $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT

trace_args=()
client_trace=()
if [ "${FK_INTEROP_TRACE:-0}" = 1 ]; then
	trace_args=(--trace)
	client_trace=(--trace)
fi

# start_sim DUMPFILE LOGFILE: starts the simulator, sets sim_pid and sim_port
start_sim() {
	local dump="$1" log="$2" i line
	: >"$log.out"
	"$sim" --chip "$chip" --size "$size" --port 0 --seed "$seed" --dump "$dump" "${trace_args[@]}" \
		>"$log.out" 2>"$log.err" &
	sim_pid=$!
	sim_port=""
	for ((i = 0; i < 200; i++)); do
		line="$(grep -m1 -E '^listening on 127\.0\.0\.1:[0-9]+$' "$log.out" 2>/dev/null || true)"
		if [ -n "$line" ]; then
			sim_port="${line##*:}"
			return 0
		fi
		if ! kill -0 "$sim_pid" 2>/dev/null; then
			break
		fi
		sleep 0.05
	done
	echo "simulator did not report its port; its output:"
	sed 's/^/  sim| /' "$log.out" "$log.err" | tail -n 40
	return 1
}

# stop_sim: SIGTERM, then wait up to 10 s for the dump to be written
stop_sim() {
	local i rc
	kill -TERM "$sim_pid" 2>/dev/null
	for ((i = 0; i < 200; i++)); do
		kill -0 "$sim_pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$sim_pid" 2>/dev/null; then
		echo "simulator ignored SIGTERM for 10 s"
		kill -KILL "$sim_pid" 2>/dev/null
		wait "$sim_pid" 2>/dev/null
		sim_pid=""
		return 1
	fi
	wait "$sim_pid"
	rc=$?
	sim_pid=""
	if [ "$rc" -ne 0 ]; then
		echo "simulator exited with status $rc after SIGTERM"
		return 1
	fi
	return 0
}

failed=0
note_fail() {
	echo "FAIL: $*"
	failed=$((failed + 1))
}
note_pass() {
	echo "PASS: $*"
}

echo "== esptool-js interop: chip $chip, flash $size, seed $seed"
echo "   simulator: $sim"
echo "   node: $("$node" --version), esptool-js $("$node" -p "require('$here/node_modules/esptool-js/package.json').version")"

# -- 1. pristine flash
start_sim "$work/pristine.bin" "$work/sim0" || fail "simulator did not start"
stop_sim || fail "simulator did not stop cleanly"
[ -s "$work/pristine.bin" ] || fail "simulator wrote no --dump file on SIGTERM"
echo "   pristine flash: $(stat -c %s "$work/pristine.bin") bytes, md5 $(md5sum <"$work/pristine.bin" | cut -d' ' -f1)"

# -- 2. the client session
start_sim "$work/final-dump.bin" "$work/sim1" || fail "simulator did not start"
echo "   simulator listening on port $sim_port"
mkdir -p "$work/client"
"$node" "$here/esptool-js-client.mjs" --host 127.0.0.1 --port "$sim_port" --chip "$chip" --size "$size" \
	--out-dir "$work/client" "${client_trace[@]}"
client_rc=$?
if [ "$client_rc" -ne 0 ]; then
	note_fail "esptool-js client reported failures (exit status $client_rc)"
fi

# -- 3. stop and compare
if stop_sim; then
	note_pass "simulator stopped on SIGTERM"
else
	note_fail "simulator did not stop cleanly"
fi

compare() {
	local what="$1" a="$2" b="$3"
	if ! [ -f "$a" ]; then
		note_fail "$what: $(basename "$a") missing"
	elif ! [ -f "$b" ]; then
		note_fail "$what: $(basename "$b") missing"
	elif cmp -s "$a" "$b"; then
		note_pass "$what"
	else
		note_fail "$what: $(cmp "$a" "$b" 2>&1 | head -n 1); differing bytes: $(cmp -l "$a" "$b" 2>/dev/null | wc -l)"
	fi
}
compare "esptool-js backup equals the simulator's pristine flash" "$work/client/backup.bin" "$work/pristine.bin"
compare "simulator's final flash equals what esptool-js wrote and erased" "$work/final-dump.bin" "$work/client/expected-final.bin"
compare "esptool-js final read equals the simulator's final flash" "$work/client/final-read.bin" "$work/final-dump.bin"

if [ "$failed" -ne 0 ] || [ "$client_rc" -ne 0 ]; then
	echo "simulator log (last lines):"
	tail -n 40 "$work/sim1.err" 2>/dev/null | sed 's/^/  sim| /'
	echo "== esptool-js interop $chip: FAILED ($failed)"
	exit 1
fi
echo "== esptool-js interop $chip: OK"
exit 0

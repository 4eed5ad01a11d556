#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The three esptool recipes a Sonoff owner types, verbatim with flashkeep-cli, against
# flashkeep-sim over TCP and against the in-process simulated chip; then bad input.
#   test-cli.sh FLASHKEEP_CLI FLASHKEEP_SIM
set -uo pipefail
cli=$(realpath "$1")
sim=$(realpath "$2")
tmp=$(mktemp -d)
sim_pid=""
cleanup() {
	[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
export XDG_STATE_HOME="$tmp/state"
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; }
# runs a command quietly; its output is shown, as TAP comments, only when it fails
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
MiB=1048576
all_ff() { cmp -s "$1" <(head -c "$2" /dev/zero | tr '\0' '\377'); }

start_sim() { # chip size seed dump
	"$sim" --chip "$1" --size "$2" --port 0 --seed "$3" --dump "$4" >"$tmp/sim.out" 2>"$tmp/sim.err" &
	sim_pid=$!
	for _ in $(seq 100); do
		port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$tmp/sim.out")
		[ -n "$port" ] && return 0
		sleep 0.1
	done
	echo "# flashkeep-sim did not start: $(cat "$tmp/sim.err")"
	return 1
}
stop_sim() {
	kill -TERM "$sim_pid"
	wait "$sim_pid"
	sim_pid=""
}

# what the simulated Sonoff holds before anyone touches it
start_sim esp8266 1MB 5 "$tmp/initial.bin" || exit 1
stop_sim

# --- over TCP, as with ser2net or ESP-Link ---
start_sim esp8266 1MB 5 "$tmp/final.bin" || exit 1
cd "$tmp"
check "read_flash over socket:// succeeds" \
	"$cli" --port socket://127.0.0.1:$port --baud 115200 read_flash 0x00000 0x100000 sonoff-backup.bin
check "the backup is the chip's flash, byte for byte" cmp -s sonoff-backup.bin initial.bin
check "no temporary file is left beside the backup" test "$(ls "$tmp" | grep -c part)" = 0
check "write_flash -fs 1MB -fm dio over socket:// succeeds" \
	"$cli" --port socket://127.0.0.1:$port --baud 115200 write_flash -fs 1MB -fm dio 0x00000 sonoff-backup.bin
"$cli" --port socket://127.0.0.1:$port read_flash 0 ALL readback.bin >/dev/null 2>&1
check "write_flash put the image back (boot header patched to dio/1MB)" \
	cmp -s -i 4 readback.bin sonoff-backup.bin
check "the boot header says dio and 1MB" \
	test "$(od -An -tx1 -j2 -N2 readback.bin | tr -d ' ')" = "02$(printf '%x' $((0x20 | $(od -An -tu1 -j3 -N1 sonoff-backup.bin) & 0x0f)))"
check "erase_flash over socket:// succeeds" \
	"$cli" --port socket://127.0.0.1:$port --baud 115200 erase_flash
stop_sim
check "the erased chip holds only 0xFF" all_ff final.bin $MiB

# --- the in-process simulated chip, remembered between runs ---
check "read_flash from sim:esp8266@1MB" \
	"$cli" --port sim:esp8266@1MB --baud 115200 read_flash 0x00000 0x100000 sim-backup.bin
check "write_flash to sim:esp8266@1MB" \
	"$cli" --port sim:esp8266@1MB --baud 115200 write_flash -fs 1MB -fm dio 0x00000 sonoff-backup.bin
"$cli" --port sim:esp8266@1MB read_flash 0 ALL sim-readback.bin >/dev/null 2>&1
check "sim: write then read round-trips" cmp -s -i 4 sim-readback.bin sonoff-backup.bin
check "erase_flash on sim:esp8266@1MB" "$cli" --port sim:esp8266@1MB --baud 115200 erase_flash
"$cli" --port sim:esp8266@1MB read_flash 0 ALL sim-erased.bin >/dev/null 2>&1
check "sim: erase_flash leaves all 0xFF" all_ff sim-erased.bin $MiB
check "read_flash at 921600 baud on an ESP32" \
	"$cli" --port sim:esp32@4MB -b 921600 read_flash 0 0x40000 esp32.bin
check "verify_flash agrees with the backup" \
	"$cli" --port sim:esp32@4MB verify_flash 0 esp32.bin

# --- bad input: a clear error, a non-zero exit, nothing lost ---
expect_fail() { # name pattern command…
	local name=$1 pattern=$2
	shift 2
	if "$@" >"$tmp/out.txt" 2>&1; then
		not_ok "$name (succeeded)"
	elif grep -qi -- "$pattern" "$tmp/out.txt"; then
		ok "$name"
	else
		not_ok "$name (message: $(tail -3 "$tmp/out.txt" | tr '\n' ' '))"
	fi
}
head -c $((2 * MiB)) /dev/zero >big.bin
expect_fail "a port that does not exist" "does not exist\|not found" \
	"$cli" --port /dev/ttyUSB97 read_flash 0 0x1000 x.bin
expect_fail "nothing listening on a TCP port" "listening\|refused" \
	"$cli" --port socket://127.0.0.1:1 read_flash 0 0x1000 x.bin
expect_fail "a file that does not exist" "does not exist" \
	"$cli" --port sim:esp8266@1MB write_flash 0 missing.bin
expect_fail "an image larger than the flash" "does not fit" \
	"$cli" --port sim:esp8266@1MB write_flash 0 big.bin
expect_fail "an unaligned address" "aligned" \
	"$cli" --port sim:esp8266@1MB write_flash 0x1001 sonoff-backup.bin
expect_fail "an unaligned erase region" "4 KB" \
	"$cli" --port sim:esp8266@1MB erase_region 0x1001 0x1000
expect_fail "a region past the end of the flash" "does not fit" \
	"$cli" --port sim:esp8266@1MB read_flash 0xF0000 0x20000 x.bin
check "a failed read leaves no file" test ! -e x.bin
mkdir badstubs && echo '{"entry": 5, "text": "not base64!' >badstubs/esp8266.json
expect_fail "a malformed stub file" "stub" \
	env FLASHKEEP_STUB_PATH="$tmp/badstubs" "$cli" --port sim:esp8266@1MB read_flash 0 0x1000 x.bin
expect_fail "an unknown command" "Unknown command" "$cli" frobnicate
check "read_flash -h lists --spi-connection and --no-progress" \
	bash -c "'$cli' read_flash -h | grep -q -- --spi-connection && '$cli' read_flash -h | grep -q -- --no-progress"

echo "1..$n"
exit $fail

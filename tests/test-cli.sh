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
noise_pid=""
cleanup() {
	[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null
	[ -n "$noise_pid" ] && kill "$noise_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
export XDG_STATE_HOME="$tmp/state"
# shellcheck source=tests/tap.sh
. "$(dirname "$0")/tap.sh"
MiB=1048576
all_ff() { cmp -s "$1" <(head -c "$2" /dev/zero | tr '\0' '\377'); }

start_sim() { # chip size seed dump
	run_sim --chip "$1" --size "$2" --seed "$3" --dump "$4"
}
# starts flashkeep-sim with these options on a free port and sets $port; the log is emptied
# first, here, so that a port an earlier simulator reported is never read back
run_sim() {
	port=""
	: >"$tmp/sim.out"
	"$sim" "$@" --port 0 >"$tmp/sim.out" 2>"$tmp/sim.err" &
	sim_pid=$!
	# as long as it takes (a loaded machine is slow, not broken), while the simulator runs
	while kill -0 "$sim_pid" 2>/dev/null; do
		port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$tmp/sim.out")
		[ -n "$port" ] && return 0
		sleep 0.05
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
# a simulator stopped as soon as it says where it listens still writes its --dump
dumps=0
for i in 1 2 3 4 5; do
	start_sim esp8266 1MB 5 "$tmp/quick-$i.bin" && stop_sim
	cmp -s "$tmp/quick-$i.bin" "$tmp/initial.bin" && dumps=$((dumps + 1))
done
check "a simulator stopped right after it starts writes its dump ($dumps of 5)" test "$dumps" = 5
# stopped, it exits 0 whatever options it was given (under AddressSanitizer a leak would not)
run_sim --chip esp32 --bind 127.0.0.1 --boot app || exit 1
kill -TERM "$sim_pid"
wait "$sim_pid"
check "a simulator given --chip, --bind and --boot exits cleanly when stopped (status $?)" test $? = 0

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
# a second client while one is connected is told the port is in use, as ser2net does
exec 3<>"/dev/tcp/127.0.0.1/$port"
sleep 0.5
check "a second client is told that the port is in use" bash -c \
	"! '$cli' --port socket://127.0.0.1:$port chip_id >busy.txt 2>&1 && grep -q 'already in use: another program is connected' busy.txt"
exec 3<&-
# a client that has just hung up leaves the port to the next one at once, as esptool-js's
# second session and a user's next click expect (its end of file may not have been read yet)
turned_away=0
for _ in $(seq 10); do
	exec 3<>"/dev/tcp/127.0.0.1/$port"
	printf '\xc0\x00\x08\x24\x00\x00\x00\x00\x00\x07\x07\x12\x20\xc0' >&3
	exec 3<&-
	exec 4<>"/dev/tcp/127.0.0.1/$port"
	timeout 0.3 head -c 19 <&4 | grep -q "already in use" && turned_away=$((turned_away + 1))
	exec 4<&-
done
check "a client right after one that hung up is served (turned away: $turned_away of 10)" \
	test "$turned_away" = 0
check "... and the CLI then talks to the chip" \
	"$cli" --port socket://127.0.0.1:$port --baud 115200 chip_id
# a network port has no RTS line: the CLI says what really happens instead of a reset
"$cli" --port socket://127.0.0.1:$port chip_id >tcp-after.txt 2>&1
check "over socket:// the chip is left as it is, and the CLI says so" \
	grep -q "Leaving the chip as it is: a network port cannot reset it" tcp-after.txt
check "... and no reset via RTS is claimed" bash -c "! grep -qi 'resetting via RTS' tcp-after.txt"
check "... the connection step names the bridge's rate, not a baud it does not use" \
	grep -q "connecting at the bridge's baud rate" tcp-after.txt
stop_sim
# flash that holds the words a server says when it turns a client away (lwIP's error strings
# do) is backed up like any other
yes "Address already in use" | head -c $MiB >inuse.bin
run_sim --chip esp8266 --size 1MB --flash inuse.bin
check "a flash holding 'already in use' is backed up over socket://" \
	"$cli" --port socket://127.0.0.1:$port read_flash 0 0x20000 inuse-backup.bin
check "... byte for byte" cmp -s inuse-backup.bin <(head -c 131072 inuse.bin)
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
# --baud auto: the rate from the simulated USB adapter; a rate that is neither a number nor auto
# is refused before the port opens
"$cli" --port sim:esp32@4MB,adapter=ch340 --baud auto read_flash 0 0x10000 auto.bin >auto.txt 2>&1
check "--baud auto on a CH340 board switches to 2000000" grep -q "changed the baud rate to 2000000" auto.txt
check "... and the backup is the chip's flash" cmp -s auto.bin <(head -c 65536 esp32.bin)
check "--baud fast is refused before the port opens" bash -c \
	"! '$cli' --port sim:esp32@4MB --baud fast chip_id >badbaud.txt 2>&1 && grep -q 'or auto' badbaud.txt && ! grep -q 'Serial port' badbaud.txt"
# --skip-flashed writes only what the chip does not hold yet, and says how much
check "write_flash --skip-flashed of what the chip holds writes nothing" bash -c \
	"'$cli' --port sim:esp32@4MB write_flash --skip-flashed 0 esp32.bin >skip.txt 2>&1 && grep -q 'already held esp32.bin at 0x00000000: nothing written' skip.txt"
cp esp32.bin esp32-changed.bin
printf '\x5a' | dd of=esp32-changed.bin bs=1 seek=$((0x23456)) conv=notrunc status=none
check "write_flash --skip_flashed of a one-byte change writes one sector" bash -c \
	"'$cli' --port sim:esp32@4MB write_flash --skip_flashed 0 esp32-changed.bin >skip.txt 2>&1 && grep -q 'Wrote 4 KB of esp32-changed.bin at 0x00000000 .*the rest was already identical' skip.txt"
check "... and the chip holds the changed image" \
	"$cli" --port sim:esp32@4MB verify_flash 0 esp32-changed.bin
check "write_flash --diff-with OLD asks the chip, not the old file" bash -c \
	"'$cli' --port sim:esp32@4MB write_flash --diff-with esp32-changed.bin 0 esp32.bin >skip.txt 2>&1 && grep -q 'Wrote 4 KB of esp32.bin' skip.txt"
check "--skip-flashed with --no-verify is refused" bash -c \
	"! '$cli' --port sim:esp32@4MB write_flash --skip-flashed --no-verify 0 esp32.bin >skip.txt 2>&1 && grep -q 'cannot be used with --no-verify' skip.txt"
# a bit flipped on the way: that piece is read again, and the person is told
"$cli" --port "sim:esp32@4MB,fault=flip:20000" read_flash 0 0x40000 flipped.bin >flipped.txt 2>&1
check "read_flash survives a flipped bit" cmp -s flipped.bin esp32.bin
check "... and says that the link failed once" grep -q "the link failed 1 time" flipped.txt

# --- the description beside a backup (NAME.bin.json) ---
mac=$("$cli" --port sim:esp8266@1MB read_mac 2>/dev/null | sed -n 's/^MAC: *//p' | head -1)
sha=$(sha256sum sim-erased.bin | cut -d' ' -f1)
check "read_flash saves a description beside the backup" test -f sim-erased.bin.json
check "... which is JSON, a Flashkeep backup description" \
	jq -e '.format == "flashkeep-backup" and .version == 1' sim-erased.bin.json
check "... with the chip's MAC ($mac)" jq -e --arg mac "$mac" '.chip.mac == $mac and ($mac | length) == 17' \
	sim-erased.bin.json
check "... with the file's SHA-256" jq -e --arg sha "$sha" '.backup.sha256 == $sha' sim-erased.bin.json
check "... covering the whole 1 MB flash" \
	jq -e '.backup.whole_flash and .backup.offset == 0 and .backup.length == 1048576 and .flash.size == 1048576' \
	sim-erased.bin.json
check "... and the port it came through" jq -e '.port.name == "sim:esp8266@1MB"' sim-erased.bin.json
check "a partial backup is described as such" jq -e '.backup.whole_flash == false' esp32.bin.json
check "read_flash --no-sidecar saves only the backup, as esptool" \
	"$cli" --port sim:esp8266@1MB read_flash --no-sidecar 0 0x10000 bare.bin
check "... and no description" test ! -e bare.bin.json
check "... which the backup does not need" test "$(stat -c %s bare.bin)" = 65536
check "a described backup's folder joins the window's list of backups" \
	grep -qx "folders=$(pwd);" "$XDG_STATE_HOME/flashkeep/library.ini"
mkdir -p bare-only
(cd bare-only && "$cli" --port sim:esp8266@1MB read_flash --no-sidecar 0 0x1000 bare.bin >/dev/null 2>&1)
check "... a --no-sidecar one's does not" bash -c "! grep -q bare-only '$XDG_STATE_HOME/flashkeep/library.ini'"
cp sim-erased.bin.json bare.bin.json
check "--no-sidecar over an earlier backup takes its description away" \
	"$cli" --port sim:esp8266@1MB read_flash --no_sidecar 0 0x10000 bare.bin
check "... none is left to describe the new file" test ! -e bare.bin.json
# a link that dies half-way: the backup fails, and neither it nor a description is saved
"$cli" --port "sim:esp32@4MB,fault=close:60000" read_flash 0 0x40000 failed.bin >failed.txt 2>&1
check "a failed read_flash exits non-zero" test $? -ne 0
check "... and leaves neither the backup nor its description" \
	test ! -e failed.bin -a ! -e failed.bin.json -a "$(find . -maxdepth 1 -name '.flashkeep-*' | wc -l)" = 0
# Ctrl+C half-way (a 4 MB backup at the simulated 115200 baud takes minutes)
"$cli" --port sim:esp32@4MB,paced read_flash 0 ALL cancelled.bin >cancelled.txt 2>&1 &
cli_pid=$!
for _ in $(seq 100); do
	grep -q "Reading" cancelled.txt 2>/dev/null && break
	sleep 0.1
done
kill -INT "$cli_pid"
wait "$cli_pid"
check "a cancelled read_flash exits non-zero" test $? -ne 0
check "... and leaves neither the backup nor its description" \
	test ! -e cancelled.bin -a ! -e cancelled.bin.json -a "$(find . -maxdepth 1 -name '.flashkeep-*' | wc -l)" = 0

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
# --- the port doctor: why a port failed, and the command that fixes it ---
expect_fail "a port that is not there: the doctor says so and what to watch" "^Run: sudo dmesg --follow" \
	"$cli" --port /dev/ttyUSB97 read_flash 0 0x1000 x.bin
check "... and why" grep -q "^Why: /dev/ttyUSB97 is not there" "$tmp/out.txt"
expect_fail "an ESP32 whose reset does not reach GPIO0: not in download mode" \
	"^Why: The chip is running its firmware, not in download mode: its ROM printed “rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)” at 115200 baud" \
	"$cli" --port "sim:esp32@4MB,no-boot-line,fresh" --wait 0 read_flash 0 0x1000 x.bin
check "... and to hold BOOT while resetting" grep -q "Hold BOOT/GPIO0 while resetting" "$tmp/out.txt"
expect_fail "an ESP8266 that runs its firmware: its boot text is heard at 74880 baud" \
	"^Why: The chip is running its firmware, not in download mode: its ROM printed “ets Jan  8 2013,rst cause:2, boot mode:(3,6)” at 74880 baud" \
	"$cli" --port "sim:esp8266@1MB,no-boot-line,fresh" --wait 0 read_flash 0 0x1000 x.bin
expect_fail "--wait takes no negative number" "0 or more" "$cli" --port sim:esp32 --wait -1 read_flash 0 0x1000 x.bin
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


# --- hostile and mistaken input: refused with a message that says what to do, before anything
# that writes or erases flash goes out (seen in the --trace of every frame sent) ---
sends_flash_writes() { # trace file: FLASH_BEGIN/DATA, FLASH_DEFL_BEGIN/DATA, ERASE_FLASH/REGION
	grep -q "Write [0-9]* bytes: c000\(02\|03\|10\|11\|d0\|d1\)" "$1"
}
nothing_written() { ! sends_flash_writes "$tmp/out.txt"; }
# a complete, checksummed ESP32-family image (one 16-byte segment) for image chip id $1
make_image() {
	{
		printf '\xe9\x01\x02\x20\x00\x00\x08\x40\xee\x00\x00\x00'
		printf "%b" "\\x$(printf %02x "$1")\\x00"
		head -c 10 /dev/zero
		printf '\x00\x00\xfb\x3f\x10\x00\x00\x00'
		head -c 31 /dev/zero
		printf '\xef'
	} >"$2"
}
make_image 0 app-esp32.bin
make_image 5 app-esp32c3.bin
: >empty.bin
head -c 8192 /dev/zero | tr '\0' 'Z' >not-firmware.bin

expect_fail "an empty image" "empty.bin is empty: nothing was written" \
	"$cli" --port sim:esp32@4MB write_flash 0x10000 empty.bin
expect_fail "an ESP32 image on an ESP8266 is refused" "image for the ESP32 .*but the chip is an ESP8266" \
	"$cli" --port sim:esp8266@1MB --trace write_flash 0 app-esp32.bin
check "... the message says how to write it anyway" grep -q -- "--force" out.txt
check "... and nothing was written" nothing_written
expect_fail "an ESP32-C3 image on an ESP32 is refused" "image for the ESP32-C3" \
	"$cli" --port sim:esp32@4MB --trace write_flash 0x10000 app-esp32c3.bin
check "... and nothing was written" nothing_written
"$cli" --port sim:esp32@4MB --trace write_flash --force 0x10000 app-esp32c3.bin >forced.txt 2>&1
forced=$?
check "write_flash --force writes it anyway, with a warning" \
	bash -c "test $forced = 0 && grep -q 'writing it anyway (--force)' forced.txt"
check "the trace check sees writes when there are some" sends_flash_writes forced.txt
check "verify_flash agrees with the forced image" \
	"$cli" --port sim:esp32@4MB verify_flash 0x10000 app-esp32c3.bin
"$cli" --port sim:esp32@4MB write_flash 0x1000 not-firmware.bin >warned.txt 2>&1
warned=$?
check "a file that is not firmware at the boot offset is written, with a warning" \
	bash -c "test $warned = 0 && grep -q 'Warning: not-firmware.bin has no boot image header' warned.txt"
# options are checked before the port is opened: not one frame goes out
nothing_sent() { ! grep -q "TRACE" "$tmp/out.txt"; }
head -c 4096 /dev/zero | tr '\0' 'A' >part-a.bin
head -c 4096 /dev/zero | tr '\0' 'B' >part-b.bin
expect_fail "write_flash -fm bogus with two files" "Unknown flash mode .bogus." \
	"$cli" --port sim:esp32@4MB --trace write_flash -fm bogus 0x10000 part-a.bin 0x20000 part-b.bin
check "... and nothing was sent to the chip" nothing_sent
expect_fail "write_flash -fs 3MB on a data file" "Flash size .3MB. does not exist" \
	"$cli" --port sim:esp32@4MB --trace write_flash -fs 3MB 0x10000 part-a.bin
check "... and nothing was sent to the chip" nothing_sent
expect_fail "write_flash -ff 99m on a data file" "Flash frequency .99m. is not possible" \
	"$cli" --port sim:esp32@4MB --trace write_flash -ff 99m 0x10000 part-a.bin
check "... and nothing was sent to the chip" nothing_sent
expect_fail "write_flash -ff 60m on an ESP8266 (--chip esp8266)" "not possible on the ESP8266" \
	"$cli" --port sim:esp8266@1MB --chip esp8266 --trace write_flash -ff 60m 0x10000 part-a.bin
check "... and nothing was sent to the chip" nothing_sent
expect_fail "write_flash with --after bogus" "--after takes" \
	"$cli" --port sim:esp32@4MB --after bogus --trace write_flash 0x10000 part-a.bin
check "... and nothing was sent to the chip" nothing_sent
expect_fail "read_flash with --before bogus" "--before takes" \
	"$cli" --port sim:esp32@4MB --before bogus --trace read_flash 0 0x1000 x.bin
check "... and nothing was sent to the chip, no file made" bash -c "! grep -q TRACE out.txt && test ! -e x.bin"
expect_fail "overlapping images" "overlap" \
	"$cli" --port sim:esp32@4MB --trace write_flash 0x10000 part-a.bin 0x10800 part-b.bin
check "... and nothing was sent to the chip" nothing_sent
expect_fail "write_flash of a folder" "The image sub is a folder, not a file" \
	bash -c "mkdir -p sub && '$cli' --port sim:esp32@4MB --trace write_flash 0x10000 sub"
check "... and nothing was sent to the chip" nothing_sent
expect_fail "write_flash of /dev/zero" "/dev/zero is a device, not a file" \
	"$cli" --port sim:esp32@4MB --trace write_flash 0x10000 /dev/zero
check "... and nothing was sent to the chip" nothing_sent
expect_fail "read_flash to an empty file name" "No file name was given" \
	"$cli" --port sim:esp32@4MB --trace read_flash 0 0x1000 ""
check "... and nothing was sent to the chip" nothing_sent
mkfifo pipe.bin
expect_fail "read_flash to a FIFO" "pipe (FIFO), not a file" \
	"$cli" --port sim:esp32@4MB --trace read_flash 0 0x1000 pipe.bin
check "... and nothing was sent to the chip, the FIFO is still there" bash -c "! grep -q TRACE out.txt && test -p pipe.bin"
expect_fail "read_flash of size 0" "size is 0" \
	"$cli" --port sim:esp32@4MB read_flash 0 0 x.bin
expect_fail "erase_region of size 0" "size is 0" \
	"$cli" --port sim:esp32@4MB erase_region 0x1000 0
expect_fail "a size that is not a size" "not a size" \
	"$cli" --port sim:esp32@4MB read_flash 0 12parsecs x.bin
expect_fail "a size that overflows when multiplied" "not a size" \
	"$cli" --port sim:esp32@4MB erase_region 0 17592186044417MB
expect_fail "erase_region past the end of the flash" "does not fit in the 4 MB flash" \
	"$cli" --port sim:esp32@4MB --trace erase_region 0x3FF000 0x2000
check "... and nothing was erased" nothing_written
expect_fail "erase_region wrapping round past 4 GB" "past 4 GB" \
	"$cli" --port sim:esp32@4MB erase_region 0xFFFFF000 0x2000
expect_fail "write_flash wrapping round past 4 GB" "past 4 GB" \
	"$cli" --port sim:esp32@4MB write_flash 0xFFFFFFFC app-esp32.bin
expect_fail "an address beyond 32 bits" "32 bits" \
	"$cli" --port sim:esp32@4MB read_flash 0x100000000 0x1000 x.bin
expect_fail "read_flash all from past the end of the flash" "past the end of the 4 MB flash" \
	"$cli" --port sim:esp32@4MB read_flash 0x500000 all x.bin
check "failed reads leave no file" test ! -e x.bin
expect_fail "a port that does not exist" "ttyDOESNOTEXIST does not exist" \
	"$cli" --port /dev/ttyDOESNOTEXIST chip_id
expect_fail "a port that is /dev/null" "not a serial port" "$cli" --port /dev/null chip_id
expect_fail "a port that is a regular file" "not a serial port" "$cli" --port "$tmp/empty.bin" chip_id
mkdir b64stubs && echo '{"entry": 1074429952, "text": "@@@@", "text_start": 1074429952}' >b64stubs/esp32.json
expect_fail "a stub whose base64 does not decode" "b64stubs/esp32.json has a .text. segment that is not base64" \
	env FLASHKEEP_STUB_PATH="$tmp/b64stubs" "$cli" --port sim:esp32@4MB chip_id
check "... the message says how to get past it" grep -q -- "--no-stub" out.txt
if [ -f "${FLASHKEEP_STUB_PATH:-}/esp8266.json" ]; then
	mkdir wrongstubs && cp "$FLASHKEEP_STUB_PATH/esp8266.json" wrongstubs/esp32.json
	expect_fail "the ESP8266 stub installed as esp32.json" "wrongstubs/esp32.json is not for the ESP32" \
		env FLASHKEEP_STUB_PATH="$tmp/wrongstubs" "$cli" --port sim:esp32@4MB --trace chip_id
	check "... and it was not uploaded" bash -c "! grep -q 'Write [0-9]* bytes: c00005' out.txt"
else
	ok "the ESP8266 stub installed as esp32.json # SKIP Espressif's stubs are not installed"
	ok "... and it was not uploaded # SKIP"
fi
# a "chip" that sends nothing but noise: what a board running firmware at another rate looks like
py=$(command -v python3 || true)
if [ -n "$py" ]; then
	"$py" -c '
import random, socket, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
r = random.Random(5)
try:
    while True:
        c.sendall(bytes(r.randrange(256) for _ in range(64)))
        time.sleep(0.005)
except OSError:
    pass
' >noise.port &
	noise_pid=$!
	for _ in $(seq 100); do
		noise_port=$(cat noise.port)
		[ -n "$noise_port" ] && break
		sleep 0.1
	done
	# a hang guard only (no test asserts a wall-clock limit): the program must stop by itself,
	# which the noise limit guarantees; timeout's status 124 would mean it was stopped
	timeout 300 "$cli" --port "socket://127.0.0.1:$noise_port" chip_id >out.txt 2>&1
	noise_status=$?
	check "a port that answers with noise" grep -q "No reply from the chip.*baud rate" out.txt
	check "... gives up by itself" bash -c "test $noise_status != 0 && test $noise_status != 124"
	kill "$noise_pid" 2>/dev/null
	wait "$noise_pid" 2>/dev/null
	noise_pid=""
else
	ok "a port that answers with noise # SKIP no python3"
	ok "... gives up by itself # SKIP"
fi

# --- what the command line says on the way ---
"$cli" --version >version.txt 2>&1
version_status=$?
check "--version prints the name and version, as esptool does" \
	bash -c "test $version_status = 0 && grep -qx 'flashkeep-cli [0-9][0-9.]*' version.txt"
"$cli" --port /dev/ttyUSB9 chip_id >missing-port.txt 2>&1
check "a missing port gives each piece of advice once" test "$(grep -o brltty missing-port.txt | wc -l)" = 1
check "... and points to list_ports" grep -q "flashkeep-cli list_ports" missing-port.txt
check "verify_flash -h offers --flash-mode, which verify_flash takes" \
	bash -c "'$cli' verify_flash -h | grep -q -- --flash-mode"
cp sonoff-backup.bin header.bin # a firmware with a boot header
"$cli" --port sim:esp8266@1MB write_flash -fm dout -fs 1MB -ff 20m 0 header.bin >/dev/null 2>&1
expect_fail "verify_flash after write_flash -fm says the boot header differs, and how" \
	"differs from header.bin only in the boot header's flash mode/size/frequency (bytes 2–3), which write_flash set to dout/1 MB/20m; pass the same -fm/-fs/-ff" \
	"$cli" --port sim:esp8266@1MB verify_flash 0 header.bin
check "verify_flash -fm dout -fs 1MB -ff 20m (esptool's meaning) matches" \
	"$cli" --port sim:esp8266@1MB verify_flash -fm dout -fs 1MB -ff 20m 0 header.bin
check "... also spelled --flash_mode/--flash_size/--flash_freq" \
	"$cli" --port sim:esp8266@1MB verify_flash --flash_mode dout --flash_size 1MB --flash_freq 20m 0 header.bin
printf 'Z' | dd of=header.bin bs=1 seek=100 conv=notrunc 2>/dev/null
expect_fail "a difference past the header is still just a difference" "differs from header.bin$" \
	"$cli" --port sim:esp8266@1MB verify_flash 0 header.bin
expect_fail "verify_flash -fm bogus is refused before connecting" "Unknown flash mode .bogus." \
	"$cli" --port sim:esp8266@1MB --trace verify_flash -fm bogus 0 header.bin
check "... and nothing was sent to the chip" nothing_sent
expect_fail "read_flash into a folder that does not exist" "The folder $tmp/no-such-folder does not exist" \
	"$cli" --port sim:esp8266@1MB --trace read_flash 0 0x1000 "$tmp/no-such-folder/x.bin"
check "... is refused before the port opens" nothing_sent
"$cli" --port sim:esp32@4MB -b 921600 chip_id >baud.txt 2>&1
check "the connection step names the baud rate in use (115200)" grep -q "connecting at 115200 baud" baud.txt
check "... and the change to 921600 comes after it" \
	bash -c "grep -n 'connecting at 115200 baud\|changing the baud rate to 921600' baud.txt | cut -d: -f2 | tr '\n' '|' | grep -q '^connecting at 115200 baud|changing the baud rate to 921600|$'"
check "... and nothing says 921600 before the change" \
	bash -c "! sed '/changing the baud rate/,\$d' baud.txt | grep -q 921600"

# --- restore_partition: one partition of a whole-flash backup, on a chip of the same layout ---
pchip=sim:esp32@2MB
pmsg() { grep -q -- "$1" part.txt; }
check "read_flash of a whole ESP32 flash for restore_partition" "$cli" --port $pchip read_flash 0 ALL part-backup.bin
# months later the settings (nvs, 0x9000) and the app (0x10000) have changed
cp part-backup.bin part-changed.bin
printf 'ZZ' | dd of=part-changed.bin bs=1 seek=$((0x9100)) conv=notrunc status=none
printf 'ZZ' | dd of=part-changed.bin bs=1 seek=$((0x12345)) conv=notrunc status=none
"$cli" --port $pchip write_flash --skip-flashed 0 part-changed.bin >/dev/null 2>&1
"$cli" --port $pchip restore_partition nvs part-backup.bin >part.txt 2>&1
status=$?
check "restore_partition nvs writes the sector that differs and says so" bash -c "test $status = 0 && grep -q \
	'Restored partition nvs (24 KB at 0x9000) from part-backup.bin: wrote 4 KB; the rest was already identical. Verified.' part.txt"
cp part-changed.bin part-expected.bin
dd if=part-backup.bin of=part-expected.bin bs=4096 skip=9 seek=9 count=6 conv=notrunc status=none
"$cli" --port $pchip read_flash --no-sidecar 0 ALL part-after.bin >/dev/null 2>&1
check "... nvs is the backup's again, the app keeps its change, nothing else moved" cmp -s part-after.bin part-expected.bin
"$cli" --port $pchip restore-partition nvs part-backup.bin >part.txt 2>&1
check "restore-partition (dash spelling) of what the chip holds writes nothing" \
	pmsg "Partition nvs (24 KB at 0x9000) already held what part-backup.bin has: nothing written. Verified."
expect_fail "restore_partition of a name the backup has not lists the names it has" \
	"has no partition “settings”; its partitions are: nvs, phy_init, factory, storage" \
	"$cli" --port $pchip --trace restore_partition settings part-backup.bin
check "... and is refused before the port opens" nothing_sent
expect_fail "restore_partition from an ESP8266 backup: it has no partition table" \
	"initial.bin has no partition table" "$cli" --port $pchip --trace restore_partition nvs initial.bin
check "... refused before the port opens" nothing_sent
head -c $((0xA000)) part-backup.bin >part-cut.bin
expect_fail "restore_partition from a backup that ends inside nvs" "is not entirely inside part-cut.bin" \
	"$cli" --port $pchip restore_partition nvs part-cut.bin
# the chip's nvs moved to 0xa000: the backup's nvs would land on something else
dd if=part-backup.bin of=part-table.bin bs=4096 skip=8 count=1 status=none
cp part-table.bin part-table-moved.bin
printf '\xa0' | dd of=part-table-moved.bin bs=1 seek=5 conv=notrunc status=none
"$cli" --port $pchip write_flash 0x8000 part-table-moved.bin >/dev/null 2>&1
cp part-after.bin part-moved.bin
dd if=part-table-moved.bin of=part-moved.bin bs=4096 seek=8 conv=notrunc status=none
expect_fail "restore_partition on a chip whose nvs lies elsewhere is refused" \
	"The chip's partition table has “nvs” as data/nvs, 24 KB at 0xa000, and part-backup.bin has it as data/nvs, 24 KB at 0x9000" \
	"$cli" --port $pchip restore_partition nvs part-backup.bin
"$cli" --port $pchip read_flash --no-sidecar 0 ALL part-refused.bin >/dev/null 2>&1
check "... and writes nothing" cmp -s part-refused.bin part-moved.bin
"$cli" --port $pchip write_flash 0x8000 part-table.bin >/dev/null 2>&1
check "restore_partition -h offers --no-verify" bash -c "'$cli' restore_partition -h | grep -q -- --no-verify"

# --- a board without auto-reset: the CLI waits for a person to press its buttons ---
# starts flashkeep-cli with these arguments in the background (pid in $cli_pid) and waits, as
# long as it takes, until it asks for the person's hands on stderr
cli_until_asked() {
	"$cli" "$@" >"$tmp/hand.out" 2>"$tmp/hand.err" &
	cli_pid=$!
	while kill -0 "$cli_pid" 2>/dev/null && ! grep -q "waiting for the chip, Ctrl+C to stop" "$tmp/hand.err"; do
		sleep 0.05
	done
}
run_sim --chip esp32 --size 2MB --seed 9 --noreset --dump "$tmp/noreset.bin" || exit 1
cli_until_asked --port socket://127.0.0.1:$port --before no_reset read_flash 0 ALL "$tmp/by-hand.bin"
check "read_flash --before no_reset asks to hold BOOT and tap EN, on stderr" grep -q "^Hold BOOT (GPIO0), tap EN" "$tmp/hand.err"
kill -USR1 "$sim_pid"
wait "$cli_pid"
check "... and carries on by itself once they are pressed" test $? = 0
stop_sim
check "... the backup is the chip's flash, byte for byte" cmp -s "$tmp/by-hand.bin" "$tmp/noreset.bin"
run_sim --chip esp32 --size 2MB --seed 9 --noreset || exit 1
cli_until_asked --port socket://127.0.0.1:$port --before no_reset read_flash 0 ALL "$tmp/stopped.bin"
kill -INT "$cli_pid"
wait "$cli_pid"
check "Ctrl+C while waiting for the chip stops flashkeep-cli with a failure" test $? = 1
check "... and leaves no file" test ! -e "$tmp/stopped.bin"
stop_sim

# --- image_info: what a dump holds, without a chip ---
start_sim esp32 4MB 5 "$tmp/esp32-dump.bin" || exit 1
stop_sim
"$cli" image_info "$tmp/esp32-dump.bin" >info32.txt 2>&1
check "image_info on an ESP32 dump finds the partition table and its MD5" \
	grep -q "^Partition table at 0x8000: 4 partitions, MD5 valid" info32.txt
check "... lists the factory app partition" grep -qE "^  factory +app +factory +0x010000" info32.txt
check "... with the app descriptor's name and version" grep -q "app “flashkeep-demo” version 1.4.2" info32.txt
check "... and says which app the bootloader starts" grep -qE "^  factory .*the bootloader starts this one" info32.txt
"$cli" image-info "$tmp/initial.bin" >info8266.txt 2>&1
check "image-info (dash spelling) on an ESP8266 dump names its layout" \
	grep -q "^Layout: one image at 0x0 (NONOS SDK, no OTA)" info8266.txt
check "... and the SDK's PHY init data at the end of the flash" \
	grep -qE "^  0x0fc000 PHY init data .* present" info8266.txt
expect_fail "image_info of a file that is not there" "cannot be read" "$cli" image_info "$tmp/no-such.bin"

echo "1..$n"
exit $fail

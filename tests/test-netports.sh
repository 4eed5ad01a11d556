#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Remote and bridged serial ports, end to end with flashkeep-cli at 921600 baud: a backup and a
# restore, byte for byte, through
#   - flashkeep-sim --rfc2217 (the reset into download mode and the baud change over the network)
#   - a socat pseudo-terminal bridge (the plain termios fallback: no modem lines)
#   - pyserial's rfc2217_server.py and ser2net in front of a simulated chip on a socat pty
# The interop parts are skipped, with the reason, when socat, ser2net or pyserial are missing.
#   test-netports.sh FLASHKEEP_CLI FLASHKEEP_SIM PTY_MODEM_SHIM
set -uo pipefail
cli=$(realpath "$1")
sim=$(realpath "$2")
shim=$(realpath "$3")
tmp=$(mktemp -d)
pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
export XDG_STATE_HOME="$tmp/state"
# shellcheck source=tests/tap.sh
. "$(dirname "$0")/tap.sh"
python=/usr/bin/python3
rfc2217_server=/usr/share/doc/python3-serial/examples/rfc2217_server.py
cd "$tmp" || exit 1

skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# starts flashkeep-sim with these options on a free port; sets $port and $sim_pid
run_sim() {
	port=""
	: >sim.out
	"$sim" "$@" --port 0 >sim.out 2>sim.err &
	sim_pid=$!
	pids+=("$sim_pid")
	while kill -0 "$sim_pid" 2>/dev/null; do
		port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' sim.out)
		[ -n "$port" ] && return 0
		sleep 0.05
	done
	echo "# flashkeep-sim did not start: $(cat sim.err)"
	return 1
}
stop_sim() {
	kill -TERM "$sim_pid"
	wait "$sim_pid"
}
# a TCP port nobody listens on now
free_port() {
	"$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# waits until something listens on 127.0.0.1:$1
wait_listen() {
	for _ in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
# a pty at $1 linked to the simulator's raw TCP port
pty_bridge() {
	socat "pty,link=$1,raw,echo=0" "tcp:127.0.0.1:$port" 2>socat.err &
	pids+=($!)
	for _ in $(seq 100); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

# what the simulated board holds, and the image restored onto it (changed in every sector)
size=1MB
bytes=1048576
run_sim --chip esp32 --size $size --seed 11 --dump initial.bin || exit 1
stop_sim
head -c $bytes /dev/urandom >image.bin

# backup_restore LABEL PORT [SIM OPTIONS…]: a simulator with those options must be running
# and reachable through PORT; a backup, then a restore of image.bin, both checked byte for byte
backup_restore() {
	local label=$1 name=$2 t
	t=$(now)
	check "$label: read_flash at 921600 succeeds" \
		"$cli" --port "$name" --baud 921600 read_flash 0 ALL "backup-$label.bin"
	cp "$tmp/check.out" "read-$label.log"
	echo "# $label: backup of $size in $(took "$t") s"
	check "$label: the backup is the chip's flash, byte for byte" cmp -s "backup-$label.bin" initial.bin
	check "$label: the baud rate changed to 921600" grep -q "changed the baud rate to 921600" "read-$label.log"
	t=$(now)
	check "$label: write_flash at 921600 succeeds" \
		"$cli" --port "$name" --baud 921600 write_flash 0 image.bin
	echo "# $label: restore of $size in $(took "$t") s"
}
# the simulator's flash after it stops is the restored image
check_restored() {
	stop_sim
	check "$1: the chip holds the restored image, byte for byte" cmp -s final.bin image.bin
}

# --- flashkeep-sim --rfc2217: the board starts its firmware, so only the DTR/RTS reset sent
# over the network brings it into download mode; its UART garbles bytes sent at another rate ---
run_sim --chip esp32 --size $size --seed 11 --rfc2217 --boot app --dump final.bin || exit 1
backup_restore sim-rfc2217 "rfc2217://127.0.0.1:$port"
check "sim-rfc2217: the chip was reset over the network (no manual reset asked for)" \
	bash -c "! grep -q 'reset into download mode by hand' read-sim-rfc2217.log"
check_restored sim-rfc2217
# the same simulator without the reset lines: the firmware runs and nothing answers
run_sim --chip esp32 --size $size --seed 11 --rfc2217 --boot app || exit 1
check "sim-rfc2217: without the network reset the chip stays in its firmware" bash -c \
	"! timeout 120 '$cli' --port rfc2217://127.0.0.1:$port --before no_reset chip_id >noreset.log 2>&1"
stop_sim

if ! command -v socat >/dev/null; then
	skip "pty bridge, rfc2217_server.py and ser2net" "socat is not installed (apt-get install socat)"
	echo "1..$n"
	exit $fail
fi

# --- a socat pty: libserialport refuses it, plain termios takes it; no modem lines ---
run_sim --chip esp32 --size $size --seed 11 --dump final.bin || exit 1
pty_bridge "$tmp/ttyPTY" || echo "# socat: $(cat socat.err)"
backup_restore pty "$tmp/ttyPTY"
check "pty: the log says the chip must be reset by hand" \
	grep -q "reset into download mode by hand" read-pty.log
check_restored pty

# --- pyserial's rfc2217_server.py on a pty (its DTR/RTS calls reach a stand-in: a pty has no
# lines, so the simulated chip starts in download mode) ---
if ! "$python" -c 'import serial.rfc2217' 2>/dev/null || [ ! -f "$rfc2217_server" ]; then
	skip "rfc2217_server.py" "pyserial is not installed (apt-get install python3-serial)"
else
	run_sim --chip esp32 --size $size --seed 11 --dump final.bin || exit 1
	pty_bridge "$tmp/ttyPY" || echo "# socat: $(cat socat.err)"
	py_port=$(free_port)
	LD_PRELOAD="$shim" "$python" "$rfc2217_server" -p "$py_port" "$tmp/ttyPY" >pyserver.log 2>&1 &
	pids+=($!)
	# not probed by connecting: the server would then be busy for seconds with that client
	for _ in $(seq 100); do
		grep -q "TCP/IP port: $py_port" pyserver.log && break
		sleep 0.1
	done
	if grep -q "TCP/IP port: $py_port" pyserver.log; then
		backup_restore pyserial "rfc2217://127.0.0.1:$py_port"
	else
		not_ok "pyserial: rfc2217_server.py did not start"
		sed 's/^/# /' pyserver.log
	fi
	check_restored pyserial
fi

# --- ser2net 4 (telnet rfc2217 accepter) on a pty ---
if ! command -v ser2net >/dev/null; then
	skip "ser2net" "ser2net is not installed (apt-get install ser2net)"
else
	run_sim --chip esp32 --size $size --seed 11 --dump final.bin || exit 1
	pty_bridge "$tmp/ttyS2N" || echo "# socat: $(cat socat.err)"
	s2n_port=$(free_port)
	cat >ser2net.yaml <<-EOF
		connection: &flashkeep
		  accepter: telnet(rfc2217),tcp,127.0.0.1,$s2n_port
		  connector: serialdev,$tmp/ttyS2N,115200n81,local
	EOF
	ser2net -n -d -c ser2net.yaml -P "$tmp/ser2net.pid" >ser2net.log 2>&1 &
	pids+=($!)
	if wait_listen "$s2n_port"; then
		backup_restore ser2net "rfc2217://127.0.0.1:$s2n_port"
	else
		not_ok "ser2net did not start"
		sed 's/^/# /' ser2net.log
	fi
	check_restored ser2net
fi

echo "1..$n"
exit $fail

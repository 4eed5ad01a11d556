#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# flashkeep-sim serving several chips at once (--board, --count): two clients back up two
# different chips at the same time, byte for byte what the simulator holds, each board with its
# own port, flash and MAC; a second client on a busy board's port is turned away while the
# other board serves; then bad combinations of options.
#   test-sim-boards.sh FLASHKEEP_CLI FLASHKEEP_SIM
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
# shellcheck source=tests/tap.sh
. "$(dirname "$0")/tap.sh"
KiB=1024

# starts flashkeep-sim with these options and waits for its $1 "listening on" lines; sets $ports
run_sim() {
	local want=$1
	shift
	ports=()
	"$sim" "$@" >"$tmp/sim.out" 2>"$tmp/sim.err" &
	sim_pid=$!
	# as long as it takes (a loaded machine is slow, not broken), while the simulator runs
	while kill -0 "$sim_pid" 2>/dev/null; do
		mapfile -t ports < <(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$tmp/sim.out")
		[ "${#ports[@]}" -ge "$want" ] && return 0
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
mac_of() { sed -n 's/^MAC: //p' "$1"; }

# ---- two boards, two clients at once ----
# paced like real boards, so both backups take a while and overlap
run_sim 2 --board esp32@1MB --board esp8266@1MB --port 0 --paced --dump "$tmp/dump.bin" || exit 1
check "one line per board" test "${#ports[@]}" -eq 2
check "each board its own port" test "${ports[0]}" != "${ports[1]}"
"$cli" --port "socket://127.0.0.1:${ports[0]}" read_flash 0 $((256 * KiB)) "$tmp/a.bin" >"$tmp/a.out" 2>&1 &
a_pid=$!
"$cli" --port "socket://127.0.0.1:${ports[1]}" read_flash 0 $((256 * KiB)) "$tmp/b.bin" >"$tmp/b.out" 2>&1 &
b_pid=$!
# while both are served, a third client on the first board's port is told it is in use
while kill -0 "$a_pid" 2>/dev/null && ! grep -q "detected" "$tmp/a.out"; do sleep 0.05; done
if kill -0 "$a_pid" 2>/dev/null; then
	check "a busy board's port turns a second client away" \
		bash -c "! '$cli' --port 'socket://127.0.0.1:${ports[0]}' read_mac >'$tmp/c.out' 2>&1 && grep -q 'in use' '$tmp/c.out'"
else
	ok "a busy board's port turns a second client away # SKIP the first backup ended before the check"
fi
wait "$a_pid"
a_rc=$?
wait "$b_pid"
b_rc=$?
check "first board backed up" test "$a_rc" -eq 0
check "second board backed up" test "$b_rc" -eq 0
stop_sim
check "first backup is the first board's flash" cmp "$tmp/a.bin" <(head -c $((256 * KiB)) "$tmp/dump.bin.1")
check "second backup is the second board's flash" cmp "$tmp/b.bin" <(head -c $((256 * KiB)) "$tmp/dump.bin.2")
check "the boards hold different flash" bash -c "! cmp -s '$tmp/dump.bin.1' '$tmp/dump.bin.2'"
check "the first is an ESP32" grep -q "ESP32" "$tmp/a.out"
check "the second is an ESP8266" grep -q "ESP8266" "$tmp/b.out"
check "each board its own MAC" test "$(mac_of "$tmp/a.out")" != "$(mac_of "$tmp/b.out")"

# ---- --count: boards of one chip on consecutive ports, each its own MAC ----
first=$((20000 + RANDOM % 20000))
if run_sim 3 --chip esp32c3 --count 3 --port "$first"; then
	check "three boards on consecutive ports" test "${ports[*]}" = "$first $((first + 1)) $((first + 2))"
	for i in 0 1 2; do
		"$cli" --port "socket://127.0.0.1:${ports[$i]}" read_mac >"$tmp/mac$i.out" 2>&1 &
		pids[i]=$!
	done
	for i in 0 1 2; do wait "${pids[$i]}"; done
	macs=$(for i in 0 1 2; do mac_of "$tmp/mac$i.out"; done | sort -u | wc -l)
	check "three MACs, all different" test "$macs" -eq 3
	stop_sim
else
	# the random ports were taken: not this program's fault
	ok "three boards on consecutive ports # SKIP ports $first.. in use"
	ok "three MACs, all different # SKIP ports $first.. in use"
fi

# ---- options that do not go together ----
check "--board and --chip refused" bash -c "'$sim' --board esp32 --chip esp8266 --port 0; test \$? -eq 2"
check "--flash with two boards refused" \
	bash -c "'$sim' --board esp32 --board esp32 --flash /dev/null --port 0; test \$? -eq 2"
check "--board without a chip refused" bash -c "'$sim' --board @1MB --port 0; test \$? -eq 2"

echo "1..$n"
exit $fail

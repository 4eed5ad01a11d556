#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# What a person gets from `meson install` and from `meson devenv`, checked as they would use it:
#   test-install.sh install BUILD_ROOT BINDIR DATADIR LOCALEDIR CHECK_PROGRAM   (absolute, with the prefix)
#     installs this build with --destdir into a temporary folder and checks every piece landed;
#     then runs the installed programs with only that tree (no build-tree environment)
#   test-install.sh devenv BUILD_ROOT SOURCE_ROOT CHECK_PROGRAM
#     checks that `meson devenv` puts the programs on PATH and the app's icons in reach
# Needs a display (meson runs it inside xvfb-run). TAP output.
set -uo pipefail
mode=$1
build=$2
tmp=$(mktemp -d)
app_pid=""
cleanup() {
	[ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
app_id=io.github.flashkeep.Flashkeep
# shellcheck source=tests/tap.sh
. "$(dirname "$0")/../tap.sh"
# a clean environment: nothing from the build tree or the test setup, only the display and where
# the flasher stubs are (which a person installs with flashkeep-fetch-stubs)
clean_env() {
	env -i PATH=/usr/bin:/bin HOME="$tmp/home" LC_ALL=C.UTF-8 DISPLAY="${DISPLAY:-}" \
		FLASHKEEP_STUB_PATH="${FLASHKEEP_STUB_PATH:-}" \
		XAUTHORITY="${XAUTHORITY:-}" XDG_STATE_HOME="$tmp/state" XDG_DATA_HOME="$tmp/data-home" \
		XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache" GTK_A11Y=none NO_AT_BRIDGE=1 \
		GSK_RENDERER=cairo GDK_BACKEND=x11 GSETTINGS_BACKEND=memory "$@"
}
mkdir -p "$tmp/home"

if [ "$mode" = devenv ]; then
	src=$3
	checker=$4
	# as from a fresh terminal: XDG_DATA_DIRS unset
	check "meson devenv puts flashkeep, flashkeep-cli, flashkeep-sim and flashkeep-fetch-stubs on PATH" \
		env -u XDG_DATA_DIRS -u GSETTINGS_SCHEMA_DIR meson devenv -C "$build" sh -c \
		'command -v flashkeep && command -v flashkeep-cli && command -v flashkeep-sim && command -v flashkeep-fetch-stubs'
	# the README's line, from the folder the person is in
	(cd "$tmp" && env -u XDG_DATA_DIRS XDG_STATE_HOME="$tmp/state" meson devenv -C "$build" -w . \
		flashkeep-cli --port sim:esp8266@1MB read_flash 0 ALL sonoff-backup.bin >"$tmp/readme.out" 2>&1)
	check "the README's quick start line works: meson devenv -C build -w . flashkeep-cli … read_flash" \
		bash -c "test \$(stat -c %s '$tmp/sonoff-backup.bin') = 1048576 || { cat '$tmp/readme.out'; false; }"
	check "under meson devenv the app's icons (the About dialog's) come from data/icons" \
		env -u XDG_DATA_DIRS GTK_A11Y=none GSK_RENDERER=cairo GDK_BACKEND=x11 \
		meson devenv -C "$build" "$checker" "$src/data"
	echo "1..$n"
	exit $fail
fi

bindir=$3
datadir=$4
localedir=$5
checker=$6
dest="$tmp/dest"
check "meson install --destdir succeeds" meson install -C "$build" --no-rebuild --quiet --destdir "$dest"
bin="$dest$bindir"
share="$dest$datadir"
for program in flashkeep flashkeep-cli flashkeep-sim flashkeep-fetch-stubs; do
	check "bin/$program is installed and executable" test -x "$bin/$program"
done
for file in "applications/$app_id.desktop" "metainfo/$app_id.metainfo.xml" \
	"icons/hicolor/scalable/apps/$app_id.svg" "icons/hicolor/symbolic/apps/$app_id-symbolic.svg" \
	"glib-2.0/schemas/$app_id.gschema.xml"; do
	check "share/$file is installed" test -s "$share/$file"
done
check "the German translation is installed" test -s "$dest$localedir/de/LC_MESSAGES/flashkeep.mo"
check "... and is a catalogue gettext reads" bash -c \
	"test \"\$(TEXTDOMAINDIR='$dest$localedir' LANGUAGE=de LC_ALL=C.UTF-8 gettext -d flashkeep 'ESP Flash Backup')\" = 'ESP-Flash-Sicherung'"
check "the installed desktop entry is valid" desktop-file-validate "$share/applications/$app_id.desktop"
check "the installed metainfo is valid" appstreamcli validate --no-net "$share/metainfo/$app_id.metainfo.xml"
# what the install step does outside --destdir (and a distribution's package triggers do)
check "the installed schema compiles" glib-compile-schemas --strict "$share/glib-2.0/schemas"

check "the installed flashkeep-cli runs: --version" \
	bash -c "clean_out=\$('$bin/flashkeep-cli' --version) && test \"\$clean_out\" = 'flashkeep-cli $(meson introspect --projectinfo "$build" | sed -n 's/.*"version": "\([^"]*\)".*/\1/p')'"
check "the installed flashkeep-cli reads a simulated chip" \
	clean_env sh -c "cd '$tmp' && '$bin/flashkeep-cli' --port sim:esp8266@1MB read_flash 0 0x1000 cli.bin && test -s cli.bin"
check "the installed flashkeep-sim runs" clean_env "$bin/flashkeep-sim" --help
check "with only the installed tree, GTK finds the icons, the desktop entry's Icon and Exec, the schema" \
	clean_env XDG_DATA_DIRS="$share:/usr/share" GSETTINGS_SCHEMA_DIR="$share/glib-2.0/schemas" \
	"$checker" "$share" "$bin"
# the installed window starts with that tree alone: a missing schema would abort it at once
if command -v xwininfo >/dev/null; then
	clean_env XDG_DATA_DIRS="$share:/usr/share" GSETTINGS_SCHEMA_DIR="$share/glib-2.0/schemas" \
		"$bin/flashkeep" >"$tmp/app.out" 2>&1 &
	app_pid=$!
	shown=0
	for _ in $(seq 600); do # a hang guard only: the test waits for the window, not for a time
		if xwininfo -root -tree 2>/dev/null | grep -q '"Flashkeep"'; then
			shown=1
			break
		fi
		kill -0 "$app_pid" 2>/dev/null || break
		sleep 0.1
	done
	check "the installed flashkeep opens its window with only the installed tree" test "$shown" = 1
	check "... and says nothing is wrong (no warnings)" bash -c "! grep -E 'WARNING|CRITICAL|not installed' '$tmp/app.out'"
	kill "$app_pid" 2>/dev/null
	wait "$app_pid" 2>/dev/null
	app_pid=""
	[ "$fail" = 0 ] || sed 's/^/# app: /' "$tmp/app.out"
else
	ok "the installed flashkeep opens its window # SKIP xwininfo not found (x11-utils)"
fi
echo "1..$n"
exit $fail

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test.sh - the README's test command: install dependencies, build with
# warnings as errors, run the whole suite with `meson test`.
#   scripts/test.sh [BUILDDIR [meson setup options...]]
# Prints meson's summary; exit status is meson test's.
set -euo pipefail
cd "$(dirname "$0")/.."
"./scripts/setup.sh"
dir=${1:-build}
shift || true
if [ -f "$dir/build.ninja" ]; then
	meson setup --reconfigure "$dir" -Dwerror=true "$@" >/dev/null
else
	meson setup "$dir" -Dwerror=true "$@" >/dev/null
fi
ninja -C "$dir"
meson test -C "$dir" --print-errorlogs --num-processes 2

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test.sh - the README's test command: install dependencies, build with
# warnings as errors, run the whole suite with `meson test`.
#   scripts/test.sh [--vm] [BUILDDIR [meson setup options...]]
# --vm runs only the guest stage instead: the bpf, net and cli suites inside
# a QEMU guest running Debian 12's 6.1 kernel (meson suite 'vm', see
# tests/vm/run.sh); it skips with the reason when QEMU or the kernel image
# is missing.
# Prints meson's summary; exit status is meson test's.
set -euo pipefail
cd "$(dirname "$0")/.."
vm=
if [ "${1:-}" = --vm ]; then
	vm=1
	shift
fi
"./scripts/setup.sh"
dir=${1:-build}
shift || true
if [ -f "$dir/build.ninja" ]; then
	meson setup --reconfigure "$dir" -Dwerror=true "$@" >/dev/null
else
	meson setup "$dir" -Dwerror=true "$@" >/dev/null
fi
ninja -C "$dir"
if [ -n "$vm" ]; then
	tests/vm/run.sh --check ||
		echo "test.sh: the guest tests will skip (reason above)" >&2
	# One guest at a time; inside, the tests run 2 at a time as here.
	exec meson test -C "$dir" --suite vm --print-errorlogs --num-processes 1
fi
meson test -C "$dir" --print-errorlogs --num-processes 2

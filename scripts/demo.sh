#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# demo.sh - the README's main job: install, build, and run vtap-switchd's
# demo (root): two namespaces joined by a userspace switch over multiqueue
# taps with RSS steering, a TCP transfer across it, and its checks.
set -euo pipefail
cd "$(dirname "$0")/.."
"./scripts/setup.sh"
if [ -f build/build.ninja ]; then
	meson setup --reconfigure build >/dev/null
else
	meson setup build >/dev/null
fi
ninja -C build >/dev/null
exec ./build/src/tools/vtap-switchd/vtap-switchd --demo "$@"

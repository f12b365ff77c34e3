#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# demo.sh - the README's main job: install, build, and run vtap.
set -euo pipefail
cd "$(dirname "$0")/.."
"./scripts/setup.sh"
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
echo "== vtapctl hash tests/data/sample.pcap (RSS over 8 queues)"
./build/src/tools/vtapctl hash table 8 tests/data/sample.pcap

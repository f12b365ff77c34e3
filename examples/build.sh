#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# build.sh - build an example the way a program outside the tree would:
# with pkg-config, here pointed at the build's uninstalled libvtap.pc.
#   build.sh PKG_CONFIG_DIR OUT SRC CC [CFLAGS...]
set -euo pipefail
pcdir=$1 out=$2 src=$3
shift 3
export PKG_CONFIG_PATH=$pcdir
cflags=$(pkg-config --cflags libvtap)
libs=$(pkg-config --libs libvtap)
# CC and the build's own flags (sanitizers) are the remaining arguments.
# shellcheck disable=SC2086
exec "$@" -Wall -Wextra -Werror $cflags "$src" $libs -o "$out"

#!/bin/sh
# SPDX-License-Identifier: MIT
#
# lib-graph.sh - the module graph of src/lib from a build's objects: for
# each object, the other objects whose functions it calls (its undefined
# symbols resolved against the others' definitions), and the local headers
# each source includes.
#
# Usage: scripts/lib-graph.sh [BUILDDIR]   (default: build; SRC=DIR for
# the sources, default src/lib)
set -eu
build=${1:-build}
objs=$(ls "$build"/src/lib/libvtap_static.a.p/*.o)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for o in $objs; do
	m=$(basename "$o" .c.o)
	nm --defined-only "$o" | awk '$2 ~ /[TDRB]/ {print $3}' |
		sed "s/\$/ $m/" >>"$tmp/defs"
	nm --undefined-only "$o" | awk '{print $2}' | sed "s/^/$m /" >>"$tmp/uses"
done
echo "calls (module -> modules it calls):"
awk 'NR == FNR {def[$1] = $2; next}
     ($2 in def) && def[$2] != $1 {e[$1 " " def[$2]] = 1}
     END {for (k in e) print k}' "$tmp/defs" "$tmp/uses" | sort |
	awk '{a[$1] = a[$1] " " $2} END {for (k in a) print "  " k " ->" a[k]}' |
	sort
echo "module cycles (dev_*.c are the hub's, steer_*.c steer's; tsort):"
awk 'NR == FNR {def[$1] = $2; next}
     ($2 in def) && def[$2] != $1 {print $1, def[$2]}' "$tmp/defs" "$tmp/uses" |
	sed 's/\(dev\|steer\)_[a-z_]*/\1/g' | awk '$1 != $2' | sort -u >"$tmp/edges"
if tsort "$tmp/edges" >/dev/null 2>"$tmp/cyc"; then
	echo "  none"
else
	sed 's/^/  /' "$tmp/cyc"
fi
echo "includes (source -> local headers):"
src=${SRC:-$(dirname "$0")/../src/lib}
for f in "$src"/*.c; do
	inc=$(sed -n 's/^#include "\(.*\)"/\1/p' "$f" | tr '\n' ' ')
	echo "  $(basename "$f" .c) -> $inc"
done

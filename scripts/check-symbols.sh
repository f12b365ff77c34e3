#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# check-symbols.sh LIBVTAP.so - the library exports exactly what vtap.h
# declares with VTAP_API (functions and objects), nothing more or less.
set -euo pipefail
lib=$1
hdr=$(dirname "$0")/../include/vtap/vtap.h
exported=$(nm -D --defined-only "$lib" | awk '$2 ~ /[TDRB]/ {print $3}' |
	sed 's/@.*//' | sort -u)
# Names declared VTAP_API: the identifier before the first '(' or '[' or ';'
# of the declaration (which may span lines).
declared=$(awk '/^#define VTAP_API/ {next} /VTAP_API/ {d = ""; inside = 1}
	inside { d = d " " $0; if ($0 ~ /[;{]/) { inside = 0; print d } }' "$hdr" |
	sed -E 's/\(.*//; s/\[.*//; s/;.*//' | awk '{print $NF}' | tr -d '*' |
	sort -u)
if ! diff <(echo "$declared") <(echo "$exported") >/tmp/vtap-symbols.diff; then
	echo "check-symbols: vtap.h (<) and $lib (>) differ:" >&2
	cat /tmp/vtap-symbols.diff >&2
	exit 1
fi
echo "check-symbols: $(echo "$exported" | wc -l) symbols match vtap.h"

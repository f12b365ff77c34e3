#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_man.sh - the man pages: no stray bytes in the source (a literal
# form feed where "\f" was meant rendered "devINAMR"), no groff warnings
# (unknown escapes, requests or macros), no control bytes or leftover
# escapes in the rendered text; one date and the project's version in
# every .TH; every option of `vtapctl help` and of vtap-switchd's usage in
# its page; each tool's SEE ALSO names the other two; a document cited by
# its installed path is shipped.
. "$VTAP_SRCDIR/tests/lib.sh"
need groff groff-base
version=$(sed -n "s/^\tversion : '\([^']*\)'.*/\1/p" "$VTAP_SRCDIR/meson.build")
[ -n "$version" ] || { echo "FAIL: no version in meson.build" >&2; exit 1; }
dates=()
for page in "$VTAP_SRCDIR"/man/*.[1-8]; do
	name=${page##*/}
	# Source: printable ASCII, tab and newline only.
	if LC_ALL=C grep -n '[^[:print:]	]' "$page" >/tmp/vtap-man-$$.bad; then
		fail "$name: control or non-ASCII bytes at line $(cut -d: -f1 /tmp/vtap-man-$$.bad | tr '\n' ' ')"
	else
		ok "$name: source is plain ASCII"
	fi
	rm -f /tmp/vtap-man-$$.bad
	th=$(grep -m1 '^\.TH ' "$page")
	# .TH TITLE SECTION "DATE" "SOURCE VERSION" "MANUAL"
	date=$(echo "$th" | awk -F'"' '{print $2}')
	src=$(echo "$th" | awk -F'"' '{print $4}')
	dates+=("$date")
	if [[ $date =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]]; then ok "$name: date $date"
	else fail "$name: .TH date '$date' is not YYYY-MM-DD"; fi
	if [ "$src" = "vtap $version" ]; then ok "$name: version $version"
	else fail "$name: .TH source '$src', want 'vtap $version'"; fi
	# Render: warnings on (-ww) but for line breaking and adjusting (a
	# layout matter, -Wbreak), plain text (-P-cbou: no overstriking).
	warn=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -Wbreak -P-cbou "$page" 2>&1 >/tmp/vtap-man-$$.txt)
	if [ -n "$warn" ]; then fail "$name: groff: $warn"
	else ok "$name: renders without warnings"; fi
	if LC_ALL=C grep -n $'[\x01-\x08\x0b-\x1f\x7f]' /tmp/vtap-man-$$.txt; then
		fail "$name: control bytes in the rendered page"
	else
		ok "$name: no control bytes rendered"
	fi
	if grep -n '\\' /tmp/vtap-man-$$.txt | grep -v '\\\\' | grep -q .; then
		grep -n '\\' /tmp/vtap-man-$$.txt | head -3
		fail "$name: a backslash escape reached the rendered text"
	else
		ok "$name: no escapes left in the rendered text"
	fi
	if command -v man >/dev/null; then
		if LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$page" 2>&1 |
			LC_ALL=C grep -q $'[\x0c\x0e-\x1a]'; then
			fail "$name: man -l renders control bytes"
		else
			ok "$name: man -l renders clean"
		fi
	fi
	rm -f /tmp/vtap-man-$$.txt
done
if [ "$(printf '%s\n' "${dates[@]}" | sort -u | wc -l)" = 1 ]; then
	ok "one date in all pages: ${dates[0]}"
else
	fail "pages carry different dates: ${dates[*]}"
fi

# Every option the tools' help lists is in their page.
opts_of() { grep -oE '(^|[ ,[])-(-[a-z][a-z-]*|[a-zA-Z])\b' | sed 's/^[ ,[]//' | sort -u; }
for o in $("$VTAPCTL" help | opts_of); do
	if grep -qE "(\\\\|^|[ \"])$(echo "$o" | sed 's/-/\\\\-/g')\b" "$VTAP_SRCDIR/man/vtapctl.8"; then
		ok "vtapctl.8 documents $o"
	else
		fail "vtapctl help lists $o, vtapctl.8 does not"
	fi
done
for o in $("$VTAP_SWITCHD" --help | opts_of); do
	if grep -qE "(\\\\|^|[ \"])$(echo "$o" | sed 's/-/\\\\-/g')\b" "$VTAP_SRCDIR/man/vtap-switchd.8"; then
		ok "vtap-switchd.8 documents $o"
	else
		fail "vtap-switchd --help lists $o, vtap-switchd.8 does not"
	fi
done
VTAP_VHOST=$VTAP_BUILDDIR/src/tools/vtap-vhost/vtap-vhost
if [ -x "$VTAP_VHOST" ]; then
	for o in $("$VTAP_VHOST" --help | opts_of); do
		if grep -qE "(\\\\|^|[ \"])$(echo "$o" | sed 's/-/\\\\-/g')\b" "$VTAP_SRCDIR/man/vtap-vhost.8"; then
			ok "vtap-vhost.8 documents $o"
		else
			fail "vtap-vhost --help lists $o, vtap-vhost.8 does not"
		fi
	done
fi
# Each tool's page points to the other two in SEE ALSO.
for page in vtapctl vtap-switchd vtap-vhost; do
	see=$(sed -n '/^\.SH SEE ALSO/,/^\.SH/p' "$VTAP_SRCDIR/man/$page.8")
	for other in vtapctl vtap-switchd vtap-vhost; do
		[ "$other" = "$page" ] && continue
		if grep -q "^\.BR $other (8)" <<<"$see"; then
			ok "$page.8 SEE ALSO names $other(8)"
		else
			fail "$page.8 SEE ALSO does not name $other(8)"
		fi
	done
done
# A document a page cites by installed path is one the package ships.
for page in "$VTAP_SRCDIR"/man/*.8; do
	for d in $(grep -o '/usr/share/doc/vtap-tools/[A-Za-z0-9._-]*' "$page" | sort -u); do
		if grep -qx 'docs/\*\.md' "$VTAP_SRCDIR/debian/vtap-tools.docs" &&
			[ -f "$VTAP_SRCDIR/docs/${d##*/}" ]; then
			ok "${page##*/} cites $d: docs/${d##*/}, shipped"
		else
			fail "${page##*/} cites $d, which vtap-tools does not ship"
		fi
	done
done
# And -v, which the page documents, is in the help.
if "$VTAPCTL" help | grep -q -- '-v, --verbose'; then ok "vtapctl help lists -v"
else fail "vtapctl help does not list -v, --verbose"; fi
finish

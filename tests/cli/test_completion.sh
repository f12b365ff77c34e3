#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The bash completion (completion/vtapctl.bash) in a bash that sources it:
# objects, keywords not given yet (no `dev` again after `offload set dev
# lo`), offload names and hash types as values, global options; as root
# also tun/tap device names (of the namespace -n names) and namespace
# names after -n.
. "$VTAP_SRCDIR/tests/lib.sh"
compl() { # WORDS... (the last is being completed): the candidates, one a line
	PATH=${VTAPCTL%/*}:$PATH bash -c '
		set -u
		. "$1"
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMPREPLY=()
		_vtapctl
		printf "%s\n" "${COMPREPLY[@]}"' sh \
		"$VTAP_SRCDIR/completion/vtapctl.bash" vtapctl "$@"
}
has() { # WORD CANDIDATES
	if grep -qx -- "$1" <<<"$2"; then ok "offers $1"
	else fail "does not offer $1 (offers: $(tr '\n' ' ' <<<"$2"))"; fi
}
hasnt() {
	if grep -qx -- "$1" <<<"$2"; then fail "offers $1 (offers: $(tr '\n' ' ' <<<"$2"))"
	else ok "does not offer $1"; fi
}

c=$(compl "")
for w in dev rss offload flow steer stats hash help; do has "$w" "$c"; done
c=$(compl r); has rss "$c"; hasnt dev "$c"
c=$(compl -); has -j "$c"; has --netns "$c"
c=$(compl -jp ""); has rss "$c"
c=$(compl rss "")
for w in set show off help; do has "$w" "$c"; done
# After `offload set dev lo`: the offload names, not `dev` again.
c=$(compl offload set dev lo "")
hasnt dev "$c"
for w in csum tso4 tso6 tso_ecn uso udp_tunnel all none; do has "$w" "$c"; done
c=$(compl offload set lo "")
hasnt dev "$c"; has csum "$c"
# Keywords already given are not offered again; equal is a form of table.
c=$(compl rss set dev lo types all "")
hasnt dev "$c"; hasnt types "$c"; has key "$c"; has equal "$c"
c=$(compl rss set lo equal 2 "")
hasnt table "$c"; hasnt weight "$c"; hasnt equal "$c"; has types "$c"
c=$(compl rss set lo types "")
has tcpv4 "$c"; has ipv6_ex "$c"; hasnt key "$c"
c=$(compl dev add x offload "")
has csum "$c"; has tso_ecn "$c"
c=$(compl dev add x queues 2 "")
hasnt queues "$c"; has offload "$c"

if [ "$(id -u)" = 0 ] && [ -w /dev/net/tun ]; then
	T=$(uname_ ct); NS=$(uname_ cn); T2=$(uname_ cu)
	cleanup_add ip link del "$T"
	cleanup_add ip netns del "$NS"
	check ip tuntap add "$T" mode tap
	check ip netns add "$NS"
	check ip -n "$NS" tuntap add "$T2" mode tap
	c=$(compl rss show ""); has "$T" "$c"; has dev "$c"; hasnt lo "$c"
	c=$(compl offload set dev ""); has "$T" "$c"
	c=$(compl dev del ""); has "$T" "$c"
	c=$(compl -n ""); has "$NS" "$c"
	c=$(compl -jn ""); has "$NS" "$c"
	# Device names of the namespace -n names.
	c=$(compl -n "$NS" rss show ""); has "$T2" "$c"; hasnt "$T" "$c"
	c=$(compl --netns "$NS" stats dev ""); has "$T2" "$c"
else
	echo "not root: device and namespace names not checked"
fi
finish

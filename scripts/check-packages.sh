#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# check-packages.sh - build the Debian packages from the tree as it is
# (tracked and new files, in a scratch copy) with `dpkg-buildpackage -us
# -uc -b`, then check them:
#  - lintian reports no error;
#  - each package holds the files it must (a missing install rule fails;
#    debian/rules' dh_missing --fail-missing fails on a file installed by
#    meson that no package takes);
#  - unpacked into an empty root (dpkg -x), the tools run from there, the
#    man pages render, and examples/vmm_rx.c builds against the root's
#    installed libvtap.pc (`#include <vtap/vtap.h>` as a user's program).
#   scripts/check-packages.sh [OUTDIR]   (default: a temporary directory)
# Prints one line per check; exit 0 when all pass.
set -uo pipefail
cd "$(dirname "$0")/.."
src=$PWD
out=${1:-}
work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
failed=0
ok() { echo "packages: ok: $*"; }
bad() { echo "packages: FAIL: $*"; failed=1; }

for t in dpkg-buildpackage dh lintian; do
	command -v "$t" >/dev/null || { echo "packages: FAIL: $t missing (scripts/setup.sh installs it)"; exit 1; }
done
mkdir "$work/vtap"
git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -C "$work/vtap" -xf -
if (cd "$work/vtap" && dpkg-buildpackage -us -uc -b -j"$(nproc)") >"$work/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b"
else
	tail -n 40 "$work/build.log"
	bad "dpkg-buildpackage -us -uc -b (log above)"
	exit 1
fi
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
ver=$(dpkg-parsechangelog -l "$src/debian/changelog" -SVersion)
changes=$work/vtap_${ver}_${arch}.changes

if lintian --fail-on error --suppress-tags bad-distribution-in-changes-file \
	"$changes" >"$work/lintian.log" 2>&1; then
	ok "lintian: no errors ($(grep -c '^W:' "$work/lintian.log") warnings)"
else
	cat "$work/lintian.log"
	bad "lintian reports errors"
fi

# What each package must hold (paths in the package, one per line).
declare -A want=(
	[libvtap0]="usr/lib/$ma/libvtap.so.0"
	[libvtap-dev]="usr/include/vtap/vtap.h usr/include/vtap/steer_ext.h
		usr/lib/$ma/libvtap.so usr/lib/$ma/pkgconfig/libvtap.pc
		usr/share/doc/libvtap-dev/examples/vmm_rx.c"
	[vtap-tools]="usr/bin/vtapctl usr/sbin/vtap-switchd usr/sbin/vtap-vhost
		usr/share/man/man8/vtapctl.8.gz usr/share/man/man8/vtap-switchd.8.gz
		usr/share/man/man8/vtap-vhost.8.gz
		lib/systemd/system/vtap-switchd.service
		lib/systemd/system/vtap-vhost@.service usr/lib/tmpfiles.d/vtap.conf
		etc/vtap-switchd.conf usr/share/bash-completion/completions/vtapctl
		usr/lib/$ma/vtap/bpf/ext_icmp.bpf.o
		$(cd docs && ls *.md | sed 's|^|usr/share/doc/vtap-tools/|')
		usr/share/doc/vtap-tools/examples/ethernet.xml
		usr/share/doc/vtap-tools/examples/vhostuser.xml"
)
root=$work/root
mkdir "$root"
for p in libvtap0 libvtap-dev vtap-tools; do
	deb=$work/${p}_${ver}_${arch}.deb
	if [ ! -f "$deb" ]; then bad "$p: no $deb"; continue; fi
	list=$(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./||')
	for f in ${want[$p]}; do
		grep -qx "$f" <<<"$list" || bad "$p: missing $f"
	done
	dpkg -x "$deb" "$root"
	ok "$p: $(grep -vc '/$' <<<"$list") files"
done
grep -qx /etc/vtap-switchd.conf < <(dpkg-deb -f "$work/vtap-tools_${ver}_${arch}.deb" Conffiles 2>/dev/null; dpkg-deb -I "$work/vtap-tools_${ver}_${arch}.deb" conffiles 2>/dev/null) &&
	ok "vtap-tools: /etc/vtap-switchd.conf is a conffile" || bad "vtap-tools: /etc/vtap-switchd.conf is not a conffile"

# The unpacked root works on its own.
export LD_LIBRARY_PATH=$root/usr/lib/$ma
if "$root/usr/bin/vtapctl" hash equal 4 "$src/tests/data/sample.pcap" >"$work/hash" &&
	[ -s "$work/hash" ]; then ok "vtapctl from the package hashes the sample capture"
else bad "vtapctl from the package"; fi
"$root/usr/sbin/vtap-switchd" --version | grep -qx "vtap-switchd $ver" &&
	ok "vtap-switchd --version" || bad "vtap-switchd --version"
for m in "$root"/usr/share/man/man8/*.8.gz; do
	if zcat "$m" | groff -man -Tutf8 -ww -Wbreak -z 2>&1 | grep -q .; then bad "${m##*/}: groff warnings"
	else ok "${m##*/} renders"; fi
done
# Every document a man page cites is in the packages.
for m in "$root"/usr/share/man/man8/*.8.gz; do
	for d in $(zcat "$m" | grep -o '/usr/share/doc/[A-Za-z0-9/._-]*' | sort -u); do
		[ -f "$root$d" ] && ok "${m##*/} cites $d, shipped" ||
			bad "${m##*/} cites $d, which no package ships"
	done
done
# The installed libvtap.pc, its prefix moved into the unpacked root.
mkdir "$work/pc"
sed "s|^prefix=/usr$|prefix=$root/usr|" "$root/usr/lib/$ma/pkgconfig/libvtap.pc" >"$work/pc/libvtap.pc"
if PKG_CONFIG_PATH=$work/pc sh -c 'cc -Wall -Werror "$1" $(pkg-config --cflags --libs libvtap) -o "$2"' sh \
	"$root/usr/share/doc/libvtap-dev/examples/vmm_rx.c" "$work/vmm_rx" &&
	{ "$work/vmm_rx" >"$work/usage" 2>&1; grep -q usage "$work/usage"; }; then
	ok "examples/vmm_rx.c builds against the installed libvtap.pc"
else
	bad "examples/vmm_rx.c against the installed libvtap.pc"
fi
if [ -n "$out" ]; then
	mkdir -p "$out" && cp "$work"/*.deb "$out"/ && ok "packages copied to $out"
fi
[ "$failed" = 0 ]

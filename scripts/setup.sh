#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# setup.sh - install what vtap needs to build, test and benchmark (Debian 12,
# as root). Safe to run again: apt-get skips what is installed.
set -euo pipefail
pkgs=(
	build-essential meson ninja-build pkg-config
	clang llvm libclang-rt-14-dev bpftool libbpf-dev linux-libc-dev
	libpcap-dev libmnl-dev liburing-dev libjson-c-dev libcmocka-dev libinih-dev libsystemd-dev
	iproute2 iputils-ping procps python3 gawk clang-format
	# tools the tests run: ethtool (net_gro, net_tunnel), util-linux
	# (setpriv, nsenter, unshare), Open vSwitch's userspace datapath (net_ovs)
	ethtool util-linux openvswitch-switch
	iperf3 vde2 gnuplot-nox
	groff-base man-db debhelper dpkg-dev lintian systemd python3-jsonschema
	bindgen rustc
	# vtap-vhost's second driver and its benchmark peer (dpdk-testpmd)
	dpdk-dev librte-net-virtio23 librte-net-vhost23 librte-net-tap23
)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "setup.sh: missing packages: ${missing[*]} (run as root)" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || true
	apt-get install -y -qq -o DPkg::Lock::Timeout=300 \
		--no-install-recommends "${missing[@]}" >/dev/null
fi

# The guest tests (tests/vm, `scripts/test.sh --vm`): QEMU and Debian 12's
# 6.1 kernel package, libvirt for the examples/libvirt domains (vm_libvirt).
# Optional: without them those tests skip.
vm_pkgs=(qemu-system-x86 linux-image-amd64 busybox-static cpio kmod
	libvirt-daemon-system libvirt-clients)
missing=()
for p in "${vm_pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ] ||
		! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			-o DPkg::Lock::Timeout=300 --no-install-recommends \
			"${missing[@]}" >/dev/null; then
		echo "setup.sh: could not install ${missing[*]}: the guest tests (tests/vm) will skip" >&2
	fi
fi

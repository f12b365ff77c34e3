# SPDX-License-Identifier: MIT
# tests/vm/guest.sh - sourced first by every job the harness runs in the
# guest (inside the chroot into the host's read-only root, see tests/vm/init).
#
# Sets a sane environment, loads the modules the tests need from the
# guest kernel's own /lib/modules (the host's linux-image package), and
# offers vm_meson, which runs `meson test` on a build dir the guest cannot
# write: its meson-logs directory is replaced by a writable one in the
# result share.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp LANG=C.UTF-8 TERM=dumb
export VTAP_VM=1
hostname vtap-vm 2>/dev/null
ip link set lo up
# The guest's own modules; tun for every net test, veth for tests that
# pair namespaces, macvtap and ipvtap for the macvtap tests (this 6.1
# kernel has ipvtap; some hosts do not), extra ones from the harness's
# --modules.
for m in tun veth macvtap ipvtap ${VTAP_VM_MODULES:-}; do
	modprobe "$m" || echo "vm: modprobe $m failed"
done
echo "vm: kernel $(uname -r), $(nproc) cpus, $(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo) MiB"

# vm_meson BUILDDIR [meson test args...]: run the build's tests; the logs
# go to /tmp/vtap-vm/meson-logs (the host's RUN/share/meson-logs).
vm_meson() {
	local b=$1
	shift
	mkdir -p /tmp/vtap-vm/meson-logs
	mount --bind /tmp/vtap-vm/meson-logs "$b/meson-logs" || return 1
	# Tests' own time limits are for the host; TCG runs several times
	# slower.
	meson test -C "$b" --no-rebuild --print-errorlogs \
		--timeout-multiplier "${VTAP_VM_TIMEOUT_MULT:-1}" "$@"
}

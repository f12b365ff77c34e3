#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/vm/run.sh - run a command, or part of the test suite, inside a QEMU
# guest booted from a Debian kernel package (Debian 12's 6.1 by default).
#
#   tests/vm/run.sh [OPTIONS] -- COMMAND [ARGS...]
#   tests/vm/run.sh [OPTIONS] --meson BUILDDIR [-- MESON-TEST-ARGS...]
#
# The guest (QEMU, KVM when /dev/kvm is usable, else TCG; -smp 2; no NIC
# unless --qemu adds one) boots the kernel's vmlinuz with a tiny initramfs
# (busybox-static, the kernel's 9p and virtio modules, tests/vm/init),
# mounts the host's root read-only over 9p and chroots into it, so the
# host's tools are there unchanged. /tmp, /run and /var/tmp are the
# guest's tmpfs; bpffs, cgroup2, /proc, /sys and /dev are the guest's own.
# The source tree, the build directory (--meson's, else $VTAP_BUILDDIR),
# the current directory, the shared test data beside the tree
# ($VTAP_SHARED, else ../shared) and every --share DIR are shared read-only on
# their own and mounted at their host paths over that root, so a checkout
# anywhere (also under /tmp) is there as it is on the host. A per-run host directory is shared writable as
# /tmp/vtap-vm: it holds the job, its output (job.log, streamed here while
# the guest runs), its exit status, and with --meson meson's logs.
# COMMAND runs as root in the guest with the current directory's path as
# its working directory.
#
# Options:
#   --kernel VMLINUZ   kernel image (default: $VTAP_VM_KERNEL, else the
#                      newest /boot/vmlinuz-6.1.*); its modules must be in
#                      /lib/modules/VERSION
#   --meson BUILDDIR   run `meson test -C BUILDDIR --no-rebuild
#                      --print-errorlogs` with the arguments after --
#   --modules LIST     more modules to modprobe in the guest (space separated)
#   --qemu ARG         one more QEMU argument (repeat for several)
#   --share DIR        one more host directory the guest sees at its path
#                      (read-only; repeat for several)
#   --smp N --mem MiB  guest CPUs (default 2) and memory (default 2048)
#   --timeout SECONDS  kill the guest after this long (default 1500)
#   --check            only check that QEMU, busybox and the kernel are
#                      there: exit 0, or 77 with the reason
#   --timeout-multiplier N  for the guest's meson test (default 10 under
#                      TCG, 2 with KVM)
#   --out DIR          copy the run's files to DIR: job, job.log (the
#                      guest's output), rc, console.log, meson-logs/
#                      (and console.boot1.log after a failed boot)
#   --prepare DIR      boot nothing: build the guest's files in DIR (an
#                      empty directory) for another launcher (libvirt):
#                      DIR/vmlinuz, DIR/initrd.gz, DIR/share (the result
#                      share: job, job.log, later rc), DIR/guest.env
#                      (shell assignments: KERNEL, INITRD, APPEND, ACCEL),
#                      DIR/shares (the 9p shares its init mounts, "TAG
#                      PATH ro|rw" per line); exit 0
#
# A guest that dies before its init starts the job (a failed boot) is
# booted once more, with a line on stderr saying why; a guest that dies or
# fails later is not.
#
# Exit status: the command's, 77 when QEMU or the kernel is missing (with
# the reason on stderr), 124 on timeout, 1 when the guest ended without
# reporting (its console is printed).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kernel=${VTAP_VM_KERNEL:-} builddir= out= modules= smp=2 mem=2048 check= tmult=
prepare=
timeout=1500
qemu_extra=() shares=()
usage() {
	sed -n '/^#   tests/,/^$/p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift 2 ;;
	--meson) builddir=$2; shift 2 ;;
	--modules) modules=$2; shift 2 ;;
	--qemu) qemu_extra+=("$2"); shift 2 ;;
	--share) shares+=("$(cd "$2" && pwd)") || exit 1; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--check) check=1; shift ;;
	--prepare) prepare=$2; shift 2 ;;
	--timeout-multiplier) tmult=$2; shift 2 ;;
	--) shift; break ;;
	-h | --help) usage ;;
	*) echo "vm: unknown option '$1'" >&2; usage ;;
	esac
done
[ -n "$builddir" ] || [ $# -gt 0 ] || [ -n "$check" ] || usage

skip() {
	echo "SKIP: vm: $*" >&2
	exit 77
}
qemu=$(command -v qemu-system-x86_64) ||
	skip "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"
busybox=$(command -v busybox) ||
	skip "busybox not found (apt-get install busybox-static)"
# The initramfs has no libc: a dynamic busybox (Debian's "busybox") cannot
# run there.
[[ $(ldd "$busybox" 2>&1) == *"not a dynamic"* ]] ||
	skip "$busybox is not static (apt-get install busybox-static)"
command -v cpio >/dev/null || skip "cpio not found (apt-get install cpio)"
command -v modprobe >/dev/null || skip "modprobe not found (apt-get install kmod)"
if [ -z "$kernel" ]; then
	kernel=$(ls /boot/vmlinuz-6.1.* 2>/dev/null | sort -V | tail -n 1)
	[ -n "$kernel" ] ||
		skip "no /boot/vmlinuz-6.1.* (apt-get install linux-image-amd64)"
fi
[ -r "$kernel" ] || skip "cannot read kernel image $kernel"
kver=${kernel##*/vmlinuz-}
[ -d "/lib/modules/$kver" ] || skip "no /lib/modules/$kver for $kernel"
[ -z "$check" ] || exit 0
if [ -n "$builddir" ]; then
	builddir=$(cd "$builddir" && pwd) || exit 1
	[ -f "$builddir/meson-private/coredata.dat" ] ||
		{ echo "vm: $builddir is not a meson build dir" >&2; exit 1; }
fi

if [ -n "$prepare" ]; then
	run=$(cd "$prepare" && pwd) || exit 1
else
	run=$(mktemp -d /tmp/vtap-vm.XXXXXX) || exit 1
fi
chmod 755 "$run"
qpid=
cleanup() {
	[ -z "$prepare" ] || return 0
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null && wait "$qpid" 2>/dev/null
	if [ -n "$out" ] && mkdir -p "$out"; then
		rm -f "$out/rc"
		cp -a "$run/share/." "$run/console.log" "$out/" 2>/dev/null
	fi
	rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The initramfs: busybox, the modules that reach the 9p root (in the order
# modprobe resolves them for that kernel), init.
rd=$run/initramfs
mkdir -p "$rd"/{bin,lib/mod,proc,sys,dev,root}
cp "$busybox" "$rd/bin/busybox"
for a in sh mount insmod mkdir chroot poweroff sync echo cat ln chmod printf; do
	ln -s busybox "$rd/bin/$a"
done
cp "$here/init" "$rd/init"
chmod 755 "$rd" "$rd/init"
# (Built-in ones show as "builtin" and need nothing.)
: >"$run/dep"
for m in 9p 9pnet_virtio virtio_pci; do
	modprobe -S "$kver" --show-depends "$m" >>"$run/dep" 2>/dev/null ||
		skip "kernel $kver has no module $m (needed for the 9p root)"
done
awk '$1 == "insmod" && !seen[$2]++ {print $2}' "$run/dep" >"$run/modules.paths"
: >"$rd/modules.list"
while read -r p; do
	n=${p##*/}
	case $n in
	*.ko) cp "$p" "$rd/lib/mod/$n" ;;
	*.ko.xz) xz -dc "$p" >"$rd/lib/mod/${n%.xz}"; n=${n%.xz} ;;
	*.ko.zst) zstd -qdc "$p" >"$rd/lib/mod/${n%.zst}"; n=${n%.zst} ;;
	*) continue ;;
	esac
	echo "$n" >>"$rd/modules.list"
done <"$run/modules.paths"
(cd "$rd" && find . | cpio -o -H newc --quiet | gzip -1) >"$run/initrd.gz" ||
	exit 1

# KVM when /dev/kvm is usable and the CPU shows VMX/SVM: a /dev/kvm under
# a hypervisor that hides them (nested without support) hangs the guest's
# early boot. VTAP_VM_ACCEL=kvm or tcg overrides. Under TCG the guest's
# test time limits are multiplied by 10.
accel=(-accel tcg) mult=10
case ${VTAP_VM_ACCEL:-} in
kvm) accel=(-accel kvm -cpu host) mult=2 ;;
tcg) ;;
*)
	if [ -r /dev/kvm ] && [ -w /dev/kvm ] &&
		grep -qwE 'vmx|svm' /proc/cpuinfo; then
		accel=(-accel kvm -cpu host) mult=2
	fi
	;;
esac

# The job: the guest's environment, then the command in this directory.
share=$run/share
mkdir -p "$share"

# The directories the guest sees at their host paths: the tree, the build,
# the current directory, --share's. One 9p share each (a path under one
# already shared needs none); the guest's init mounts them as listed in
# the result share's "mounts" ("TAG PATH" per line).
src=$(cd "$here/../.." && pwd)
bdir=$builddir
[ -n "$bdir" ] || { [ -d "${VTAP_BUILDDIR:-}" ] && bdir=$(cd "$VTAP_BUILDDIR" && pwd); }
# The shared test data beside the tree ($VTAP_SHARED, else ../shared):
# tests read vectors from it, and a checkout under /tmp would otherwise
# leave it behind the guest's own /tmp.
vectors=$(cd "${VTAP_SHARED:-$src/../shared}" 2>/dev/null && pwd)
tree_args=() listed=()
: >"$share/mounts"
for d in "$src" ${bdir:+"$bdir"} "$PWD" ${vectors:+"$vectors"} ${shares[@]+"${shares[@]}"}; do
	for l in ${listed[@]+"${listed[@]}"}; do
		[ "$d" = "$l" ] || [ "${d#"$l"/}" != "$d" ] || [ "$l" = / ] &&
			continue 2
	done
	listed+=("$d")
	tag=tree${#listed[@]}
	tree_args+=(-virtfs "local,path=$d,mount_tag=$tag,security_model=none,readonly=on,multidevs=remap")
	echo "$tag $d" >>"$share/mounts"
done
{
	echo "export VTAP_VM_MODULES=$(printf '%q' "$modules")"
	echo "export VTAP_VM_TIMEOUT_MULT=${tmult:-$mult}"
	echo "source $(printf '%q' "$here/guest.sh")"
	echo "cd $(printf '%q' "$PWD") || exit 1"
	if [ -n "$builddir" ]; then
		printf 'vm_meson %q' "$builddir"
		printf ' %q' "$@"
		echo
	else
		printf '%q ' "$@"
		echo
	fi
} >"$share/job"
: >"$share/job.log"

append="console=ttyS0 panic=-1 quiet loglevel=4"
if [ -n "$prepare" ]; then
	cp "$kernel" "$run/vmlinuz"
	{
		printf 'KERNEL=%q\nINITRD=%q\nAPPEND=%q\nACCEL=%q\n' \
			"$run/vmlinuz" "$run/initrd.gz" "$append" "${accel[1]}"
	} >"$run/guest.env"
	{
		printf 'hostroot / ro\nvmout %s rw\n' "$share"
		awk '{print $1, substr($0, length($1) + 2), "ro"}' "$share/mounts"
	} >"$run/shares"
	exit 0
fi
if [ -n "$builddir" ]; then
	what="meson test in $builddir $*"
else
	# The first line that says something, at most 100 characters.
	what=$(printf '%s\n' "$*" | awk 'NF {
		print (length($0) > 100 ? substr($0, 1, 100) " ..." : $0); exit }')
fi
echo "vm: $kernel (${accel[1]}, -smp $smp): $what" >&2
# boot: one guest, until it powers off (qrc: QEMU's exit status).
boot() {
	timeout -k 10 "$timeout" "$qemu" "${accel[@]}" -smp "$smp" -m "$mem" \
		-nodefaults -nographic -no-reboot -display none -nic none \
		-kernel "$kernel" -initrd "$run/initrd.gz" \
		-append "$append" \
		-serial "file:$run/console.log" \
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
		-virtfs "local,path=$share,mount_tag=vmout,security_model=none,multidevs=remap" \
		"${tree_args[@]}" \
		"${qemu_extra[@]}" </dev/null &
	qpid=$!
	tail -n +1 --pid=$qpid -F "$share/job.log" 2>/dev/null
	wait $qpid
	qrc=$?
	qpid=
}
# A guest that dies before its init's marker (the 6.1 kernel once
# panicked at boot under heavy load: "IO-APIC + timer doesn't work") is
# booted once more; one that dies or fails after it, never: the job ran.
boot
if [ "$qrc" != 124 ] && [ "$qrc" != 137 ] && [ ! -e "$share/started" ]; then
	why=$(grep -m 1 -E 'Kernel panic|^vm: ' "$run/console.log" 2>/dev/null)
	echo "vm: the guest died before its init started the job (qemu exit $qrc${why:+: $why}); booting it once more (its console: console.boot1.log)" >&2
	mv "$run/console.log" "$share/console.boot1.log" 2>/dev/null
	: >"$share/job.log"
	boot
fi
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	echo "vm: guest killed after ${timeout}s; its console:" >&2
	tail -n 40 "$run/console.log" >&2
	exit 124
fi
if [ ! -s "$share/rc" ]; then
	echo "vm: the guest ended without an exit status (qemu exit $qrc); its console:" >&2
	tail -n 40 "$run/console.log" >&2
	exit 1
fi
exit "$(cat "$share/rc")"

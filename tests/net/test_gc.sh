#!/bin/bash
# SPDX-License-Identifier: MIT
# test_gc.sh - nothing left behind: the run state and steering pins of a
# tap deleted with `ip link del`, and of a namespace deleted with `ip
# netns del`, are listed by `vtapctl gc --dry-run` (which removes nothing)
# and removed by `vtapctl gc` or by the next vtapctl run; a namespace that
# a process still holds keeps its state; staging entries of writers that
# died are removed, links named like them are neither followed nor
# removed.
. "$VTAP_SRCDIR/tests/lib.sh"
require_root
command -v python3 >/dev/null || skip "needs python3"
command -v unshare >/dev/null || skip "needs unshare (util-linux)"
# A private mount namespace with its own /run/vtap, /run/netns and bpffs:
# any vtapctl run as root collects what is left behind, so another test's
# vtapctl on the machine must not see this state before the checks do.
if [ -z "${GC_PRIVATE:-}" ]; then
	exec env GC_PRIVATE=1 unshare --mount --propagation private bash "$0" "$@"
fi
mkdir -p /run/vtap /run/netns
mount -t tmpfs -o mode=0755 tmpfs /run/vtap || skip "cannot mount a private /run/vtap"
mount -t tmpfs -o mode=0755 tmpfs /run/netns || skip "cannot mount a private /run/netns"
mount -t bpf -o mode=0755 bpf /sys/fs/bpf || skip "cannot mount a private bpffs"

T=$(uname_ gc)
NS=$(uname_ gcn)
TMP=$(mktemp -d)
cleanup_add rm -rf "$TMP"
cleanup_add ip netns del "$NS"
cleanup_add "$VTAPCTL" dev del "$T"
cleanup_add ip link del "$T"

# gc -j --dry-run: "KIND REASON" of each entry under PATH.
listed() { "$VTAPCTL" -j gc --dry-run | python3 -c '
import json, sys
for e in json.load(sys.stdin):
    if e["path"].startswith(sys.argv[1]) and not e["removed"]:
        print(e["kind"], e["reason"])' "$1" | sort | tr '\n' ';'; }

# 1. ip link del: the tap's run state and pins stay until gc.
check "$VTAPCTL" dev add "$T" queues 2
check "$VTAPCTL" rss set dev "$T" table equal 2
RUN=$(rundir_of "$T")
PINS=$(pins_of "$T")
check test -d "$RUN"
check test -d "$PINS"
check ip link del "$T"
check test "$(listed "$RUN")" = "run link gone;"
check test "$(listed "$PINS")" = "pins link gone;"
# --dry-run changed nothing.
check test -d "$RUN"
check test -d "$PINS"
out=$("$VTAPCTL" gc)
echo "$out"
check grep -q "$RUN (link gone) removed" <<<"$out"
check grep -q "$PINS (link gone) removed" <<<"$out"
check test ! -e "$RUN"
check test ! -e "$PINS"
check test "$("$VTAPCTL" gc --dry-run | grep -c "$RUN")" = 0

# 2. ip netns del: the whole namespace's state goes.
check ip netns add "$NS"
check "$VTAPCTL" -n "$NS" dev add "$T" queues 2
check "$VTAPCTL" -n "$NS" rss set dev "$T" table equal 2
RUN=$(rundir_of "$T" -n "$NS")
PINS=$(pins_of "$T" -n "$NS")
check test -d "$RUN"
check test -d "$PINS"
check ip netns del "$NS"
check test "$(listed "$RUN")" = "run netns gone;"
check test "$(listed "$PINS")" = "pins netns gone;"
check test -d "$RUN"
check test -d "$PINS"
# Any vtapctl run as root collects it.
check "$VTAPCTL" dev show
check test ! -e "$RUN"
check test ! -e "$PINS"
check test ! -e "$(dirname "$RUN")"

# 3. A namespace only a process holds (no bind mount) keeps its state;
# once the process is gone, the state goes.
unshare -n sh -c 'ip link set lo up; exec sleep 300' &
HOLDER=$!
cleanup_add kill "$HOLDER"
for _ in $(seq 50); do [ "$(readlink /proc/$HOLDER/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break; sleep 0.1; done
check nsenter -t "$HOLDER" -n "$VTAPCTL" dev add "$T" queues 2
RUN=$(nsenter -t "$HOLDER" -n "$VTAPCTL" -j dev show "$T" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["run_dir"])')
check test -d "$RUN"
check test "$(listed "$RUN")" = ""
check "$VTAPCTL" gc
check test -d "$RUN"
kill "$HOLDER"
wait "$HOLDER" 2>/dev/null
check test "$(listed "$RUN")" = "run netns gone;"
check "$VTAPCTL" gc
check test ! -e "$RUN"

# 4. Staging entries of writers that died before their rename (the run
# directory of a link is made as .new.IFINDEX.PID, a file as .NAME.PID,
# each locked by its writer until renamed): gc removes those whose PID is
# gone and whose lock is free, never follows a link, and leaves anything
# else named like one alone.
check "$VTAPCTL" dev add "$T" queues 2
RUN=$(rundir_of "$T")
NSD=$(dirname "$RUN")
sh -c 'exit 0' &
DEAD=$!
wait "$DEAD"
VICTIM=$TMP/victim
mkdir -p "$VICTIM"
echo "root data" >"$VICTIM/file"
# (a) a dead writer's directory, holding links to the victim;
mkdir -m 700 "$NSD/.new.99999.$DEAD"
echo vtap-0123456789abcdef >"$NSD/.new.99999.$DEAD/link"
ln -s "$VICTIM" "$NSD/.new.99999.$DEAD/dir"
ln -s "$VICTIM/file" "$NSD/.new.99999.$DEAD/file"
# (b) a dead writer's file in a live link's directory;
echo 3 >"$RUN/.queues.$DEAD"
# (c) a symbolic link named like a staging directory, to the victim;
ln -s "$VICTIM" "$NSD/.new.99998.$DEAD"
# (d) a living writer's (this shell's PID);
mkdir "$NSD/.new.99997.$$"
# (e) a writer that holds its lock though its PID is not ours to see (a
# writer in another PID namespace).
mkdir "$NSD/.new.99996.$DEAD"
python3 -c '
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
fcntl.flock(fd, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
time.sleep(300)' "$NSD/.new.99996.$DEAD" "$TMP/locked" &
LOCKER=$!
cleanup_add kill "$LOCKER"
for _ in $(seq 100); do [ -e "$TMP/locked" ] && break; sleep 0.1; done
check test -e "$TMP/locked"
staged() { "$VTAPCTL" -j gc "$@" | python3 -c '
import json, sys
for e in json.load(sys.stdin):
    if e["reason"] == "writer gone":
        print(e["path"].rsplit("/", 1)[1], e["ifindex"], e["removed"])' | sort | tr '\n' ';'; }
IDX=$(basename "$RUN")
check test "$(staged --dry-run)" = ".new.99999.$DEAD 99999 False;.queues.$DEAD $IDX False;"
check test -d "$NSD/.new.99999.$DEAD"
check test "$(staged)" = ".new.99999.$DEAD 99999 True;.queues.$DEAD $IDX True;"
check test ! -e "$NSD/.new.99999.$DEAD"
check test ! -e "$RUN/.queues.$DEAD"
# Nothing followed: the victim is whole; the rest stays.
check test "$(cat "$VICTIM/file")" = "root data"
check test -L "$NSD/.new.99998.$DEAD"
check test -d "$NSD/.new.99997.$$"
check test -d "$NSD/.new.99996.$DEAD"
check test "$(cat "$RUN/queues")" = 2
# The lock released (its writer died): the next run takes it.
kill "$LOCKER"
wait "$LOCKER" 2>/dev/null
check "$VTAPCTL" dev show "$T"
check test ! -e "$NSD/.new.99996.$DEAD"
check test "$(cat "$VICTIM/file")" = "root data"
rm -f "$NSD/.new.99998.$DEAD"
rmdir "$NSD/.new.99997.$$"
check "$VTAPCTL" dev del "$T"

# JSON and usage.
check python3 -c 'import json,sys; assert isinstance(json.loads(sys.argv[1]), list)' "$("$VTAPCTL" -j gc --dry-run)"
check_exit 2 "$VTAPCTL" gc extra
finish

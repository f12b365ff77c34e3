#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# vtap-vhost as a service: the template unit passes `systemd-analyze
# verify` (with the build's binary, as an instance named after a tap), and
# sd_notify: a NOTIFY_SOCKET the test listens on hears READY=1 only once
# the vhost-user socket exists and the tap is there (checked the moment
# READY arrives), then STOPPING=1 on SIGTERM; --cpus pins each queue
# pair's worker thread.
. "$VTAP_SRCDIR/tests/lib.sh"
VHOST=$VTAP_BUILDDIR/src/tools/vtap-vhost/vtap-vhost
UNIT=$VTAP_BUILDDIR/systemd/vtap-vhost@.service
require_root
need python3 python3
need_built "$VHOST"
TMP=$(mktemp -d)
chmod 755 "$TMP"
cleanup_add rm -rf "$TMP"

# ---- the unit ----
check test -f "$UNIT"
check grep -qx 'Type=notify' "$UNIT"
check grep -q '^ExecStart=.*vtap-vhost --socket /run/vtap-vhost/%i.sock --tap %i ' "$UNIT"
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$TMP/unit" "$TMP/man/man8"
	cp "$VTAP_SRCDIR"/man/*.8 "$TMP/man/man8/"
	sed "s|^ExecStart=[^ ]*vtap-vhost |ExecStart=$VHOST |" \
		"$UNIT" >"$TMP/unit/vtap-vhost@vt0.service"
	out=$(MANPATH=$TMP/man systemd-analyze verify "$TMP/unit/vtap-vhost@vt0.service" 2>&1)
	rc=$?
	if [ "$rc" = 0 ] && [ -z "$out" ]; then ok "systemd-analyze verify vtap-vhost@.service"
	else fail "systemd-analyze verify (exit $rc): $out"; fi
else
	echo "note: no systemd-analyze, unit not verified"
fi

# ---- READY once the socket listens and the tap exists; STOPPING ----
ns=$(uname_ vs); tap=$(uname_ vv)
ip netns add "$ns" || skip "ip netns add failed"
cleanup_add ip netns del "$ns"
sock=$TMP/vhost.sock
notify=$TMP/notify.sock
python3 - "$notify" "$sock" "$ns" "$tap" >"$TMP/heard" 2>&1 <<'PY' &
import os, socket, subprocess, sys
path, sock, ns, tap = sys.argv[1:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(120)
while True:
    try:
        msg = s.recv(4096).decode()
    except socket.timeout:
        print("timeout"); break
    for line in msg.split("\n"):
        if line == "READY=1":
            up = os.path.exists(sock)
            tap_there = subprocess.call(["ip", "-n", ns, "link", "show", tap],
                                        stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL) == 0
            print("READY sock=%d tap=%d" % (up, tap_there))
        elif line:
            print(line)
    sys.stdout.flush()
    if "STOPPING=1" in msg:
        break
PY
lp=$!
cleanup_add kill "$lp"
for _ in $(seq 100); do [ -S "$notify" ] && break; sleep 0.05; done
NOTIFY_SOCKET=$notify "$VHOST" --socket "$sock" --create "$tap" --queues 2 \
	--netns "$ns" 2>"$TMP/vhost.log" &
vp=$!
cleanup_add kill "$vp"
for _ in $(seq 1200); do grep -q '^READY' "$TMP/heard" && break; sleep 0.05; done
kill -TERM "$vp"
wait "$vp"
check test "$?" = 0
wait "$lp"
check grep -qx 'READY sock=1 tap=1' "$TMP/heard"
check grep -q "^STATUS=$tap: 2 queue pairs, listening on $sock" "$TMP/heard"
check grep -qx 'STOPPING=1' "$TMP/heard"
cat "$TMP/heard"

# ---- --cpus: each queue pair's worker runs on the CPU it was given ----
last=$(awk '/^Cpus_allowed_list/ {print $2}' /proc/self/status)
cpu=${last##*[,-]}
"$VHOST" --socket "$TMP/pin.sock" --create "$tap" --queues 2 --netns "$ns" \
	--cpus "$cpu" 2>"$TMP/pin.log" &
vp=$!
cleanup_add kill "$vp"
for _ in $(seq 1200); do [ -S "$TMP/pin.sock" ] && break; sleep 0.05; done
check test -S "$TMP/pin.sock"
sleep 0.2
pinned=0
for st in /proc/"$vp"/task/*/status; do
	[ "$(awk '/^Cpus_allowed_list/ {print $2}' "$st")" = "$cpu" ] &&
		pinned=$((pinned + 1))
done
check test "$pinned" -ge 2
kill -TERM "$vp"
wait "$vp"
check test "$?" = 0
finish

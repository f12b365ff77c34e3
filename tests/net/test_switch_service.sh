#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_switch_service.sh - vtap-switchd as a service:
#  - the unit passes `systemd-analyze verify` (with the build's binary),
#    the tmpfiles.d snippet creates /run/vtap under a scratch root, the
#    sample configuration parses;
#  - sd_notify: a NOTIFY_SOCKET the test listens on hears READY=1 only
#    once every configured port exists and is up (checked the moment
#    READY arrives), STATUS= lines, RELOADING=1 then READY=1 around a
#    SIGHUP, STOPPING=1 on SIGTERM;
#  - SIGHUP reloads the file: a port added, one removed, one changed (its
#    queue count), a ping across two untouched ports loses nothing and
#    their taps are the same devices (ifindex); a file that does not
#    parse changes nothing and the daemon keeps running.
. "$VTAP_SRCDIR/tests/lib.sh"
require_root
need python3 python3
need_built "$VTAP_SWITCHD"
UNIT=$VTAP_BUILDDIR/systemd/vtap-switchd.service
TMP=$(mktemp -d)
cleanup_add rm -rf "$TMP"

# ---- the unit, tmpfiles.d and the sample configuration ----
check test -f "$UNIT"
check grep -qx 'Type=notify' "$UNIT"
check grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$UNIT"
check grep -qx 'RuntimeDirectory=vtap' "$UNIT"
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$TMP/unit" "$TMP/man/man8"
	cp "$VTAP_SRCDIR"/man/*.8 "$TMP/man/man8/"
	cp "$VTAP_SRCDIR/systemd/vtap-switchd.conf" "$TMP/unit/sample.conf"
	sed "s|^ExecStart=[^ ]*vtap-switchd -c .*|ExecStart=$VTAP_SWITCHD -c $TMP/unit/sample.conf|" \
		"$UNIT" >"$TMP/unit/vtap-switchd.service"
	out=$(MANPATH=$TMP/man systemd-analyze verify "$TMP/unit/vtap-switchd.service" 2>&1)
	rc=$?
	if [ "$rc" = 0 ] && [ -z "$out" ]; then ok "systemd-analyze verify vtap-switchd.service"
	else fail "systemd-analyze verify (exit $rc): $out"; fi
else
	echo "note: no systemd-analyze, unit not verified"
fi
if command -v systemd-tmpfiles >/dev/null; then
	mkdir -p "$TMP/root/run"
	check systemd-tmpfiles --create --root="$TMP/root" "$VTAP_SRCDIR/systemd/vtap.tmpfiles"
	check test "$(stat -c %a "$TMP/root/run/vtap")" = 755
fi
# The sample parses (it configures no port: nothing is created).
"$VTAP_SWITCHD" -q -c "$VTAP_SRCDIR/systemd/vtap-switchd.conf" \
	--control "$TMP/sample.sock" 2>"$TMP/sample.err" &
pid=$!
for _ in $(seq 600); do [ -S "$TMP/sample.sock" ] && break; sleep 0.1; done
check test -S "$TMP/sample.sock"
kill "$pid"; wait "$pid"
check test "$?" = 0
check test ! -s "$TMP/sample.err"

# ---- a daemon with five ports in three namespaces ----
N1=$(uname_ v1); N2=$(uname_ v2); N3=$(uname_ v3)
P1=$(uname_ a1); P2=$(uname_ a2); P3=$(uname_ a3); P4=$(uname_ a4); P5=$(uname_ a5)
SOCK=$TMP/ctl.sock
for ns in $N1 $N2 $N3; do
	ip netns add "$ns" || fail "ip netns add $ns"
	cleanup_add ip netns del "$ns"
	ip -n "$ns" link set lo up
done
for p in $P1 $P2 $P3 $P4 $P5; do cleanup_add ip link del "$p"; done

# The listener: every message on a line; at the first READY=1, whether
# each port of argv (NS:PORT) exists and is up at that moment.
python3 - "$TMP/notify.sock" "$TMP/notify.log" "$N1:$P1" "$N2:$P2" "$N3:$P4" "$N3:$P5" <<'PY' &
import os, socket, subprocess, sys
path, log = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(120)
ready = 0
with open(log, "w", buffering=1) as f:
    f.write("listening\n")
    while True:
        try:
            msg = s.recv(4096).decode()
        except socket.timeout:
            f.write("timeout\n")
            break
        f.write("MSG " + msg.replace("\n", "|") + "\n")
        if "READY=1" in msg.split("\n"):
            ready += 1
            if ready == 1:
                bad = []
                for a in sys.argv[3:]:
                    ns, port = a.split(":")
                    r = subprocess.run(["ip", "-n", ns, "-o", "link", "show", port],
                                       capture_output=True, text=True)
                    flags = r.stdout.split("<")[1].split(">")[0].split(",") if r.returncode == 0 else []
                    if "UP" not in flags:
                        bad.append(port)
                f.write("READYCHECK " + ("ok" if not bad else "down " + " ".join(bad)) + "\n")
        if "STOPPING=1" in msg.split("\n"):
            break
PY
listener=$!
cleanup_add kill "$listener"
for _ in $(seq 600); do grep -q listening "$TMP/notify.log" 2>/dev/null && break; sleep 0.1; done

cat >"$TMP/sw.conf" <<CONF
[switch]
workers = 2
aging = 60
[port $P1]
queues = 2
netns = $N1
[port $P2]
queues = 2
netns = $N2
[port $P4]
queues = 1
netns = $N3
[port $P5]
queues = 1
netns = $N3
CONF
NOTIFY_SOCKET=$TMP/notify.sock "$VTAP_SWITCHD" -c "$TMP/sw.conf" --control "$SOCK" 2>"$TMP/log" &
SW=$!
cleanup_add "kill $SW; wait $SW"
for _ in $(seq 100); do grep -q READYCHECK "$TMP/notify.log" && break; sleep 0.1; done
cat "$TMP/notify.log"
check grep -qx 'READYCHECK ok' "$TMP/notify.log"
check grep -q '^MSG READY=1|STATUS=4 ports, 2 workers$' "$TMP/notify.log"
check test -S "$SOCK"

# FIELD of each port, "NAME=VALUE" sorted (the JSON's interface key is
# ifname, or name before it).
ports() {
	"$VTAPCTL" -j switch show control "$SOCK" | python3 -c '
import json, sys
d = json.load(sys.stdin)
ps = d["ports"] if isinstance(d, dict) else d[0]["ports"]
print(" ".join(sorted("%s=%s" % (p.get("ifname", p.get("name")), p[sys.argv[1]]) for p in ps)))' "$1"
}
check test "$(ports queues)" = "$P1=2 $P2=2 $P4=1 $P5=1"
ifindex() { ip -n "$1" -o link show "$2" | cut -d: -f1; }
i1=$(ifindex "$N1" "$P1"); i2=$(ifindex "$N2" "$P2")
ip -n "$N1" addr add 10.198.0.1/24 dev "$P1"
ip -n "$N2" addr add 10.198.0.2/24 dev "$P2"
check ip netns exec "$N1" ping -c 2 -i 0.2 -W 2 10.198.0.2

# Ping across the untouched ports while the file changes and the daemon
# reloads: P3 added, P4 removed, P5 changed to 2 queues.
ip netns exec "$N1" ping -c 40 -i 0.1 -W 5 10.198.0.2 >"$TMP/ping" 2>&1 &
pinger=$!
sleep 1
cat >"$TMP/sw.conf" <<CONF
[switch]
workers = 2
aging = 60
[port $P1]
queues = 2
netns = $N1
[port $P2]
queues = 2
netns = $N2
[port $P3]
queues = 1
netns = $N3
[port $P5]
queues = 2
netns = $N3
CONF
kill -HUP "$SW"
for _ in $(seq 100); do [ "$(grep -c '^MSG READY=1' "$TMP/notify.log")" -ge 2 ] && break; sleep 0.1; done
wait "$pinger"
check test "$?" = 0
cat "$TMP/ping" | tail -2
check grep -q ' 40 received, 0% packet loss' "$TMP/ping"
check kill -0 "$SW"
check grep -q '^MSG RELOADING=1|MONOTONIC_USEC=[0-9]*$' "$TMP/notify.log"
check test "$(grep -A1 '^MSG RELOADING=1' "$TMP/notify.log" | sed -n 2p)" = "MSG READY=1|STATUS=4 ports, 2 workers"
check test "$(ports queues)" = "$P1=2 $P2=2 $P3=1 $P5=2"
check test "$(ifindex "$N1" "$P1")" = "$i1"
check test "$(ifindex "$N2" "$P2")" = "$i2"
check ip -n "$N3" link show "$P3"
check_exit 1 ip -n "$N3" link show "$P4"
check grep -q '<.*,UP[,>]' <<<"$(ip -n "$N3" -o link show "$P5")"
check grep -q "reload: port '$P4' removed" "$TMP/log"
check grep -q "reload: port '$P3' added" "$TMP/log"
check grep -q "reload: port '$P5' changed" "$TMP/log"

# A file that does not parse: nothing changes, the daemon runs on.
printf '[port %s]\nqueues = 0\n' "$P1" >"$TMP/sw.conf"
kill -HUP "$SW"
for _ in $(seq 100); do [ "$(grep -c '^MSG READY=1' "$TMP/notify.log")" -ge 3 ] && break; sleep 0.1; done
check grep -q "reload: config $TMP/sw.conf: line 2: queues must be" "$TMP/log"
check grep -q '^MSG READY=1|STATUS=4 ports, 2 workers; reload failed' "$TMP/notify.log"
check test "$(ports queues)" = "$P1=2 $P2=2 $P3=1 $P5=2"
check ip netns exec "$N1" ping -c 2 -i 0.2 -W 2 10.198.0.2

# SIGTERM: STOPPING=1, exit 0, the taps it created are gone.
kill "$SW"; wait "$SW"
check test "$?" = 0
wait "$listener"
check grep -q '^MSG STOPPING=1' "$TMP/notify.log"
check_exit 1 ip -n "$N1" link show "$P1"
finish

#!/bin/bash
# SPDX-License-Identifier: MIT
# test_vtapctl_json.sh - every `vtapctl -j` output, on real taps and a
# real vtap-switchd, validated against tests/data/vtapctl-json.schema.json
# (python3-jsonschema), plus the rules the schema states for all of them:
# a top-level array of objects; interfaces under "ifname" (never "name" or
# "dev" at the top of an item); rx_drops/tx_drops numbers wherever they
# appear; errors a {"error": ...} object on stderr. -p prints the same
# documents indented.
. "$VTAP_SRCDIR/tests/lib.sh"
require_root
PY=
for p in /usr/bin/python3 python3; do
	if "$p" -c 'import jsonschema' 2>/dev/null; then PY=$p; break; fi
done
[ -n "$PY" ] || skip "missing package python3-jsonschema (scripts/setup.sh installs it)"
SCHEMA=$VTAP_SRCDIR/tests/data/vtapctl-json.schema.json
T=$(uname_ j)
NS=$(uname_ jn)
P=$(uname_ jp)
TMP=$(mktemp -d)
cleanup_add rm -rf "$TMP"
cleanup_add ip link del "$T"
cleanup_add rm -rf "/run/vtap/$T" "/sys/fs/bpf/vtap/$T"

validate() { # DEFINITION FILE [json-lines]
	"$PY" - "$SCHEMA" "$1" "$2" "${3:-}" <<'PY'
import json, sys, jsonschema
schema, name, path, lines = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3], sys.argv[4]
text = open(path).read()
docs = [json.loads(l) for l in text.splitlines() if l.strip()] if lines else [json.loads(text)]
assert docs, "no output"
sub = {"$ref": "#/definitions/" + name, "definitions": schema["definitions"]}
def walk(v, path):
    if isinstance(v, dict):
        for k, x in v.items():
            if k in ("rx_drops", "tx_drops"):
                assert isinstance(x, int) and not isinstance(x, bool), "%s/%s is not a number" % (path, k)
            walk(x, path + "/" + k)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            walk(x, "%s/%d" % (path, i))
for d in docs:
    if name != "error":
        assert isinstance(d, list), "top level is not an array"
        for item in d:
            assert isinstance(item, dict), "an item is not an object"
            for bad in ("name", "dev", "devices"):
                assert bad not in item, "item has '%s' (interfaces are ifname)" % bad
    walk(d, "")
    jsonschema.validate(d, sub)
PY
}
run() { # DEFINITION ARGS...: vtapctl -j ARGS, exit 0, output valid
	local def=$1
	shift
	if "$VTAPCTL" -j "$@" >"$TMP/out" 2>"$TMP/err" && validate "$def" "$TMP/out" 2>"$TMP/verr"; then
		ok "-j $* matches '$def'"
	else
		fail "-j $*: $(cat "$TMP/err" "$TMP/verr" | tail -3) -- output: $(head -c 300 "$TMP/out")"
	fi
}

run dev_add dev add "$T" queues 4 vnet_hdr 20 offload csum,tso4
run dev_show dev show "$T"
run dev_show dev show
run dev_show dev
run dev_features dev features
run dev_set dev set "$T" qlen 300
run dev_set dev set "$T" budget 64M
run dev_show dev show "$T"
run offload_show offload show "$T"
run offload_set offload set "$T" csum,tso4,tso6
check "$VTAPCTL" rss set "$T" types all equal 4
run rss_show rss show "$T"
check "$VTAPCTL" rss set "$T" table weight 1,2
run rss_show rss show "$T"
run flow_add flow add "$T" proto tcp dport 80 queue 1
run flow_add flow add "$T" flow-type udp6 src-ip fd00::1/64 action 2 loc 3
run flow_show flow show "$T"
run steer_show steer show "$T"
run gc gc --dry-run
run stats stats "$T"
run hash hash "$VTAP_DATA/sample.pcap"
if "$VTAPCTL" -j stats "$T" watch count 2 >"$TMP/out" && validate stats_watch "$TMP/out" lines; then
	ok "-j stats watch: one valid document a line"
	check test "$(wc -l <"$TMP/out")" = 2
else
	fail "-j stats watch"
fi
# -p: the same documents, indented.
"$VTAPCTL" -p rss show "$T" >"$TMP/p"
check test "$(wc -l <"$TMP/p")" -gt 10
check validate rss_show "$TMP/p"
# Errors: one {"error": ...} object on stderr, nothing on stdout.
"$VTAPCTL" -j rss show "nx$$" >"$TMP/out" 2>"$TMP/err"
check test $? = 1
check test ! -s "$TMP/out"
check validate error "$TMP/err"
"$VTAPCTL" -j rss show "$T" extra >"$TMP/out" 2>"$TMP/err"
check test $? = 2
check validate error "$TMP/err"

# vtap-switchd's show, port add and del, through vtapctl.
if [ -x "$VTAP_SWITCHD" ]; then
	ip netns add "$NS" && cleanup_add ip netns del "$NS"
	cleanup_add ip link del "$P"
	"$VTAP_SWITCHD" -q --port "$P,queues=2,netns=$NS" --control "$TMP/sw.sock" 2>"$TMP/sw.log" &
	sw=$!
	cleanup_add "kill $sw; wait $sw"
	for _ in $(seq 600); do [ -S "$TMP/sw.sock" ] && break; sleep 0.1; done
	run switch_show switch show control "$TMP/sw.sock"
	run switch_ok switch port add "${P}b" queues 1 netns "$NS" control "$TMP/sw.sock"
	cleanup_add ip -n "$NS" link del "${P}b"
	run switch_show switch show control "$TMP/sw.sock"
	run switch_ok switch port del "${P}b" control "$TMP/sw.sock"
fi

run flow_show flow list "$T"
run dev_del dev del "$T"
finish

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Stateless digest nonces across a cluster (docs/security.md): nodes 1 and 2
# share the cluster key, so the reply to node 1's challenge is accepted by node
# 2 (and the other way round); node 3 has another key and refuses node 1's
# nonce as not made by its cluster (401, auth_bad_nonce).
. "$(dirname "$0")/lib.bash"

DG() { cl python3 "$ROOT/tests/integration/digest.py" 198.18.0.100 "$@"; }
ha1() { printf '%s' "$1:example.com:$2" | "$3" | cut -d' ' -f1; }
echo "alice:example.com:$(ha1 alice secret md5sum):$(ha1 alice secret sha256sum)" > "$WORK/subscribers"
head -c 32 /dev/urandom > "$WORK/cluster.key"; chmod 600 "$WORK/cluster.key"
head -c 32 /dev/urandom > "$WORK/other.key"; chmod 600 "$WORK/other.key"

lab_up 3
for i in 1 2 3; do
	peers=""
	for j in 1 2; do [ "$j" = "$i" ] || peers="$peers{id: $j, address: 198.18.0.$j}, "; done
	key=$WORK/cluster.key
	[ "$i" = 3 ] && { key=$WORK/other.key; peers=""; }
	cluster_config "$i" "$key" "  nodes: [${peers%, }]"
	cat >> "$WORK/n$i.yaml" <<YAML
auth:
  realm: example.com
  subscribers_file: $WORK/subscribers
YAML
	start_node "$i" || { fail "node $i starts"; exit 1; }
done
pass "3 nodes started with auth (1 and 2 share a cluster key, 3 has another)"

r=$(DG 198.18.0.1 cross alice secret SHA-256 198.18.0.2)
check "node 1's challenge answered at node 2 -> 200 ($r)" test "${r%% *}" = 200
r=$(DG 198.18.0.2 cross alice secret MD5 198.18.0.1)
check "node 2's challenge answered at node 1 -> 200 ($r)" test "${r%% *}" = 200
r=$(DG 198.18.0.1 cross alice secret SHA-256 198.18.0.3)
check "node 1's challenge answered at node 3 (another key) -> 401 ($r)" test "${r%% *}" = 401
check "node 3 counted it auth_bad_nonce ($(dpstat 3 auth_bad_nonce))" test "$(dpstat 3 auth_bad_nonce)" = 1
check "node 2 counted auth_ok 1 ($(dpstat 2 auth_ok))" test "$(dpstat 2 auth_ok)" = 1
for i in 1 2 3; do check "node $i: SIGTERM, clean exit 0" stop_node "$i"; done
exit 0

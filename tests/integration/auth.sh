#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Digest authentication of REGISTER (docs/security.md) in the lab, with a python
# client computing the digests (tests/integration/digest.py): an unauthenticated
# REGISTER gets 401 with a SHA-256 and an MD5 challenge no larger than 3x the
# request; the right credentials (SHA-256, MD5) get 200; a wrong password, an
# unknown user, another user's AoR get 403; a replayed nonce-count, a forged
# nonce get 401; an expired nonce 401 with stale=true; a trusted source is not
# challenged; `sipshardctl auth reload` adds a user without a restart and keeps
# the old table when the file is broken. Every attack is seen by its counter.
# INVITEs (auth.methods) get 407 with Proxy-Authenticate, pass with the right
# Proxy-Authorization, get 403 with a wrong one; a trusted source and an
# in-dialog INVITE are not challenged.
. "$(dirname "$0")/lib.bash"

DG() { cl python3 "$ROOT/tests/integration/digest.py" "${SRC:-198.18.0.100}" 198.18.0.1 "$@"; }
ha1() { printf '%s' "$1:example.com:$2" | "$3" | cut -d' ' -f1; }
sub() { echo "$1:example.com:$(ha1 "$1" "$2" md5sum):$(ha1 "$1" "$2" sha256sum)"; }

{
	echo "# user:realm:md5-HA1:sha256-HA1"
	sub alice wonderland
	echo "bob:example.com:$(ha1 bob builder md5sum)"      # MD5 only
	echo "eve:other.realm:$(ha1 eve x md5sum)"            # another realm: skipped
} > "$WORK/subscribers"

lab_up 1
node_config 1 "auth:
  realm: example.com
  subscribers_file: $WORK/subscribers
  algorithms: [SHA-256, MD5]
  nonce_ttl_s: 3
  methods: [REGISTER, INVITE]
  trusted: [198.18.0.101/32]
admin:
  socket: $WORK/n1.sock" >/dev/null
start_node 1 && start_cp 1 || { fail "node 1 starts with auth"; exit 1; }
pass "node 1 starts with auth"
cl ip addr add 198.18.0.101/24 dev "${LAB}cl"

r=$(DG plain alice)
set -- $r
check "no credentials -> 401 with SHA-256 then MD5 challenges ($r)" test "$1 $4" = "401 algos=SHA-256,MD5"
check "the 401 ($2 bytes) is no more than 3x its request ($3 bytes)" test "$2" -le $(($3 * 3))

r=$(DG auth alice alice wonderland SHA-256 1)
check "alice, SHA-256, right password -> 200 ($r)" test "${r%% *}" = 200
r=$(DG auth alice alice wonderland MD5 1)
check "alice, MD5, right password -> 200 ($r)" test "${r%% *}" = 200
r=$(DG auth bob bob builder MD5 1)
check "bob (MD5 HA1 only), MD5 -> 200 ($r)" test "${r%% *}" = 200
r=$(DG auth bob bob builder SHA-256 1)
check "bob with SHA-256 (no SHA-256 HA1) -> 403 ($r)" test "${r%% *}" = 403
r=$(DG reuse alice wonderland SHA-256 | tr '\n' ' ')
check "one nonce, nc 1 then nc 2 -> 200 200 ($r)" bash -c "[[ '$r' =~ ^200\ .*\ 200\  ]]"
check "alice bound" \
	bash -c "ctl() { '$BUILD/sipshardctl' -s '$WORK/n1.sock' \"\$@\"; }; ctl --json contacts show alice@example.com | grep -q 'sip:alice@198.18.0.100'"

# Attacks.
r=$(DG auth alice alice guessed SHA-256 1)
check "wrong password -> 403 ($r)" test "${r%% *}" = 403
r=$(DG auth mallory mallory x MD5 1)
check "unknown user -> 403 ($r)" test "${r%% *}" = 403
r=$(DG auth eve eve x MD5 1)
check "user of another realm (not loaded) -> 403 ($r)" test "${r%% *}" = 403
r=$(DG auth alice bob wonderland SHA-256 1)
check "alice's credentials for bob's AoR -> 403 ($r)" test "${r%% *}" = 403
r=$(DG replay alice wonderland MD5 | tr '\n' ' ')
check "the same nonce-count twice: 200, then 401 ($r)" bash -c "[[ '$r' =~ ^200\ .*\ 401\  ]]"
r=$(DG auth alice alice wonderland SHA-256 1 "$(printf "%064x" 12345)")
check "a nonce the cluster did not make -> 401, not stale ($r)" bash -c "[[ '$r' =~ ^401\  && ! '$r' =~ stale ]]"
old=$(DG nonce)
sleep 4.5
r=$(DG auth alice alice wonderland SHA-256 1 "$old")
check "a nonce older than nonce_ttl_s (3 s) -> 401 stale=true ($r)" bash -c "[[ '$r' =~ ^401\ .*stale ]]"
r=$(SRC=198.18.0.101 DG plain trusty)
check "a trusted source registers without credentials -> 200 ($r)" test "${r%% *}" = 200
r=$(DG query alice)
set -- $r
check "a query for alice without credentials -> 401, no Contact, within 3x ($r)" \
	bash -c "[ '$1 $5' = '401 contact=0' ] && [ $2 -le $(($3 * 3)) ]"
r=$(SRC=198.18.0.101 DG query alice)
check "the same query from a trusted source lists alice's bindings ($r)" bash -c "[[ '$r' =~ ^200\ .*contact=[1-9] ]]"

# Counters (each request above was answered once: no retransmissions).
for kv in auth_ok:6 auth_none:13 auth_bad_response:1 auth_unknown_user:3 auth_user_mismatch:1 \
	  auth_replay:1 auth_bad_nonce:1 auth_stale:1 auth_trusted:2; do
	got=$(dpstat 1 "${kv%%:*}")
	check "counter ${kv%%:*} = ${kv#*:} (got $got)" test "$got" = "${kv#*:}"
done
st=$(ctl 1 --json stats)
check "sipshardctl stats shows the auth counters" bash -c "echo '$st' | grep -q '\"auth_replay\"'"

# INVITEs (auth.methods: INVITE): 407 with Proxy-Authenticate, then the proxy
# takes the authenticated one (404: nobody is registered as nobody@example.com).
ok0=$(dpstat 1 auth_ok) none0=$(dpstat 1 auth_none) bad0=$(dpstat 1 auth_bad_response)
r=$(DG invite alice wonderland SHA-256 nobody | tr '\n' ' ')
set -- $r
check "INVITE without credentials -> 407 (Proxy-Authenticate SHA-256, MD5) within 3x; answered -> 404 from the proxy ($r)" \
	bash -c "[ '$1 $4' = '407 algos=SHA-256,MD5' ] && [ $2 -le $(($3 * 3)) ] && [ '$6' = 404 ]"
r=$(DG invite alice wonderland MD5 nobody | tr '\n' ' ')
check "... the same with MD5: 407, then 404 ($r)" bash -c "[[ '$r' =~ ^407\ .*\ 404\  ]]"
r=$(DG invite alice guessed SHA-256 nobody | tr '\n' ' ')
check "INVITE with a wrong password: 407, then 403 ($r)" bash -c "[[ '$r' =~ ^407\ .*\ 403\  ]]"
r=$(SRC=198.18.0.101 DG invite trusty x SHA-256 nobody | tr '\n' ' ')
check "INVITE from a trusted source: not challenged (404) ($r)" bash -c "[[ '$r' =~ ^404\  ]]"
r=$(DG invite alice x SHA-256 nobody totag1 | tr '\n' ' ')
check "an in-dialog INVITE (To tag): not challenged ($r)" bash -c "[[ ! '$r' =~ ^40[37]\  ]]"
check "auth counters: ok +2, none +3, bad_response +1 ($(dpstat 1 auth_ok) $(dpstat 1 auth_none) $(dpstat 1 auth_bad_response))" \
	test "$(( $(dpstat 1 auth_ok) - ok0 ))" = 2 -a "$(( $(dpstat 1 auth_none) - none0 ))" = 3 -a \
	"$(( $(dpstat 1 auth_bad_response) - bad0 ))" = 1

# Reload: a new user, without a restart; a broken file keeps the old table.
sub carol sweet >> "$WORK/subscribers"
r=$(DG auth carol carol sweet SHA-256 1)
check "carol before the reload -> 403 ($r)" test "${r%% *}" = 403
out=$(ctl 1 --json auth reload)
check "sipshardctl auth reload: 3 users ($out)" bash -c "echo '$out' | grep -q '\"users\":3'"
r=$(DG auth carol carol sweet SHA-256 1)
check "carol after the reload -> 200 ($r)" test "${r%% *}" = 200
echo "broken line" >> "$WORK/subscribers"
bad=$(wc -l < "$WORK/subscribers")
out=$(ctl 1 --json auth reload 2>&1); rc=$?
check "a broken file: reload fails with FILE:LINE (rc $rc: $out)" bash -c "[ $rc = 1 ] && echo '$out' | grep -q 'subscribers:$bad:'"
r=$(DG auth carol carol sweet MD5 1)
check "the old table stays: carol -> 200 ($r)" test "${r%% *}" = 200
check "node alive, SIGTERM: clean exit 0" stop_node 1
exit 0

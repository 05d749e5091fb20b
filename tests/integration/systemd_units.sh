#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The systemd units started by systemd (issue 15 item 1), the way docs/operations.md
# "Install" tells an operator: `make install`, node1.yaml from the example, the key,
# `--check-config`, `systemctl enable --now sipshard-hugepages sipshard-dp@node1
# sipshard-cp@node1`. The tests do not run under systemd (PID 1 here is not systemd,
# and a systemd booted in the test machine's own namespaces would take over its /tmp
# and /dev/log), so the test boots one in a container: systemd-nspawn on an overlay of
# this machine's root (writes go to a tmpfs, the machine's files are never touched),
# joined to node 1's namespace of the lab (scripts/lab.sh). Checked there:
#   - the hugepages unit succeeds (it never lowers a reservation already made);
#   - the dataplane and its control plane both run; sipshardctl answers on the socket
#     of the unit's RuntimeDirectory; a client in the lab gets 200 OK to a REGISTER;
#   - the control plane starts once its dataplane is ready (Type=notify), never
#     before (a secondary attaching during the primary's EAL setup breaks it);
#   - kill -9 of the dataplane: the control plane detaches at once, systemd starts the
#     dataplane again (Restart=on-failure) at its first try, and the control plane
#     with it (BindsTo=, Restart=always), and the node answers again;
#   - the snapshot in the unit's StateDirectory brings the binding back after that;
#   - `systemctl stop sipshard-dp@node1` stops both, the control plane first: its
#     journal holds the "stopping (leave announced)" line;
#   - the journal holds the log lines with a level and a subsystem.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
[ -x /usr/bin/python3 ] && PATH=/usr/bin:$PATH
LAB=${LAB:-sd}
BUILD=${BUILD:-build}
FAILS=0
pass() { echo "PASS: systemd: $*"; }
fail() { echo "FAIL: systemd: $*"; FAILS=$((FAILS + 1)); }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }

command -v systemd-nspawn > /dev/null || { fail "systemd-nspawn not installed (scripts/deps.sh installs systemd-container)"; exit 1; }
[ "$(id -u)" = 0 ] || { fail "needs root"; exit 1; }

T=$(mktemp -d /dev/shm/sipshard-sd.XXXXXX)   # tmpfs: the overlay's upper layer
CROOT=$T/root NSPAWN="" LEADER=""
cleanup() {
	if [ -n "$NSPAWN" ] && kill -0 "$NSPAWN" 2> /dev/null; then
		kill -TERM "$NSPAWN"    # nspawn asks the container's systemd to power off
		for _ in $(seq 300); do kill -0 "$NSPAWN" 2> /dev/null || break; sleep 0.1; done
		kill -KILL "$NSPAWN" 2> /dev/null
	fi
	[ "$FAILS" = 0 ] || { echo "--- container console (tail)"; tail -n 30 "$T/console.log"; }
	umount "$CROOT" 2> /dev/null
	rm -rf "$T"
	LAB=$LAB scripts/lab.sh down > /dev/null 2>&1
}
trap cleanup EXIT
trap "exit 1" INT TERM

# The container's root: this machine's root file system (not its other mounts) under
# a tmpfs upper layer. An overlay because nspawn refuses to boot '/' itself.
mkdir -p "$T/up" "$T/wk" "$CROOT"
mount -t overlay overlay -o "lowerdir=/,upperdir=$T/up,workdir=$T/wk" "$CROOT" ||
	{ fail "overlay of / on $CROOT"; exit 1; }
make --no-print-directory -s install DESTDIR="$CROOT" > "$T/install.log" 2>&1 ||
	{ fail "make install DESTDIR=$CROOT: $(tail -3 "$T/install.log")"; exit 1; }
# the operator's steps (docs/operations.md): node1.yaml from the example, the key
sed -e "s|iface=ssn1|iface=${LAB}n1|" "$CROOT/etc/sipshard/example.yaml" > "$CROOT/etc/sipshard/node1.yaml"
python3 - "$CROOT/etc/sipshard/node1.yaml" <<'EOF'
import sys, re
p = sys.argv[1]
s = open(p).read()
# a snapshot in the unit's StateDirectory, written every second
s = s.replace("registrar:", "registrar:\n  snapshot: {path: /var/lib/sipshard/node1.snap, interval_s: 1}", 1)
open(p, "w").write(s)
EOF
(umask 077; head -c 32 /dev/urandom > "$CROOT/etc/sipshard/cluster.key")

LAB=$LAB scripts/lab.sh up 1 > /dev/null || { fail "lab $LAB up"; exit 1; }

# Boot: systemd as the container's PID 1, in node 1's network namespace, to
# basic.target only (none of this machine's other services: they are not under test).
systemd-nspawn -D "$CROOT" --boot --register=no --keep-unit --console=passive \
	--network-namespace-path="/run/netns/$LAB-n1" --capability=CAP_NET_ADMIN -M "${LAB}node1" \
	systemd.unit=basic.target > "$T/console.log" 2>&1 &
NSPAWN=$!
find_leader() {   # the container's systemd: a descendant of nspawn whose pid there is 1
	local p q
	for p in $(ps -o pid= --ppid "$NSPAWN") ; do
		for q in $p $(ps -o pid= --ppid "$p"); do
			grep -q '^NSpid:.*[[:space:]]1$' "/proc/$q/status" 2> /dev/null && { echo "$q"; return 0; }
		done
	done
	return 1
}
for _ in $(seq 100); do LEADER=$(find_leader) && break; sleep 0.1; done
[ -n "$LEADER" ] || { fail "systemd-nspawn started a container (no PID 1 found)"; exit 1; }
inc() { nsenter -t "$LEADER" -m -u -i -n -p -- "$@"; }
state="" t=0   # until the boot is over (is-system-running --wait fails before systemd's bus is up)
while [ "$t" -lt 1200 ]; do
	state=$(inc systemctl is-system-running 2> /dev/null)
	case $state in running|degraded) break ;; esac
	sleep 0.1; t=$((t + 1))
done
case $state in
running|degraded) pass "systemd booted in the container ($state; $(inc systemctl --version | head -1))" ;;
*) fail "systemd booted in the container: '$state'"; exit 1 ;;
esac

out=$(inc /usr/local/bin/sipshard-dp -c /etc/sipshard/node1.yaml --check-config 2>&1)
check "sipshard-dp --check-config on the installed node1.yaml: $(head -1 <<<"$out")" grep -q ': ok$' <<<"$out"

if inc systemctl enable --now sipshard-hugepages sipshard-dp@node1 sipshard-cp@node1 > "$T/enable.log" 2>&1; then
	pass "systemctl enable --now sipshard-hugepages sipshard-dp@node1 sipshard-cp@node1"
else
	fail "systemctl enable --now: $(tail -3 "$T/enable.log")"
fi
check "sipshard-hugepages.service is active (it leaves the $(cat /proc/sys/vm/nr_hugepages) pages already reserved)" \
	test "$(inc systemctl is-active sipshard-hugepages)" = active

ctl() { inc /usr/local/bin/sipshardctl -s /run/sipshard/node1.sock "$@"; }
mainpid() { inc systemctl show -p MainPID --value "$1"; }
wait_ctl() {   # until sipshardctl answers (the cp attached) or 30 s
	local t=0
	until ctl nodes > /dev/null 2>&1; do
		t=$((t + 1)); [ "$t" -lt 300 ] || return 1; sleep 0.1
	done
}
wait_ctl; rc=$?
check "both units active (dp MainPID $(mainpid sipshard-dp@node1), cp MainPID $(mainpid sipshard-cp@node1))" \
	test "$(inc systemctl is-active sipshard-dp@node1)" = active -a "$(inc systemctl is-active sipshard-cp@node1)" = active
check "sipshardctl answers on /run/sipshard/node1.sock (the cp unit's RuntimeDirectory)" test "$rc" = 0
[ "$rc" = 0 ] || { inc systemctl status --no-pager -n 0 sipshard-dp@node1 sipshard-cp@node1; inc journalctl -q -o cat -n 20 _SYSTEMD_UNIT=sipshard-dp@node1.service; inc journalctl -q -o cat -n 30 _SYSTEMD_UNIT=sipshard-cp@node1.service; exit 1; }

register() {   # USER: prints the status line of the answer to a REGISTER sent to node 1
	ip netns exec "$LAB-cl" python3 - "$1" <<'EOF'
import socket, sys, time
u = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.18.0.100", 0))
s.settimeout(0.5)
port = s.getsockname()[1]
for i in range(20):   # a not yet synced node answers 480 for users it does not know
	s.sendto(("REGISTER sip:example.com SIP/2.0\r\n"
	          "Via: SIP/2.0/UDP 198.18.0.100:%d;branch=z9hG4bK-sd-%s-%d;rport\r\n"
	          "Max-Forwards: 70\r\nFrom: <sip:%s@example.com>;tag=1\r\nTo: <sip:%s@example.com>\r\n"
	          "Call-ID: sd-%s@198.18.0.100\r\nCSeq: %d REGISTER\r\n"
	          "Contact: <sip:%s@198.18.0.100:%d>;expires=3600\r\nContent-Length: 0\r\n\r\n"
	          % (port, u, i, u, u, u, i + 1, u, port)).encode(), ("198.18.0.1", 5060))
	try:
		line = s.recv(4096).decode(errors="replace").split("\r\n")[0]
	except socket.timeout:
		continue
	if line.startswith("SIP/2.0 200"):
		break
	time.sleep(0.2)
else:
	line = locals().get("line", "no answer")
print(line)
EOF
}
ip netns exec "$LAB-cl" ping -q -c 1 -W 2 198.18.0.1 > /dev/null 2>&1
ans=$(register alice)
check "a REGISTER from the lab's client is answered '$ans'" test "${ans:0:11}" = "SIP/2.0 200"
contacts() { ctl contacts show alice@example.com 2> /dev/null; }
check "sipshardctl contacts show alice@example.com shows the binding" grep -q '198.18.0.100' <<<"$(contacts)"

# kill -9 the dataplane: systemd brings both back
sleep 1.5   # the snapshot (interval_s 1) holds alice
dp1=$(mainpid sipshard-dp@node1) cp1=$(mainpid sipshard-cp@node1)
[ "$dp1" -gt 1 ] 2> /dev/null && inc kill -KILL "$dp1"   # never 0: that would be our process group
t=0
while :; do
	dp2=$(mainpid sipshard-dp@node1) cp2=$(mainpid sipshard-cp@node1)
	[ "$dp2" != 0 ] && [ "$dp2" != "$dp1" ] && [ "$cp2" != 0 ] && [ "$cp2" != "$cp1" ] && ctl nodes > /dev/null 2>&1 && break
	t=$((t + 1)); [ "$t" -lt 300 ] && sleep 0.1 || break
done
check "kill -9 of the dataplane ($dp1): systemd restarted it ($dp2) and its control plane ($cp1 -> $cp2), sipshardctl answers again after $((t / 10)).$((t % 10)) s" \
	test "$t" -lt 300
j=$(inc journalctl -q -o cat _SYSTEMD_UNIT=sipshard-cp@node1.service)
check "... the cp saw its dataplane die and detached at once ('died: detaching' in its journal)" \
	grep -q "the dataplane 'node1' died: detaching" <<<"$j"
j=$(inc journalctl -q -o cat _SYSTEMD_UNIT=sipshard-dp@node1.service)
check "... so the new dataplane started at its first try (no 'EAL initialisation failed' in its journal)" \
	eval '! grep -q "EAL initialisation failed" <<<"$j"'
check "the binding is back from the snapshot in /var/lib/sipshard (the cp unit's StateDirectory)" \
	grep -q '198.18.0.100' <<<"$(contacts)"
ans=$(register bob)
check "a REGISTER after the restart is answered '$ans'" test "${ans:0:11}" = "SIP/2.0 200"

# systemctl stop of the dataplane stops both, the cp first: it announces the leave
inc systemctl stop sipshard-dp@node1
check "systemctl stop sipshard-dp@node1: both inactive (dp $(inc systemctl is-active sipshard-dp@node1), cp $(inc systemctl is-active sipshard-cp@node1))" \
	test "$(inc systemctl is-active sipshard-dp@node1)" = inactive -a "$(inc systemctl is-active sipshard-cp@node1)" = inactive
jcp=$(inc journalctl -q -o cat _SYSTEMD_UNIT=sipshard-cp@node1.service 2> /dev/null)
jdp=$(inc journalctl -q -o cat _SYSTEMD_UNIT=sipshard-dp@node1.service 2> /dev/null)
check "the cp never tried to attach before its dataplane was ready (Type=notify; no 'cannot attach' in its journal)" \
	eval '! grep -q "cannot attach to the dataplane" <<<"$jcp"'
check "the cp's journal: 'stopping (leave announced)' at the stop" grep -q 'stopping (leave announced)' <<<"$jcp"
FMT='^(emerg|alert|crit|err|warning|notice|info|debug) [^ ]+: .'
# not log lines: the output of the dp unit's ExecStartPre (--check-config: "FILE: ok")
# and the "EAL: FATAL: ..." DPDK prints to stderr besides its log line (a cp started
# before its dataplane is up)
bad=$(printf '%s\n%s\n' "$jcp" "$jdp" | grep -v '^/etc/sipshard/node1.yaml: ok$' | grep -v '^EAL: FATAL: ' | grep -cvE "$FMT")
check "the journal: LEVEL SUBSYSTEM: message lines of both ($(grep -c . <<<"$jcp") cp, $(grep -c . <<<"$jdp") dp lines, $bad not)" \
	test -n "$jcp" -a -n "$jdp" -a "$bad" = 0
check "... with journald's priority from the line: the dp's ready line is at notice" \
	grep -q '^notice sipshard-dp: ready' <<<"$(inc journalctl -q -o cat -p notice..notice _SYSTEMD_UNIT=sipshard-dp@node1.service)"
[ "$FAILS" = 0 ] || { echo "--- cp journal"; tail -n 20 <<<"$jcp"; echo "--- dp journal"; tail -n 60 <<<"$jdp"; inc systemctl status --no-pager -n 0 sipshard-dp@node1; }
exit 0

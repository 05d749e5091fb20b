#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# keepalived notify script: keepalived (VRRP) decides which node is MASTER, this
# script makes the sipshard sharing tag follow it (docs/cluster.md "Sharing tags").
#
#   notify /usr/local/sbin/keepalived-notify.sh      (in a vrrp_instance or vrrp_sync_group)
#
# keepalived calls it with: TYPE NAME STATE PRIORITY
#   TYPE      INSTANCE or GROUP
#   NAME      the vrrp_instance / vrrp_sync_group name
#   STATE     MASTER, BACKUP, FAULT (or STOP)
# Environment (set it in the unit that runs keepalived, or edit the defaults):
#   SIPSHARD_TAG     the tag, NAME/CLUSTER          (default service/1)
#   SIPSHARD_SOCKET  sipshard-cp's admin socket     (default /run/sipshard/sipshard.sock)
#   SIPSHARDCTL      the CLI                        (default sipshardctl on PATH)
#
# MASTER: `sipshardctl tag set-active TAG`: this node claims the tag with a new term;
#   every other node steps down as it hears the claim (sipshardctl waits for their
#   acknowledgements). A failure is logged and the exit status is 1.
# BACKUP: nothing. The node that became MASTER claims, and its claim (higher term)
#   makes this node step down; stepping down here on our own would leave the tag
#   without a holder until the new MASTER's claim arrives.
# FAULT / STOP: nothing either, for the same reason: keepalived makes another node
#   MASTER, whose claim moves the tag. If this node is cut off, the claim reaches
#   it when the partition heals and the term settles it.
# Use it with the tag's `failover: manual` (keepalived decides) and either a tag
# `vip` (sipshard answers for the address) or a keepalived virtual_ipaddress on a
# kernel interface, never both.
set -u
TYPE=${1:-}
NAME=${2:-}
STATE=${3:-}
TAG=${SIPSHARD_TAG:-service/1}
SOCK=${SIPSHARD_SOCKET:-/run/sipshard/sipshard.sock}
CTL=${SIPSHARDCTL:-sipshardctl}

log() { logger -t sipshard-keepalived "$*" 2>/dev/null || echo "sipshard-keepalived: $*" >&2; }

case $STATE in
MASTER)
	if out=$("$CTL" -s "$SOCK" tag set-active "$TAG" 2>&1); then
		log "$TYPE $NAME MASTER: tag $TAG active here"
	else
		log "$TYPE $NAME MASTER: tag set-active $TAG failed: $out"
		exit 1
	fi
	;;
BACKUP|FAULT|STOP)
	log "$TYPE $NAME $STATE: tag $TAG left to the node that claims it"
	;;
*)
	log "$TYPE $NAME: unknown state '$STATE' ignored"
	;;
esac
exit 0

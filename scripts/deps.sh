#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Installs what sipshard needs on Debian 12, idempotently, and prepares huge pages.
#   scripts/deps.sh            install missing packages (root: apt-get), reserve huge pages
#   HUGEPAGES=N scripts/deps.sh  reserve N 2 MiB pages (default 1024 = 2 GiB)
# Without huge pages the binaries fall back to --no-huge by themselves (no secondary
# processes then: sipshard-cp and dpdk-dumpcap need huge pages).
set -u
PKGS=(make gcc clang pkg-config libdpdk-dev dpdk dpdk-dev libnuma-dev libprotobuf-c-dev
      protobuf-c-compiler libssl-dev libsodium-dev libxxhash-dev libyaml-dev libjansson-dev libcmocka-dev libclang-rt-14-dev sip-tester
      libmicrohttpd-dev libsystemd-dev
      systemd-container
      iproute2 ethtool iputils-ping python3 procps util-linux kamailio tcpdump)
HUGEPAGES=${HUGEPAGES:-1024}

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "deps: missing packages: ${missing[*]}" >&2
		echo "deps: run as root (sudo scripts/deps.sh) or install them with apt-get" >&2
		exit 1
	fi
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || { echo "deps: apt-get update failed" >&2; exit 1; }
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		{ echo "deps: apt-get install failed" >&2; exit 1; }
fi

# promtool (tests/integration/metrics.sh checks /metrics with it): Debian ships it
# only inside the prometheus package, whose install would start a Prometheus
# server. Its .deb is fetched with apt-get download and promtool alone taken out,
# into /usr/local/bin. Best effort: without it metrics.sh says so and checks the
# format with its own parser only.
if ! command -v promtool > /dev/null && [ "$(id -u)" = 0 ]; then
	pt=$(mktemp -d)
	if (cd "$pt" && apt-get download -qq prometheus > /dev/null 2>&1) &&
	   dpkg-deb -x "$pt"/prometheus_*.deb "$pt/x" 2> /dev/null &&
	   install -m 0755 "$pt/x/usr/bin/promtool" /usr/local/bin/promtool; then
		echo "deps: promtool from Debian's prometheus package into /usr/local/bin"
	else
		echo "deps: promtool could not be fetched (apt-get download prometheus)" >&2
	fi
	rm -rf "$pt"
fi

# Huge pages: best effort, never fatal.
hp_total() { awk '/^HugePages_Total:/ {print $2}' /proc/meminfo; }
hp_mounted() { grep -q ' hugetlbfs ' /proc/mounts; }
if [ "$(id -u)" = 0 ]; then
	if ! hp_mounted; then
		mkdir -p /dev/hugepages && mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null
	fi
	if [ "$(hp_total)" -lt "$HUGEPAGES" ]; then
		echo "$HUGEPAGES" > /proc/sys/vm/nr_hugepages 2>/dev/null
	fi
fi
if hp_mounted && [ "$(hp_total)" -gt 0 ]; then
	echo "deps: ok ($(hp_total) huge pages of $(awk '/^Hugepagesize:/ {print $2 $3}' /proc/meminfo), hugetlbfs mounted)"
else
	echo "deps: ok, but no huge pages could be reserved: DPDK programs run with --no-huge"
fi

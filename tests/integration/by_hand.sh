#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The README's "Running a node by hand" (scripts/by-hand.sh) in its own lab: the
# example config starts as it is (its names changed to this lab's), the control
# plane attaches, sipshardctl and telemetry answer, both stop cleanly.
set -u
cd "$(dirname "$0")/../.."
LAB=${LAB:-sbh}
dir=$(mktemp -d /tmp/sipshard-bh.XXXXXX)
trap 'rm -rf "$dir"' EXIT
LAB=$LAB DIR=$dir timeout 120 scripts/by-hand.sh

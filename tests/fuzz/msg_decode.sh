#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Bounded fuzzing of the cluster wire decoder (tests/fuzz/fuzz_msg_decode.c).
. "$(dirname "$0")/lib.bash"
fuzz_run fuzz_msg_decode "${FUZZ_TIME:-30}"

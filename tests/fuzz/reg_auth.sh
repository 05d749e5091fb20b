#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Bounded fuzzing of digest authentication (tests/fuzz/fuzz_reg_auth.c).
. "$(dirname "$0")/lib.bash"
fuzz_run fuzz_reg_auth "${FUZZ_TIME:-30}" -max_len=4096

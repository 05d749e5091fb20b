#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Bounded fuzzing of the registrar's pack encoding (tests/fuzz/fuzz_reg_pack.c).
. "$(dirname "$0")/lib.bash"
fuzz_run fuzz_reg_pack "${FUZZ_TIME:-20}"

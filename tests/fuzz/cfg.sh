#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Bounded fuzzing of the configuration loader (tests/fuzz/fuzz_cfg.c).
. "$(dirname "$0")/lib.bash"
fuzz_run fuzz_cfg "${FUZZ_TIME:-30}"

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Bounded fuzzing of the SIP parser and every sub-parser (tests/fuzz/fuzz_sip_parse.c).
. "$(dirname "$0")/lib.bash"
fuzz_run fuzz_sip_parse "${FUZZ_TIME:-45}" -max_len=4096

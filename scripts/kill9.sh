#!/usr/bin/env bash
# The kill -9 harness at length: `scripts/kill9.sh [points]` (default 100)
# kills the harness pipeline at that many points, at random times and at
# the failpoints of the two-phase commit, restarting it each time, and
# checks the committed output: 0 lost, 0 duplicated. CI runs 20 points as
# part of the tests (examples/tests/kill9.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
LAMINAR_KILL_POINTS="${1:-100}" cargo test -p laminar-examples --test kill9 -- --nocapture

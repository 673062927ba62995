#!/usr/bin/env bash
# demo.sh: set up, then run faultline's main job on the emulated bench.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
go build -o faultline .
exec ./faultline demo "$@"

#!/usr/bin/env bash
# demo.sh: set up, then run faultline's main job on the emulated bench.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
# CGO_ENABLED=0: a static binary. With cgo the net and os/user packages
# link the C library for their resolvers, and the dynamic loader and libc
# start cost every run about 0.6 ms, most of a small symbolize.
CGO_ENABLED=0 go build -o faultline .
exec ./faultline demo "$@"

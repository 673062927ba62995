#!/usr/bin/env bash
# test.sh: the whole faultline test suite, from a fresh clone.
#
# Installs what the tests need (scripts/setup.sh is idempotent), then checks
# formatting, vets, and runs every test with the race detector. Integration
# tests boot real firmware in QEMU; firmware is built on demand and cached
# under firmware/**/build/.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
echo "test: gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go') 2>/dev/null || true)
if [ -n "$unformatted" ]; then
  printf 'test: gofmt would change:\n%s\n' "$unformatted" >&2
  exit 1
fi
echo "test: go mod tidy"
if ! go mod tidy -diff >/dev/null 2>&1; then
  echo "test: go.mod/go.sum are not tidy: run go mod tidy" >&2
  go mod tidy -diff >&2 || true
  exit 1
fi
echo "test: go vet"
go vet ./...
# Engineers run faultline on macOS and Windows, and on 32-bit hosts (a
# Raspberry Pi beside the board): the tests run here on Linux, so at least
# build there. windows/386 covers the non-Unix files and 32-bit ints,
# darwin/arm64 the other Unix ones and macOS without cgo.
echo "test: builds for windows/386 and darwin/arm64"
for target in windows/386 darwin/arm64; do
  GOOS=${target%/*} GOARCH=${target#*/} CGO_ENABLED=0 go build -o /dev/null ./... ||
    { echo "test: faultline does not build for $target" >&2; exit 1; }
done
echo "test: go test -race"
go test -race -timeout 20m ./... "$@"

#!/usr/bin/env bash
# Memory across relists: RSS of a process that lists 10,000 Services and 100,000 endpoints
# (10,000 EndpointSlices of 10) from a local fake Kubernetes API server over HTTPS, then relists
# everything twice (410 Gone after compaction), as a real cluster forces after a long outage.
# The fake server lives in the same process, so the baseline includes its copy of the objects;
# what matters is the growth after the first list and that the relists add (almost) nothing.
#   Benchmarks/relist/run.sh                          # 10,000 services × 10 endpoints
#   RELIST_SERVICES=2000 Benchmarks/relist/run.sh     # smaller
# Not run in CI. Needs openssl (test certificates).
set -euo pipefail
cd "$(dirname "$0")/../.."
SCRATCH="${SCRATCH:-.build-kube-release}"
swift build -c release -Xswiftc -enable-testing --scratch-path "$SCRATCH" --build-tests >&2
RELIST_BENCH=1 swift test -c release -Xswiftc -enable-testing --scratch-path "$SCRATCH" --skip-build --disable-xctest \
  --filter 'KubernetesSourceTests.RelistBenchmark' 2>&1 | grep -E 'relist benchmark|RSS|passed|failed|error'

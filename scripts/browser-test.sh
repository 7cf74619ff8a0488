#!/usr/bin/env bash
# Drives the admin Webhooks page in headless Chromium (Selenium + Debian's chromium-driver) against
# `event-publisher run` on a temporary config and database; screenshots go to build/screenshots/.
#   ./scripts/browser-test.sh                 build, then test
#   SCRATCH_PATH=.build-x ./scripts/browser-test.sh   use another SwiftPM scratch directory
#   EVENT_PUBLISHER_BIN=path ./scripts/browser-test.sh   skip the build, use this binary
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

# What the test needs, installed only when missing: chromium + chromium-driver (apt), selenium (PyPI).
WITH_BROWSER=1 ./scripts/install-deps.sh
if ! python3 -c 'import selenium' 2>/dev/null; then
  echo "browser-test: installing selenium" >&2
  python3 -m pip install -q -r scripts/browser-test-requirements.txt >&2
fi

if [[ -z "${EVENT_PUBLISHER_BIN:-}" ]]; then
  scratch=(--scratch-path "${SCRATCH_PATH:-.build}")
  swift build "${scratch[@]}" --product event-publisher >&2
  EVENT_PUBLISHER_BIN="$(swift build "${scratch[@]}" --show-bin-path)/event-publisher"
fi

mkdir -p build/screenshots
exec python3 scripts/browser-test.py --binary "$EVENT_PUBLISHER_BIN" --screenshots build/screenshots "$@"

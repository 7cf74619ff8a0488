#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds with the dependency-direction check,
# runs `swift test`, then the headless-browser test of the admin page.
#   ./scripts/test.sh          developer run
#   ./scripts/test.sh --ci     what .ci/run does (same, plus the pure-core check)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
WITH_BROWSER=1 ./scripts/install-deps.sh

if [[ "${1:-}" == "--ci" ]]; then
  ./scripts/check-pure-core.sh
fi

swift build --build-tests --explicit-target-dependency-import-check error
swift test --skip-build

if [[ -x scripts/browser-test.sh ]]; then
  ./scripts/browser-test.sh
fi

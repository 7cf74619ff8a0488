#!/usr/bin/env bash
# Runs one libFuzzer target for a given time.
#
#   scripts/fuzz.sh TARGET SECONDS [extra libFuzzer flags…]
#   TARGET: ami-decoder | config-loader | admin-json | build (builds all three and exits)
#
# Build: SwiftPM (-c release: optimised code runs ~10x more inputs/s) with the fuzz targets switched on in Package.swift (EVENT_PUBLISHER_FUZZ=1) and
# every Swift module compiled with -sanitize=fuzzer,address (coverage + ASan; libFuzzer supplies
# main, hence -parse-as-library). Own scratch dir: .build-fuzz (never mixes with normal builds).
# Corpus: fixtures/fuzz/<target>/ (seeds from the captures and configs; new inputs libFuzzer finds are
# written to .build-fuzz/corpus/<target>/ so the checked-in seeds stay small — merge with
# `-merge=1` by hand when worth keeping). Crashes land in .build-fuzz/artifacts/<target>/.
# The last line of the log ("Done N runs in S second(s)") gives the number of inputs.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SCRATCH=${FUZZ_SCRATCH:-$ROOT/.build-fuzz}
TARGET=${1:?usage: scripts/fuzz.sh ami-decoder|config-loader|admin-json|build SECONDS}
SECONDS_TO_RUN=${2:-60}
shift $(( $# >= 2 ? 2 : $# ))

build() {
    EVENT_PUBLISHER_FUZZ=1 swift build -c release --scratch-path "$SCRATCH" --product "$1" \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library >&2
}
case "$TARGET" in
    ami-decoder) PRODUCT=FuzzAMIDecoder; MAXLEN=8192 ;;
    config-loader) PRODUCT=FuzzConfigLoader; MAXLEN=8192 ;;
    admin-json) PRODUCT=FuzzAdminJSON; MAXLEN=4096 ;;
    build) for p in FuzzAMIDecoder FuzzConfigLoader FuzzAdminJSON; do build "$p"; done; exit 0 ;;
    *) echo "unknown target $TARGET" >&2; exit 64 ;;
esac
[ "${FUZZ_SKIP_BUILD:-0}" = 1 ] || build "$PRODUCT"
BIN="$SCRATCH/release/$PRODUCT"
mkdir -p "$SCRATCH/corpus/$TARGET" "$SCRATCH/artifacts/$TARGET"
# -rss_limit_mb: unbounded memory is a finding; -timeout: a hang is a finding.
exec "$BIN" "$SCRATCH/corpus/$TARGET" "$ROOT/fixtures/fuzz/$TARGET" \
    -max_total_time="$SECONDS_TO_RUN" -max_len="$MAXLEN" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$SCRATCH/artifacts/$TARGET/" -print_final_stats=1 "$@"

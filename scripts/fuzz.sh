#!/usr/bin/env bash
# Runs one libFuzzer target for a given time.
#
#   scripts/fuzz.sh TARGET SECONDS [extra libFuzzer flags…]
#   TARGET: ami-decoder | config-loader | admin-json | build (builds all three and exits)
#
# Build: SwiftPM, -c release (optimised code runs several times more inputs/s), with the fuzz targets
# switched on in Package.swift (EVENT_PUBLISHER_FUZZ=1) and every Swift module compiled with
# -sanitize=fuzzer,address (coverage + ASan; libFuzzer's driver is entered from each target's
# EntryPoint.swift, hence -parse-as-library). Own scratch dir .build-fuzz: never mixes with normal builds.
# Corpus: fixtures/fuzz/<target>/ (seeds from the captures, configs and webhook bodies, plus minimised
# finds); new inputs go to .build-fuzz/corpus/<target>/. Keep the useful ones with
#   .build-fuzz/release/<Product> -merge=1 fixtures/fuzz/<target> .build-fuzz/corpus/<target>
# Crashes land in .build-fuzz/artifacts/<target>/.
# The log's "Done N runs in S second(s)" line gives the number of inputs; a crash, a hang (>10 s)
# or more than 2 GB RSS stops the run with a non-zero status and a reproducer in artifacts/.
# Reproduce one input: .build-fuzz/release/<Product> <file>. FUZZ_SKIP_BUILD=1 reuses the last build.
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
"$BIN" "$SCRATCH/corpus/$TARGET" "$ROOT/fixtures/fuzz/$TARGET" \
    -max_total_time="$SECONDS_TO_RUN" -max_len="$MAXLEN" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$SCRATCH/artifacts/$TARGET/" -print_final_stats=1 "$@" &
FUZZER=$!
trap 'kill $FUZZER 2>/dev/null' INT TERM
STATUS=0
wait $FUZZER || STATUS=$?
# The admin-json target keeps its webhook store in a temporary SQLite file named after its pid.
rm -f "${TMPDIR:-/tmp}/fuzz-admin-$FUZZER.sqlite" "${TMPDIR:-/tmp}/fuzz-admin-$FUZZER.sqlite-wal" \
    "${TMPDIR:-/tmp}/fuzz-admin-$FUZZER.sqlite-shm"
exit $STATUS

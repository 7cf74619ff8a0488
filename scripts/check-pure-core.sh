#!/usr/bin/env bash
# The pure cores must not read clocks, generate randomness, do I/O or import C.
# Crude and cheap: a grep. The rule is the one in docs/ARCHITECTURE.md.
set -euo pipefail
cd "$(dirname "$0")/.."
pattern='Date\(\)|Date\.now|UUID\(\)|\.random|FileManager|ProcessInfo|DispatchQueue|Task \{|Thread\.|import Glibc|import C[A-Z]|print\('
if grep -rnE "$pattern" Sources/AMIProtocol Sources/CallEvents Sources/CallCorrelation Sources/Webhooks; then
  echo "check-pure-core: the lines above break the pure-core rule" >&2
  exit 1
fi
echo "check-pure-core: ok"

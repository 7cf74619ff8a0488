#!/usr/bin/env bash
# The main job on the embedded default: config/event-publisher.yaml, SQLite file under data/.
# Installs what is missing, builds a release binary, then
#   - if an Asterisk answers on the configured AMI port: runs the daemon against it;
#   - otherwise: runs the daemon in demo mode — a bundled real capture is streamed over TCP by a
#     local AMI server through the live pipeline to a local webhook receiver that prints each
#     delivery, and the admin page is up.
# Extra arguments go to `event-publisher run` (e.g. --config PATH, --log-format json).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
./scripts/install-deps.sh
swift build -c release --product event-publisher >&2
bin=.build/release/event-publisher
mkdir -p data

config=config/event-publisher.yaml
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do [[ "${args[$i]}" == --config ]] && config="${args[$((i + 1))]}"; done
host=$(awk '/^ami:/{f=1} f&&/host:/{print $2; exit}' "$config"); host=${host:-127.0.0.1}
port=$(awk '/^ami:/{f=1} f&&/port:/{print $2; exit}' "$config"); port=${port:-5038}

if timeout 2 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null; then
  echo "run: Asterisk answers on $host:$port — starting the daemon" >&2
  exec "$bin" run "$@"
else
  echo "run: no Asterisk on $host:$port — demo mode (bundled capture → live pipeline → local receiver)." >&2
  echo "run: to use a PBX, set ami.host/port/username/secret in $config (see docs/DEPLOY.md) and run again." >&2
  exec "$bin" run --demo "$@"
fi

#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need, only when something is missing.
# Idempotent; safe to run on every invocation of run.sh / test.sh.
set -euo pipefail

packages=(libsqlite3-dev libyaml-dev libcurl4-openssl-dev libmicrohttpd-dev libssl-dev pkg-config python3)
if [[ "${WITH_BROWSER:-0}" == 1 ]]; then packages+=(chromium chromium-driver); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}" >&2
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

if ! command -v swift >/dev/null 2>&1; then
  if [[ -x /opt/swift/usr/bin/swift ]]; then
    echo "install-deps: add /opt/swift/usr/bin to PATH" >&2
  else
    echo "install-deps: the Swift 6 toolchain is required (https://swift.org/install/linux/)" >&2
    exit 1
  fi
fi
# PyYAML for the independent replay checker (../shared/tools/check-replay) when present.
python3 -c 'import yaml' 2>/dev/null || pip install -q pyyaml >&2 || true

#!/usr/bin/env bash
# Builds a release of Event Publisher:
#   dist/event-publisher-<version>-linux-<arch>/      binary, unit, sample configs, docs
#   dist/event-publisher-<version>-linux-<arch>.tar.gz
#   dist/event-publisher-<version>-linux-<arch>.debug  debug symbols of the stripped binary
# and prints the Debian runtime packages the binary needs (from ldd + dpkg).
#
# The Swift runtime is linked statically (--static-swift-stdlib): the target machine needs no
# Swift toolchain, only the Debian packages printed at the end.
#
# Usage: scripts/release.sh [--head] [--skip-build]
#   --head        build the last commit (git archive HEAD) instead of the working tree
#   --skip-build  package the binary from the previous build again (docs/config changes)
# Environment: SCRATCH (build dir, default .build-release), DIST (default dist),
#              SOURCE_DATE_EPOCH (fixes the recorded build date, for reproducible builds).
#
# The sources are copied to $SCRATCH/src and built there, so the working tree is never
# modified and a build in progress elsewhere in the tree cannot interfere.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PATH="/opt/swift/usr/bin:$PATH"

from_head=0 skip_build=0
for arg in "$@"; do
  case "$arg" in
    --head) from_head=1 ;;
    --skip-build) skip_build=1 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "release: unknown argument: $arg" >&2; exit 64 ;;
  esac
done

scratch=${SCRATCH:-$root/.build-release}
dist=${DIST:-$root/dist}
stage=$scratch/src
mkdir -p "$scratch" "$dist"

version=$(sed -n 's/^ *public static let version = "\([^"]*\)".*/\1/p' Sources/EventPublisherCLI/Version.swift)
[[ -n "$version" ]] || { echo "release: no version in Sources/EventPublisherCLI/Version.swift" >&2; exit 1; }
arch=$(uname -m)
name=event-publisher-$version-linux-$arch
out=$dist/$name

commit=unknown
if git rev-parse --git-dir >/dev/null 2>&1; then
  commit=$(git rev-parse --short=12 HEAD)
  if ((!from_head)) && [[ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]]; then
    commit+=-dirty
  fi
fi
if [[ -n "${SOURCE_DATE_EPOCH:-}" ]]; then
  build_date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
else
  build_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
fi

step() { printf '\n== %s\n' "$*" >&2; }

if ((!skip_build)); then
  ./scripts/install-deps.sh

  step "copying sources to $stage ($([[ $from_head == 1 ]] && echo "HEAD $commit" || echo "working tree"))"
  rm -rf "$stage" && mkdir -p "$stage"
  if ((from_head)); then
    git archive --format=tar HEAD | tar -x -C "$stage"
  elif ! git rev-parse --git-dir >/dev/null 2>&1; then
    # A source tarball without .git: everything except build output.
    tar -c --exclude='./.build*' --exclude=./dist --exclude=./data -f - . | tar -x -C "$stage"
  else
    # Tracked and untracked-but-not-ignored files, as they are on disk now (mtimes kept, so
    # SwiftPM rebuilds only what changed since the last release build).
    git ls-files -z --cached --others --exclude-standard |
      while IFS= read -r -d '' f; do [[ -e "$f" && "$f" != dist/* ]] && printf '%s\0' "$f"; done |
      tar -c --null -T - -f - | tar -x -C "$stage"
  fi
  if [[ ! -f "$stage/Sources/EventPublisherCLI/Version.swift" ]]; then
    echo "release: Version.swift is not committed yet; using the working tree's copy" >&2
    cp Sources/EventPublisherCLI/Version.swift "$stage/Sources/EventPublisherCLI/"
  fi
  # Build facts go into the copy only; the working tree keeps "unknown".
  sed -i \
    -e "s|^\( *public static let commit = \)\"[^\"]*\"|\1\"$commit\"|" \
    -e "s|^\( *public static let buildDate = \)\"[^\"]*\"|\1\"$build_date\"|" \
    "$stage/Sources/EventPublisherCLI/Version.swift"

  step "swift build -c release --static-swift-stdlib (this takes a few minutes)"
  start=$(date +%s)
  swift build -c release --static-swift-stdlib \
    --package-path "$stage" --scratch-path "$scratch/build" \
    --product event-publisher >&2
  echo "release: built in $(( $(date +%s) - start )) s" >&2
  printf 'commit=%q\nbuild_date=%q\n' "$commit" "$build_date" >"$scratch/last-build"
fi

# What the binary was built from (with --skip-build: the facts of the last successful build).
[[ -f "$scratch/last-build" ]] || { echo "release: no successful build yet (run without --skip-build)" >&2; exit 1; }
# shellcheck source=/dev/null
. "$scratch/last-build"

bin_dir=$(swift build -c release --static-swift-stdlib --package-path "$stage" \
  --scratch-path "$scratch/build" --show-bin-path)
built=$bin_dir/event-publisher
[[ -x "$built" ]] || { echo "release: no binary at $built (run without --skip-build)" >&2; exit 1; }

step "assembling $out"
rm -rf "$out" "$out.tar.gz" "$out.debug"
mkdir -p "$out/bin" "$out/config/asterisk" "$out/docs"
cp "$built" "$out/bin/event-publisher"
# Keep the symbols next to the release (for symbolising crash backtraces), ship the binary stripped.
objcopy --only-keep-debug "$out/bin/event-publisher" "$out.debug"
strip --strip-all "$out/bin/event-publisher"
objcopy --add-gnu-debuglink="$out.debug" "$out/bin/event-publisher"
chmod 0755 "$out/bin/event-publisher"

cp config/event-publisher.service "$out/config/"
cp config/asterisk/manager.conf.sample "$out/config/asterisk/"
cp config/event-publisher.yaml "$out/config/event-publisher.yaml.sample"
# A starting point for /etc/event-publisher/event-publisher.yaml: absolute store path in the
# unit's StateDirectory, secrets from the environment file, no webhooks yet.
cat >"$out/config/event-publisher.yaml" <<'YAML'
# /etc/event-publisher/event-publisher.yaml — Event Publisher configuration.
# Every key: docs/CONFIGURATION.md. ${NAME} is read from the environment; under systemd the
# environment file is /etc/event-publisher/event-publisher.env (mode 0600).
# Reload after editing: systemctl reload event-publisher (the file is also watched).
ami:
  host: 127.0.0.1
  port: 5038
  username: event-publisher          # the [event-publisher] user of config/asterisk/manager.conf.sample
  secret: ${AMI_SECRET}
store:
  path: /var/lib/event-publisher/event-publisher.sqlite
admin:
  listen: "127.0.0.1:8088"
  token: ${ADMIN_TOKEN}
numbers:
  internal: '^[0-9]{2,6}$'           # internal extension numbers; any other party is external
webhooks: []                         # add them here, with `event-publisher webhooks add`, or in the web page
YAML
cat >"$out/config/event-publisher.env.sample" <<'ENV'
# /etc/event-publisher/event-publisher.env — secrets for the ${NAME} references in the YAML.
# Install with: install -m 0600 -o root -g root event-publisher.env.sample /etc/event-publisher/event-publisher.env
# AMI_SECRET must equal `secret =` of the [event-publisher] user in /etc/asterisk/manager.conf.
AMI_SECRET=replace-with-openssl-rand-hex-24
# Bearer token for the admin API and web page (Authorization: Bearer …).
ADMIN_TOKEN=replace-with-openssl-rand-hex-32
ENV
for doc in docs/*.md; do [[ -e "$doc" ]] && cp "$doc" "$out/docs/"; done
[[ -f README.md ]] && cp README.md "$out/"

step "checking the binary"
if ldd "$out/bin/event-publisher" | grep -q 'not found'; then
  ldd "$out/bin/event-publisher" >&2
  echo "release: unresolved shared libraries (install the runtime packages)" >&2
  exit 1
fi
if readelf -d "$out/bin/event-publisher" | grep -E 'NEEDED.*lib(swift|Foundation|dispatch|BlocksRuntime)' >&2; then
  echo "release: the binary still needs the Swift runtime; --static-swift-stdlib did not take" >&2
  exit 1
fi
version_output=$("$out/bin/event-publisher" --version 2>&1) || true
echo "release: event-publisher --version → ${version_output:-<no output>}" >&2
# The shipped production config must pass the shipped binary's own validation.
status=0
check_output=$(AMI_SECRET=release-check ADMIN_TOKEN=release-check \
  "$out/bin/event-publisher" check-config --config "$out/config/event-publisher.yaml" 2>&1) || status=$?
if ((status == 64)); then
  echo "release: check-config not available in this build ($check_output); config/event-publisher.yaml not validated" >&2
elif ((status != 0)); then
  echo "$check_output" >&2
  echo "release: the shipped config/event-publisher.yaml is invalid" >&2
  exit 1
else
  echo "release: check-config accepts config/event-publisher.yaml" >&2
fi

# Debian packages: the direct NEEDED libraries are what to apt-get install (apt pulls in the
# rest); the transitive list from ldd is for the record.
package_of() {  # path → Debian package (tries the /lib ↔ /usr/lib aliases of merged-/usr systems)
  local path=$1 candidate
  for candidate in "$path" "$(readlink -f "$path")" "/usr$path" "${path#/usr}"; do
    dpkg-query -S "$candidate" 2>/dev/null | head -1 | cut -d: -f1 && return 0
  done
  echo "?($path)"
}
declare -A resolved=()
while read -r lib _ path _; do
  [[ "$path" == /* ]] && resolved[$lib]=$path
done < <(ldd "$out/bin/event-publisher")
direct=()
for lib in $(readelf -d "$out/bin/event-publisher" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
  [[ -n "${resolved[$lib]:-}" ]] && direct+=("$(package_of "${resolved[$lib]}")")
done
mapfile -t direct < <(printf '%s\n' "${direct[@]}" | sort -u)
mapfile -t transitive < <(for path in "${resolved[@]}"; do package_of "$path"; done | sort -u)

{
  echo "# Debian $(cut -d. -f1 /etc/debian_version 2>/dev/null || echo '?') runtime packages for $name"
  echo "# Install on the target with:"
  echo "apt-get install --no-install-recommends ${direct[*]}"
  echo "# Everything ldd resolves (pulled in by the packages above):"
  echo "# ${transitive[*]}"
} >"$out/RUNTIME-PACKAGES.txt"
{
  echo "name: event-publisher"
  echo "version: $version"
  echo "commit: $commit"
  echo "built: $build_date"
  echo "platform: linux-$arch"
  echo "swift: $(swift --version 2>/dev/null | head -1)"
  echo "build: swift build -c release --static-swift-stdlib"
} >"$out/BUILD-INFO.txt"
(cd "$out" && find . -type f ! -name SHA256SUMS -print0 | sort -z | xargs -0 sha256sum >SHA256SUMS)
tar -C "$dist" --owner=0 --group=0 --numeric-owner -czf "$out.tar.gz" "$name"

size() { du -h "$1" | cut -f1; }
step "done"
cat <<EOF
release:   $out
tarball:   $out.tar.gz ($(size "$out.tar.gz"))
binary:    $(size "$out/bin/event-publisher") stripped ($(size "$built") before strip), debug symbols $out.debug
version:   ${version_output:-?}
runtime packages (apt-get install --no-install-recommends):
  ${direct[*]}
all shared libraries resolve to these packages:
  ${transitive[*]}
EOF

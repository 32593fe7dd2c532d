#!/usr/bin/env bash
# Make sure the Debian packages the test suite needs are present.
# As root: installs what is missing. Otherwise: prints the exact command and fails —
# the tests that need these packages are never skipped silently.
set -euo pipefail

# command-to-check:debian-package. `system-packages.sh bench` adds what the benchmarks need.
NEEDED=(
  "initdb:postgresql"
  "chromium:chromium"
)
if [ "${1:-}" = "bench" ]; then
  NEEDED+=("wrk:wrk" "nginx:nginx")
fi

have() {
  case "$1" in
    initdb) compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || command -v initdb >/dev/null ;;
    chromium) [ -x /usr/bin/chromium ] ;;  # the browser tests launch exactly this path
    *) command -v "$1" >/dev/null ;;
  esac
}

missing=()
for entry in "${NEEDED[@]}"; do
  cmd=${entry%%:*}; pkg=${entry#*:}
  have "$cmd" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  echo "Installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "Missing system packages: ${missing[*]}. Run:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

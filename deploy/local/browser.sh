#!/usr/bin/env bash
# Headless Chromium, its WebDriver and axe-core for the browser tests (tests/browser) and the screenshots.
#   Chromium and chromedriver from Debian's packages (installed when missing, as root); axe-core from
#   the npm registry into var/browser (pinned; nothing is fetched from a CDN at run time).
#   Prints the paths the tests need as KEY=VALUE lines.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
VAR=${MITTARI_SERVICES_DIR:-$REPO/var/services}/../browser
AXE_VERSION=4.11.1

say() { echo "[browser] $*" >&2; }
die() { echo "[browser] error: $*" >&2; exit 1; }

chromium_bin=$(command -v chromium || command -v chromium-browser || true)
driver_bin=$(command -v chromedriver || true)
if [ -z "$chromium_bin" ] || [ -z "$driver_bin" ]; then
  [ "$(id -u)" = 0 ] || die "install as root: apt-get install chromium chromium-driver"
  say "installing chromium and chromium-driver from Debian"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-dejavu-core >/dev/null
  chromium_bin=$(command -v chromium)
  driver_bin=$(command -v chromedriver)
fi
mkdir -p "$VAR"
VAR=$(cd "$VAR" && pwd)
axe=$VAR/node_modules/axe-core/axe.min.js
if [ ! -f "$axe" ] || ! grep -q "\"version\": \"$AXE_VERSION\"" "$VAR/node_modules/axe-core/package.json"; then
  command -v npm >/dev/null || die "npm is needed for axe-core: apt-get install npm"
  say "installing axe-core@$AXE_VERSION from the npm registry"
  npm install --silent --no-audit --no-fund --prefix "$VAR" "axe-core@$AXE_VERSION" >/dev/null
fi
echo "CHROMIUM=$chromium_bin"
echo "CHROMEDRIVER=$driver_bin"
echo "AXE=$axe"

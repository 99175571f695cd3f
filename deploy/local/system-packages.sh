#!/usr/bin/env bash
# Debian packages the Python code needs at run time: Voikko (libvoikko1 and its Finnish dictionary
#   voikko-fi), the morphological analyser privacy/names.py uses to recognise personal names.
#   Idempotent: installs only what is missing, as root; elsewhere it says what to install and fails.
set -euo pipefail
PACKAGES=(libvoikko1 voikko-fi)
say() { echo "[system-packages] $*" >&2; }
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  say "error: install as root: apt-get install ${missing[*]}"
  exit 1
fi
say "installing ${missing[*]} from Debian"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

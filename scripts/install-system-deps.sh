#!/usr/bin/env bash
# Installs the Debian packages kuzet needs, only those missing; uses sudo when not root.
set -euo pipefail
PKGS=(chromium fonts-dejavu-core fonts-liberation fonts-noto-core tesseract-ocr tesseract-ocr-rus tesseract-ocr-kaz
      tesseract-ocr-eng libzbar0 openssl jq libreoffice-writer-nogui)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

#!/usr/bin/env bash
# setup-code-server.sh: installs real VS Code (code-server 4.100.3) and Debian's Chromium for the
# suite and browser tests, without reaching anything but the npm and Debian registries.
#
# code-server's own postinstall downloads ripgrep from GitHub and refuses to run as root, so we
# install with --ignore-scripts and do its steps by hand (see shared recipe vscode-e2e.md).
# Idempotent: a finished install leaves a stamp file, and a second run returns at once.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION="4.100.3"   # 4.101+ needs Node 22
DEST="$ROOT/.cache/code-server"
STAMP="$DEST/.installed-$VERSION"
ENTRY="$DEST/node_modules/code-server/out/node/entry.js"

apt_packages_missing() {
  local missing=()
  for pkg in libkrb5-dev ripgrep chromium; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  echo "${missing[@]:-}"
}

missing="$(apt_packages_missing)"
if [ -n "$missing" ]; then
  if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
    echo "setup-code-server: missing Debian packages ($missing) and not root" >&2
    exit 1
  fi
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup-code-server: installing Debian packages: $missing"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if [ -f "$STAMP" ] && [ -f "$ENTRY" ]; then
  echo "setup-code-server: code-server $VERSION already installed in $DEST"
  exit 0
fi

echo "setup-code-server: installing code-server $VERSION into $DEST (2-3 minutes)"
rm -rf "$DEST"
mkdir -p "$DEST"
export npm_config_yes=true npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
NPM_QUIET=(--no-audit --no-fund --loglevel=error)

cd "$DEST"
echo '{"name":"seedling-code-server","private":true}' > package.json
npm install "${NPM_QUIET[@]}" --ignore-scripts "code-server@$VERSION"

cd "$DEST/node_modules/code-server/lib/vscode"
npm install "${NPM_QUIET[@]}" --omit=dev --ignore-scripts
# @vscode/ripgrep would download its binary from GitHub; Debian's ripgrep is the same program.
mkdir -p node_modules/@vscode/ripgrep/bin
cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
npm rebuild "${NPM_QUIET[@]}" kerberos node-pty @parcel/watcher @vscode/deviceid @vscode/spdlog native-watchdog
ln -sfn node_modules node_modules.asar
(cd extensions && npm install "${NPM_QUIET[@]}" --omit=dev --ignore-scripts)

cd "$DEST"
npm rebuild "${NPM_QUIET[@]}" argon2

node "$ENTRY" --version >/dev/null
touch "$STAMP"
echo "setup-code-server: done ($(node "$ENTRY" --version | head -1))"

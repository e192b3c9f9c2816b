#!/usr/bin/env bash
# Quick start on a fresh Debian/Ubuntu machine, as root: installs what berth
# builds and runs with (compiler, Python for node-gyp, busybox-static for the
# demo image), builds the addon and the TypeScript, then runs the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm ci
npm run demo

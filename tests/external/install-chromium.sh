#!/usr/bin/env bash
# Installs Debian's chromium and the chromedriver built from the same source (chromium-driver),
# which the console's browser test drives. Safe to run again: it does nothing when both are there.
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
    exit 0
fi
sudo=()
if [[ "$(id -u)" -ne 0 ]]; then
    sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q chromium chromium-driver

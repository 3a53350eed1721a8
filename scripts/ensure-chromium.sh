#!/usr/bin/env bash
# The browser suite drives Debian's Chromium (Playwright's own browser download cannot work on
# machines that reach only the package registries). Installs it when missing and we may (root +
# apt-get); otherwise says what to do. CHROMIUM_PATH overrides the binary.
set -euo pipefail

chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [[ -x "$chromium" ]]; then
    exit 0
fi
if [[ -n "${CHROMIUM_PATH:-}" ]]; then
    echo "browser suite: CHROMIUM_PATH=$chromium is not an executable" >&2
    exit 1
fi
if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "browser suite: installing Debian's chromium (apt-get install chromium)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium >/dev/null
    [[ -x "$chromium" ]] && exit 0
fi
echo "browser suite: $chromium not found. Install Chromium (Debian/Ubuntu: sudo apt-get install chromium)" \
    "or set CHROMIUM_PATH to a Chromium/Chrome binary." >&2
exit 1

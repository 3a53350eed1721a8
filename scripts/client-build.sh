#!/usr/bin/env bash
# Builds the web client (client/) when needed; `make client` and `make run` call it.
#
#   npm ci         only when package-lock.json (or package.json) changed since the last install
#                  (stamp: client/node_modules/.install-stamp, the lock's sha256)
#   npm run build  only when the sources, the config or the lock changed since the last build
#                  (stamp: client/dist/.build-stamp, a sha256 over those files)
#
# So a second `make run` starts as fast as the first one without a client. Without Node.js 20
# and npm it says how to get them and exits 0: the API is served without the web client.
# --keep-going (what `make run` uses): a failing install or build is reported, not fatal.
# CLIENT_DIR overrides the client folder (tests).
set -euo pipefail

keep_going=0
[[ "${1:-}" == "--keep-going" ]] && keep_going=1

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
client="${CLIENT_DIR:-$here/client}"
say() { echo "client: $*" >&2; }

if [[ ! -f "$client/package.json" ]]; then
    say "no $client/package.json: no web client to build"
    exit 0
fi

node_help() {
    say "$1"
    say "  The web client needs Node.js 20 (or newer) and npm. Get them from"
    say "  https://nodejs.org/en/download (or nvm: nvm install 20), or on Debian/Ubuntu:"
    say "  apt-get install nodejs npm. Then run: make client"
    say "  Meanwhile the API and GraphiQL are served as usual; / says the client is not built."
}
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    node_help "node and npm were not found on PATH: the web client is not built."
    exit 0
fi
node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [[ ! "$node_major" =~ ^[0-9]+$ ]] || (( node_major < 20 )); then
    node_help "Node.js $(node --version 2>/dev/null || echo '?') is too old: the web client is not built."
    exit 0
fi

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1   # Playwright's own browser download cannot work here
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

fail() {
    say "$1"
    if (( keep_going )); then
        say "continuing without a fresh web client (the API is served anyway)"
        exit 0
    fi
    exit 1
}

sha_of_files() {  # sha256 over the names and contents of the given files (sorted)
    (cd "$client" && LC_ALL=C sort -z | xargs -0 -r sha256sum) | sha256sum | cut -d' ' -f1
}

# -- install -------------------------------------------------------------------------------
lock="$client/package-lock.json"
[[ -f "$lock" ]] || fail "no $lock: commit the lock file (npm install once) so installs are reproducible"
install_stamp="$client/node_modules/.install-stamp"
want_install="$(printf '%s\0' package-lock.json package.json | sha_of_files)"
if [[ ! -f "$install_stamp" || "$(cat "$install_stamp")" != "$want_install" ]]; then
    say "installing dependencies (package-lock.json changed since the last install): npm ci"
    (cd "$client" && npm ci --no-audit --no-fund) || fail "npm ci failed"
    echo "$want_install" > "$install_stamp"
else
    say "dependencies up to date (package-lock.json unchanged)"
fi

# -- build ---------------------------------------------------------------------------------
build_inputs() {  # NUL-separated, relative to the client folder
    (
        cd "$client"
        for dir in src public; do
            [[ -d "$dir" ]] && find "$dir" -type f -print0
        done
        for pattern in index.html '*.json' '*.ts' '*.config.*'; do
            find . -maxdepth 1 -type f -name "$pattern" -printf '%P\0'
        done
    ) | LC_ALL=C sort -zu
}
build_stamp="$client/dist/.build-stamp"
want_build="$(build_inputs | sha_of_files)"
if [[ ! -f "$client/dist/index.html" || ! -f "$build_stamp" \
      || "$(cat "$build_stamp")" != "$want_build" ]]; then
    say "building (sources, config or lock changed since the last build): npm run build"
    (cd "$client" && npm run build) || fail "npm run build failed"
    [[ -f "$client/dist/index.html" ]] || fail "npm run build made no dist/index.html"
    echo "$want_build" > "$build_stamp"
    say "built: $client/dist"
else
    say "web client up to date ($client/dist)"
fi

#!/usr/bin/env bash
# The web client's suites, run by `make test`: unit tests (Vitest + Testing Library, including the
# check that the generated GraphQL types match schema.graphql), then the browser suite
# (Playwright in Debian's Chromium against the real embedded server, which it starts itself).
# Unlike `make run`, a missing Node.js is a failure here: a suite that cannot run is not a pass.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "client tests: Node.js 20+ and npm are required (see README); they were not found" >&2
    exit 1
fi

scripts/client-build.sh          # npm ci / build only when needed; fails on a broken build
scripts/ensure-chromium.sh

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
rc=0
echo "== client unit tests (vitest)"
(cd client && npx vitest run) || rc=1
echo "== browser suite (playwright, chromium)"
(cd client && npx playwright test) || rc=1
exit $rc

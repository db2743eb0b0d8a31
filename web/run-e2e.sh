#!/usr/bin/env bash
# Installs the dashboard's npm packages (npm ci), builds web/dist, runs the unit tests and then the
# browser suite in headless Chromium against $LIFELINE_BIN (`lifeline demo`), or against the mock
# server when LIFELINE_BIN is unset. Screenshots: tests/e2e/artifacts/. Exit status: non-zero on
# any failure; the last line is "N passed, N failed".
#   LIFELINE_BIN=build/debug/lifeline web/run-e2e.sh
set -uo pipefail
cd "$(dirname "$0")"

fail() {
  echo "run-e2e: $1" >&2
  echo "0 passed, 1 failed"
  exit 1
}

if [[ -n "${LIFELINE_BIN:-}" ]]; then
  # Resolve against the caller's directory before anything else moves us.
  [[ "$LIFELINE_BIN" = /* ]] || LIFELINE_BIN="$OLDPWD/$LIFELINE_BIN"
  [[ -x "$LIFELINE_BIN" ]] || fail "LIFELINE_BIN=$LIFELINE_BIN is not an executable file"
  export LIFELINE_BIN
fi
command -v node >/dev/null || fail "node is not installed"
[[ -x "${CHROMIUM:-/usr/bin/chromium}" ]] || fail "no Chromium at ${CHROMIUM:-/usr/bin/chromium} (scripts/install-deps installs Debian's chromium)"

if [[ "${E2E_SKIP_INSTALL:-}" != 1 ]]; then
  npm ci --no-audit --no-fund --loglevel=error || fail "npm ci failed"
fi
npm run --silent build >/dev/null || fail "npm run build failed (run it by hand to see why)"

# Unit tests first: a broken formatter or reducer explains a browser failure faster.
npx vitest run --reporter=dot || fail "unit tests (vitest) failed"

exec node e2e/run.mjs

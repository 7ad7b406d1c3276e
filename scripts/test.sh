#!/usr/bin/env bash
# The one test command (README, .ci/run): install what is missing, then run every test once.
# `--fast` (npm run test:fast): only the pure and time-skipping tiers, without type-check and lint, in under a minute.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [ "${1:-}" = --fast ]; then
  shift
  GPRECOVER_SKIP_BROWSER=1 bash scripts/setup.sh
  exec npx vitest run --config vitest.fast.config.mts "$@"
fi
bash scripts/setup.sh
npx tsc -p . --noEmit
npx eslint .
exec npx vitest run "$@"

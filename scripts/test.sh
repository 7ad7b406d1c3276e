#!/usr/bin/env bash
# The one test command (README, .ci/run): install what is missing, then run every test once.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
npx tsc -p . --noEmit
npx eslint .
exec npx vitest run "$@"

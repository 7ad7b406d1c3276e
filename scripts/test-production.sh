#!/usr/bin/env bash
# The production tier on its own (README, "Production topology"): installs and builds what is missing, Temporal's own
# server and Web UI server included (scripts/setup.sh), then runs test/production/ against that server.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
exec npx vitest run -c vitest.production.config.mts "$@"

#!/usr/bin/env bash
# The production tier (README, "Production topology"): installs what is missing (scripts/setup.sh), builds Temporal's
# own server, SQL tool and Web UI server from their Go modules when they are not built yet (minutes on a fresh clone),
# then runs test/production/ against that server.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
bash scripts/temporal-server.sh build
exec npx vitest run -c vitest.production.config.mts "$@"

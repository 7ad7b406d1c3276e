# Sourced by the scripts beside it. The versions of Temporal's own server and of its Web UI server that this tier
# builds from their Go modules; docker-compose.yml pins the same images (test/cluster/composeFile.test.ts checks they agree).
TEMPORAL_SERVER_VERSION=1.32.2
TEMPORAL_UI_VERSION=2.56.4

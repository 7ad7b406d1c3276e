# The gprecover worker (docker-compose.yml service `worker`). Runs the TypeScript sources through tsx, as bin/gprecover
# does everywhere else, so the image holds no build step that could drift from the code.
FROM node:20-bookworm-slim

# psql/pg_* client tools for local diagnostics, rsync and ssh for the copies the worker drives on segment hosts.
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client-15 rsync openssh-client ca-certificates \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error

COPY tsconfig.json ./
COPY bin ./bin
COPY client ./client
COPY cluster ./cluster
COPY domain ./domain
COPY activities ./activities
COPY workflows ./workflows
COPY worker ./worker
# `gprecover demo` is a command of the CLI (a tool beside the product: nothing of the worker imports it).
COPY demo ./demo

ENV NODE_ENV=production
# The worker's SSH client files are mounted at ~/.ssh of this user (see deploy/ssh/README.md).
USER node
CMD ["bin/gprecover", "worker"]

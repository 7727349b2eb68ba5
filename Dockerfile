# syntax=docker/dockerfile:1
# Commercial Loan Service image: one image, three commands.
#   API:        node dist/main.js            (default CMD)
#   worker:     node dist/worker.js          (WORKER_MODE=off on the API, workers apart)
#   migrations: node dist/cli/migrate.js     (once per release when MIGRATE_ON_START=false)
# Build:  docker build -t commercial-loan-service .

ARG NODE_IMAGE=node:24-bookworm-slim

# --- build: full dependency tree (TypeScript), compile src/ to dist/
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- runtime: production dependencies and the compiled code only, run as an unprivileged user
FROM ${NODE_IMAGE} AS runtime
# tini as PID 1 forwards SIGTERM to node (whose close-with-grace handler drains requests) and reaps zombies.
# The base image tag pins the Debian release; tini's version follows it (no per-package pin, DL3008).
# hadolint ignore=DL3008
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    APP_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/data \
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# Code and dependencies stay owned by root (read-only for the service); only DATA_DIR is writable.
COPY --from=build /app/dist ./dist
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8000
STOPSIGNAL SIGTERM
# The slim image has no curl: Node's own fetch probes liveness (dependencies are /health/ready's job).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/main.js"]

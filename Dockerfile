# The Spillway gateway image: compiled JavaScript (npm run build → dist/) on Node 24, production
# dependencies only, running as the unprivileged `node` user (uid 1000). deploy/README.md says how to
# build and run it.
#
#   docker build -t spillway:0.1.0 .
#   docker run -p 4000:4000 -v $PWD/spillway.yaml:/etc/spillway/spillway.yaml:ro spillway:0.1.0
#
# The same image runs the provider simulator: `docker run spillway:0.1.0 sim --host 0.0.0.0`.
ARG NODE_IMAGE=node:24-bookworm-slim

# Stage 1: install every dependency, compile src/ to dist/, then drop the development dependencies.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/copy-build-assets.ts scripts/source-stamp.js ./scripts/
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund --ignore-scripts

# Stage 2: what runs. No compiler, no sources, no development dependencies.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    SPILLWAY_CONFIG=/etc/spillway/spillway.yaml \
    SPILLWAY_HEALTH_URL=http://127.0.0.1:4000/health/live
WORKDIR /app
# Read at run time: package.json (the version), dist/ (the gateway and the dashboard's files) and
# examples/ (the world of `spillway up`). Owned by root, so the gateway cannot change its own code.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY examples ./examples
# The working directory holds the SQLite file (when no database.url is set) and the spend journal
# (.spillway/spool): mount a persistent volume here in production (docs/configuration.md, database).
RUN mkdir -p /var/lib/spillway /etc/spillway && chown node:node /var/lib/spillway
WORKDIR /var/lib/spillway
VOLUME ["/var/lib/spillway"]
USER node
EXPOSE 4000 9464
# Liveness of the process (not of its dependencies: /health/ready says that). SPILLWAY_HEALTH_URL
# follows a changed server.port.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.SPILLWAY_HEALTH_URL).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM stops accepting, finishes in-flight requests and streams (server.shutdown_grace_ms), exits 0.
STOPSIGNAL SIGTERM
# Node is PID 1 and handles SIGTERM/SIGINT itself. --max-semi-space-size=16: what bin/spillway.js
# sets for the long-running commands (docs/performance.md).
ENTRYPOINT ["node", "--max-semi-space-size=16", "/app/dist/cli/main.js"]
CMD ["serve"]

# One image for every ParkPulse process (broker, ingest, screen, sim); the command picks which.
FROM node:20-slim AS build
WORKDIR /app
# better-sqlite3 builds from source when no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-slim
WORKDIR /app
# MALLOC_MMAP_THRESHOLD_: glibc returns scrypt's 16 MiB blocks to the kernel instead of keeping one
# per thread-pool thread (bin/runtime-env.ts; docs/facts.md).
ENV NODE_ENV=production DATA_DIR=/data MALLOC_MMAP_THRESHOLD_=131072
COPY --from=build /app /app
# Mount points of the named volumes (docker-compose.yml), owned by the user the processes run as.
RUN mkdir -p /data /spool /queue /parks/dantu /nats-config && chown node:node /data /spool /queue /parks /parks/dantu /nats-config
USER node
VOLUME ["/data"]
# MQTT, MQTT/WebSocket, screen; MQTT/TLS and wss when a certificate is configured; health+metrics.
EXPOSE 1883 8083 8080 8883 8084 9101 9102
# The compiled services (npm run build: dist/), run by node itself: no TypeScript loader thread in
# the running process (~40 MB of RSS each), and SIGTERM reaches the CLI directly for its ordered
# shutdown.
ENTRYPOINT ["node", "dist/bin/parkpulse.js"]
CMD ["all"]

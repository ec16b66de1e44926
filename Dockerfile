# The bridge (`netmera-odoo serve`) with Debian's Chromium for inventory PDFs.
# Build: docker build -t netmera-odoo-bridge .   Run: see docker-compose.yml.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles its native module when no prebuilt binary fits.
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY bridge ./bridge
# npm ci runs the "prepare" script, which compiles bridge/src into bridge/dist.
RUN npm ci --no-audit --no-fund
# Keep only the runtime dependencies; the install scripts were already run by the full install,
# and rebuilding better-sqlite3 restores its native module after the prune.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm rebuild better-sqlite3

FROM node:20-bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium fonts-dejavu-core ca-certificates tini \
    && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    CHROMIUM_PATH=/usr/bin/chromium \
    NETMERA_ODOO_BRIDGE_HOST=0.0.0.0 \
    NETMERA_ODOO_BRIDGE_PORT=3100 \
    NETMERA_ODOO_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/bridge/dist ./bridge/dist
COPY --from=build /app/bridge/bin ./bridge/bin
COPY templates ./templates
# The image's unprivileged "node" user (uid 1000) runs the bridge and owns its data.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3100
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.NETMERA_ODOO_BRIDGE_PORT || 3100) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["tini", "--", "node", "--max-old-space-size=256", "bridge/bin/netmera-odoo.js"]
CMD ["serve"]

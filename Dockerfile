# Multi-stage image of the server (and proxyctl, and the example MCP echo server): build with dev dependencies, ship production
# dependencies and the built dist only, run as the unprivileged "node" user.
# No `# syntax=` line and no BuildKit-only feature: the classic builder (DOCKER_BUILDKIT=0) builds it,
# and nothing is resolved from an image registry.
#
# BASE_IMAGE: Debian bookworm with Node 24 LTS, npm and a "node" user (uid 1000). The default is
# the one `node scripts/build-images.mjs` builds locally, without any registry (docs/docker.md);
# where a registry is reachable, node:24-bookworm-slim works as well.
ARG BASE_IMAGE=mcp-https-proxy-base:24-bookworm

FROM ${BASE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# EXTRA_CA_CERTS: PEM certificates npm trusts while it downloads packages in the build stages, for
# a machine that reaches the npm registry through a TLS-inspecting proxy (scripts/build-images.mjs
# passes the host's CAs that the base image lacks). Only these stages declare it: it is never in
# the final image, its layers or its history.
ARG EXTRA_CA_CERTS=""
# --ignore-scripts: no package needs its install script here (they build optional native add-ons
# or send install telemetry).
RUN if [ -n "$EXTRA_CA_CERTS" ]; then printf '%s\n' "$EXTRA_CA_CERTS" > /tmp/extra-ca.pem; export NODE_EXTRA_CA_CERTS=/tmp/extra-ca.pem; fi \
 && npm ci --ignore-scripts --no-audit --no-fund \
 && rm -f /tmp/extra-ca.pem
COPY tsconfig.json nest-cli.json ./
COPY apps apps
COPY libs libs
RUN npx nest build server && npx nest build cli && npx nest build mcp-echo

FROM ${BASE_IMAGE} AS production-deps
WORKDIR /app
COPY package.json package-lock.json ./
ARG EXTRA_CA_CERTS=""
RUN if [ -n "$EXTRA_CA_CERTS" ]; then printf '%s\n' "$EXTRA_CA_CERTS" > /tmp/extra-ca.pem; export NODE_EXTRA_CA_CERTS=/tmp/extra-ca.pem; fi \
 && npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force \
 && rm -f /tmp/extra-ca.pem

FROM ${BASE_IMAGE}
ENV NODE_ENV=production \
    # In the container the admin listener must accept connections from outside the container's
    # loopback; docker-compose.yml publishes it on the host's 127.0.0.1:9000 only.
    API_BIND=0.0.0.0 \
    API_PORT=9000
WORKDIR /app
COPY --from=production-deps --chown=root:root /app/node_modules node_modules
COPY --from=build --chown=root:root /app/dist dist
COPY --chown=root:root package.json ./
RUN ln -s /app/dist/apps/cli/main.js /usr/local/bin/proxyctl && chmod 755 /app/dist/apps/cli/main.js
USER node
EXPOSE 80 443 9000
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.API_PORT||9000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# The flags of apps/server/node-flags.json (V8 flags cannot be set from inside the process).
CMD ["node", "--max-semi-space-size=64", "dist/apps/server/main.js"]

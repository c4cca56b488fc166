# peermon's container image: `docker build -t peermon .` (or `podman build`).
#
# Build arguments:
#   BASE  the Node.js image to build on (default: the official slim Node 22).
#         Where no registry is reachable, make one with deploy/podman/local-image.sh.
#   DEPS  where node_modules and dist/ come from:
#         install  (default) `npm ci` and `npm run build` inside the build, then only
#                  production dependencies are kept; what users build.
#         context  taken from the build context (an `npm install` and `npm run build`
#                  done beforehand on the host, same platform), then pruned to
#                  production dependencies; for builds that cannot reach the npm
#                  registry (the project's own CI).
#
# The image runs `peermon daemon` as the unprivileged user `node`. Every option is
# a PEERMON_* variable (`peermon daemon --help`). Ports: 4011/tcp libp2p (listen),
# 5011/tcp the HTTP API, dashboard and /metrics: on 127.0.0.1 inside the container
# unless PEERMON_API says otherwise (off loopback it needs PEERMON_API_TOKEN or
# PEERMON_API_TOKEN_FILE). docs/containers.md has the details.
ARG BASE=node:22-bookworm-slim
# No default here but ${DEPS:-install} below: podman 4.3 (buildah) does not find a
# stage named through an ARG's default value ("short-name deps-install did not resolve").
ARG DEPS

FROM ${BASE} AS deps-install
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY test ./test
COPY bench ./bench
COPY scripts ./scripts
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM ${BASE} AS deps-context
WORKDIR /app
COPY package.json package-lock.json ./
COPY node_modules ./node_modules
COPY bin ./bin
COPY dist/src ./dist/src
RUN npm prune --omit=dev --offline --no-audit --no-fund

FROM deps-${DEPS:-install} AS deps
# One instruction of its own, so this stage is not the same image as deps-<DEPS>:
# `podman build --layers=false` removes each stage's image once at the end and
# fails ("identifier is not an image") when two stages share one.
WORKDIR /app

FROM ${BASE}
WORKDIR /app
COPY --from=deps /app/package.json /app/package-lock.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=deps /app/bin ./bin
COPY --from=deps /app/dist/src ./dist/src
RUN ln -s /app/bin/peermon.js /usr/local/bin/peermon && mkdir -p /data && chown node:node /data
ENV NODE_ENV=production \
    PEERMON_LISTEN=/ip4/0.0.0.0/tcp/4011 \
    PEERMON_API=127.0.0.1:5011 \
    PEERMON_DATA_DIR=/data
USER node
EXPOSE 4011/tcp 5011/tcp
# `peermon health` asks the daemon's own /api/v0/health (PEERMON_API; no token
# needed, no curl in the image). Docker runs it; podman only with --format docker.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 CMD ["peermon", "health"]
# node is PID 1: it handles SIGTERM itself (a graceful leave, then exit 0); run
# with --init (Compose: init: true) if hooks start processes that outlive them.
ENTRYPOINT ["peermon"]
CMD ["daemon"]

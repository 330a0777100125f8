# The fishcloud service image: `serve` with any role (all, api, runner), `migrate`, `doctor`, every CLI command.
# Build from the repository root:   docker build -t fishcloud:$(node -p 'require("./package.json").version') .
# deploy/compose.yml builds and runs it (docs/operations.md). The GPU pods' image is another one: pod/Dockerfile.
#
# Node runs the TypeScript sources itself (type stripping, `node src/main.ts`): there is no compile step, so the
# runtime stage holds the sources, the production dependencies and the dashboard bundle the build stage made.

# --- build: every dependency, and the dashboard bundle (the root `prepare` script builds dashboard/dist) ---------
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY dashboard ./dashboard
COPY tsconfig.json ./
COPY src ./src
COPY services ./services
COPY layers ./layers
COPY migrations ./migrations
RUN npm ci && test -f dashboard/dist/index.html

# --- runtime: production dependencies only, no install scripts, a user without privileges -----------------------
FROM node:24-bookworm-slim AS runtime
# The V8 heap cap as `npm start` sets it (docs/operations.md, "Capacity and memory").
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-old-space-size=1024 \
    HOST=0.0.0.0 \
    PORT=8080 \
    FISHCLOUD_HOME=/var/lib/fishcloud
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY bin ./bin
COPY src ./src
COPY services ./services
COPY layers ./layers
COPY migrations ./migrations
COPY --from=build /app/dashboard/dist ./dashboard/dist
# `fishcloud` on PATH (`docker compose exec api fishcloud doctor`); FISHCLOUD_HOME owned by the `node` user (uid
# 1000) of the base image, who runs the service: the first-start token, the storage signing key, the runner port.
RUN ln -s /app/bin/fishcloud.mjs /usr/local/bin/fishcloud \
 && mkdir -p /var/lib/fishcloud \
 && chown node:node /var/lib/fishcloud
USER node
VOLUME ["/var/lib/fishcloud"]
EXPOSE 8080
# A container must listen on every interface (HOST=0.0.0.0 above); PUBLIC_URL says where pods and browsers reach
# it. Healthy = `GET /api/ready` answers 200 (database migrated, first start done, runner registered). A runner
# (`serve --role runner`) serves no HTTP: deploy/compose.yml turns this check off for runners.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.RUNNER_HEALTH_PORT || process.env.PORT || 8080}/api/ready`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM stops the service within SHUTDOWN_GRACE_SECONDS (8 s), under Docker's 10 s before it kills.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "src/main.ts"]
CMD ["serve"]

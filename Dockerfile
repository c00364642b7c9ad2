# The flag server, the harness and the race page in one image: the server by default, the
# others through docker-compose.yml's harness and race services.

# Build: every dependency, then tsc.
FROM node:22-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: prepare (tsc) needs the sources, copied after so that this layer is cached.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY server server
COPY harness harness
COPY scripts scripts
COPY bench bench
COPY flags flags
RUN npm run build

# Runtime: production dependencies, the compiled code and the flags; no compiler.
FROM node:22-slim
WORKDIR /app
# FLAGS_HOST: the published ports reach the container's interface, not its loopback (a
# command-line --host still wins).
ENV NODE_ENV=production \
    FLAGS_HOST=0.0.0.0
COPY package.json package-lock.json ./
# --ignore-scripts: prepare would run tsc, which --omit=dev leaves out.
# downloaded/ (--save) and out/ (--report) belong to node, who writes them; compose mounts the
# host's ./out over out/.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
    && npm cache clean --force \
    && mkdir downloaded out && chown node:node downloaded out
COPY --from=build /app/dist dist
COPY --from=build /app/flags flags
USER node
EXPOSE 8000 8001 8002
# Any of the book's three ports, or FLAGS_PORT: a one-site server listens on one of them.
# No curl in a slim image; Node 22's fetch does.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["node", "-e", "const ports = [process.env.FLAGS_PORT, 8000, 8001, 8002].filter(Boolean); Promise.any(ports.map(async port => { const r = await fetch('http://127.0.0.1:' + port + '/healthz'); if (!r.ok) throw new Error(r.status) })).then(() => process.exit(0), () => process.exit(1))"]
# node itself, as package.json's start:server runs it: no npm and no shell in between, so
# SIGTERM (docker stop) and SIGINT reach the server once, from the init or from docker.
# Through npm, a shell forwarded a second SIGINT, which quits at once without the report.
# Arguments after the image name go to the server: docker run IMAGE --latency 200ms.
ENTRYPOINT ["node", "--max-semi-space-size=64", "dist/server/main.js"]

# The flag server and the harness in one image: the server by default, the harness through
# docker-compose.yml's harness service. Both start with the same npm scripts as natively.

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
# NPM_CONFIG_SCRIPT_SHELL: npm runs a script as "SHELL -c CMD"; Debian's sh (dash) forks node
# and dies on the SIGTERM npm forwards, orphaning the server, while bash execs a lone command,
# so npm's SIGTERM reaches node itself and the server closes gracefully and exits 0.
# FLAGS_HOST: the published ports reach the container's interface, not its loopback (a
# command-line --host still wins).
ENV NODE_ENV=production \
    FLAGS_HOST=0.0.0.0 \
    NPM_CONFIG_SCRIPT_SHELL=/bin/bash \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false
COPY package.json package-lock.json ./
# --ignore-scripts: prepare would run tsc, which --omit=dev leaves out.
RUN npm ci --omit=dev --ignore-scripts --no-audit \
    && npm cache clean --force \
    && mkdir downloaded && chown node:node downloaded
COPY --from=build /app/dist dist
COPY --from=build /app/flags flags
USER node
EXPOSE 8000 8001 8002
# Any of the book's three ports, or FLAGS_PORT: a one-site server listens on one of them.
# No curl in a slim image; Node 22's fetch does.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["node", "-e", "const ports = [process.env.FLAGS_PORT, 8000, 8001, 8002].filter(Boolean); Promise.any(ports.map(async port => { const r = await fetch('http://127.0.0.1:' + port + '/healthz'); if (!r.ok) throw new Error(r.status) })).then(() => process.exit(0), () => process.exit(1))"]
# Arguments after the image name go to the server: docker run IMAGE --latency 200ms.
ENTRYPOINT ["npm", "run", "--silent", "start:server", "--"]

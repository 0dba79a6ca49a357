# corral as a container: `corral run` against the Docker hosts of its config (README: "corral as a container").
#
#   docker build -t corral .                                              # on the official Node.js 20 image
#   docker build --build-arg NODE_IMAGE=registry.example.com/node:20 -t corral .
#
# The build stage installs every dependency, type-checks the TypeScript and bundles the CLI
# (scripts/bundle.mjs), the next one installs the production dependencies alone; the image keeps
# only the bundle (dist/bundle), those node_modules, bin/corral and the bundled catalog. Only Dockerfile
# instructions every builder knows are used (no BuildKit mounts), so any Docker builds it.
ARG NODE_IMAGE=node:20

FROM ${NODE_IMAGE} AS build
# Root in the build stages, whatever user the base image names.
USER root
WORKDIR /app
# npm's cache, for builds that cannot reach the npm registry: empty in a checkout; fill it first
# with `npm ci --cache docker/npm-cache` where the registry is in reach (docker/npm-cache/README.md).
COPY docker/npm-cache/ /tmp/npm-cache/
COPY package.json package-lock.json ./
RUN npm ci --cache /tmp/npm-cache --prefer-offline --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/bundle.mjs ./scripts/bundle.mjs
COPY src ./src
RUN node_modules/.bin/tsc -p tsconfig.build.json --noEmit && node scripts/bundle.mjs && mkdir -p /state

# The production dependencies alone, installed afresh (pruning leaves dev tools' platform packages
# behind with some npm versions). No optional ones: corral needs none of them (ssh2 runs without
# its native speed-ups).
FROM build AS production-modules
WORKDIR /modules
RUN cp /app/package.json /app/package-lock.json ./ \
 && npm ci --omit=dev --omit=optional --cache /tmp/npm-cache --prefer-offline --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE}
# A user of its own; reaching a Docker socket needs the socket's group (docker run --group-add GID).
ARG CORRAL_UID=10001
ENV NODE_ENV=production \
    HOME=/var/lib/corral \
    CORRAL_HEALTH_URL=http://127.0.0.1:7480/healthz
WORKDIR /app
COPY --from=production-modules /modules/node_modules ./node_modules
COPY --from=build /app/dist/bundle ./dist/bundle
COPY package.json ./
COPY bin/corral ./bin/corral
COPY catalog ./catalog
COPY docker/healthcheck.mjs ./docker/healthcheck.mjs
# The working directory holds .corral-cache/ (clones of https repositories): the one place it writes.
COPY --from=build --chown=${CORRAL_UID}:${CORRAL_UID} /state /var/lib/corral
WORKDIR /var/lib/corral
USER ${CORRAL_UID}:${CORRAL_UID}
EXPOSE 7480
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 CMD ["node", "/app/docker/healthcheck.mjs"]
ENTRYPOINT ["node", "/app/bin/corral", "run"]
CMD ["--repo", "/repo", "--config", "/etc/corral/corral.yml", "--listen", "0.0.0.0:7480"]

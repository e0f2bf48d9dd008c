# The one image: `configspec operator` and the agent commands (verify, draft, profile) the operator's pods run.
# Multi-arch (linux/amd64, linux/arm64: edge boards are arm64):
#   docker buildx build --platform linux/amd64,linux/arm64 -t ghcr.io/configspec/configspec:0.1.0 --push .
# TypeScript compiles once on the build machine's platform (its output is platform-independent); production
# dependencies install on the target platform, so node-llama-cpp's prebuilt llama.cpp binaries match it.

FROM --platform=$BUILDPLATFORM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bench ./bench
RUN npx tsc -p tsconfig.build.json

FROM node:22-bookworm-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
# No downloads or source builds of llama.cpp at install: the platform's prebuilt binary package is a dependency.
ENV NODE_LLAMA_CPP_SKIP_DOWNLOAD=true
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:22-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=dependencies /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY crds ./crds
# Workloads run `configspec <command>` (src/planner/workloads.ts): put it on PATH.
RUN ln -s /app/bin/configspec.js /usr/local/bin/configspec && chmod 0755 /app/bin/configspec.js
# The non-root user the pods' security contexts name (src/planner/pod-template.ts RUN_AS_USER).
USER 65532:65532
ENTRYPOINT ["configspec"]
CMD ["--help"]

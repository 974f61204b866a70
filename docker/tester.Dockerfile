# The tester image, for loading from several hosts (docker/tester-segments-job.yaml). Build from the
# repository root:
#   docker build -t counters-tester -f docker/tester.Dockerfile .
FROM node:20-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --ignore-scripts && npm rebuild --nodedir=/usr/local
COPY binding.gyp tsconfig.json tsconfig.tester.json ./
COPY native native
COPY server server
COPY backends backends
COPY counters counters
COPY tester tester
# The tester and what it imports (tsconfig.tester.json), and the report page compiled apart.
RUN npm run build:native && npx tsc -p tsconfig.tester.json && npx tsc -p tester/report/page && npm prune --omit=dev

FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/build/Release build/Release
COPY --from=build /app/dist dist
USER node
ENTRYPOINT ["node", "dist/tester/main.js"]
CMD ["--help"]

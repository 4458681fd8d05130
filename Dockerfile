# Vigil daemon image, CPU only (Debian's FFmpeg, onnxruntime-node's CPU binaries). The GPU image is Dockerfile.cuda.
#   docker build -t vigil:cpu .
# Build arguments: NODE_IMAGE (the Node 20 base, default node:20-bookworm-slim).
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# .npmrc: ignore-scripts (no dependency downloads anything at install time).
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE}
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY src/api/dashboard ./src/api/dashboard
COPY config ./config
# Named volumes mounted here start with this ownership: the daemon (user node) can write models into them.
RUN mkdir -p /models && chown node:node /models
ENV NODE_ENV=production VIGIL_MODELS_DIR=/models
VOLUME ["/models"]
EXPOSE 8080
USER node
# Every process answers /readyz on its port, whatever its roles (VIGIL_PORT, default 8080).
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.VIGIL_PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "bin/vigil.js"]
CMD ["start"]

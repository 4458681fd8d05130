# Vigil daemon image. Debian's ffmpeg; onnxruntime-node CPU by default.
# GPU image: build with --build-arg ORT_INSTALL=cuda12 on a base that has the CUDA 12 runtime and cuDNN 9.
FROM node:20-bookworm-slim
ARG ORT_INSTALL=skip
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# .npmrc sets ignore-scripts: no dependency script runs; the CUDA provider is fetched by onnxruntime-node's script.
RUN npm ci && \
    if [ "$ORT_INSTALL" != "skip" ]; then ONNXRUNTIME_NODE_INSTALL=${ORT_INSTALL} node node_modules/onnxruntime-node/script/install.js; fi
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
COPY config ./config
RUN npm run build && npm prune --omit=dev
ENV NODE_ENV=production VIGIL_MODELS_DIR=/models
VOLUME ["/models"]
EXPOSE 8080
USER node
ENTRYPOINT ["node", "bin/vigil.js"]
CMD ["start"]

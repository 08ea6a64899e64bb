# mss-gateway: multi-stage build. The build stage compiles TypeScript and the native SQLite
# binding; the runtime stage holds only production dependencies and the compiled code, and
# runs as an unprivileged user with its data on a volume.

FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    MSS_HOST=0.0.0.0 \
    MSS_DATA_DIR=/var/lib/mssgw/data \
    MSS_CERT_DIR=/var/lib/mssgw/certs
RUN groupadd --system mssgw && useradd --system --gid mssgw --home-dir /var/lib/mssgw mssgw \
    && mkdir -p /var/lib/mssgw/data /var/lib/mssgw/certs && chown -R mssgw:mssgw /var/lib/mssgw
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY config ./config
# the webmail's static files (src/web/app.ts serves ../../public from dist/web/)
COPY public ./public
USER mssgw
VOLUME ["/var/lib/mssgw"]
# SMTP MX, submission, IMAP, IMAPS, HTTP (webmail, API, metrics)
EXPOSE 2525 2587 2143 2993 8080
HEALTHCHECK --interval=30s --timeout=5s CMD node -e "fetch('http://127.0.0.1:8080/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/main.js"]
CMD ["serve"]

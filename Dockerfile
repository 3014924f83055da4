# Bureau in a container: Node.js 24, the production dependencies, the source
# run directly (Node strips the TypeScript types). Data and certificates live
# in /var/lib/bureau, a volume.
FROM node:24-bookworm-slim

WORKDIR /opt/bureau
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY config ./config
COPY scripts ./scripts
COPY src ./src
COPY LICENSE README.md ./

ENV BUREAU_DATA_DIR=/var/lib/bureau/data \
    BUREAU_CERTS_DIR=/var/lib/bureau/certs \
    PATH=/opt/bureau/node_modules/.bin:$PATH
RUN mkdir -p /var/lib/bureau && ln -s /opt/bureau/scripts/bureau.mjs /usr/local/bin/bureau
VOLUME /var/lib/bureau
EXPOSE 25 80 143 443 465 587 993

# Node is PID 1 and handles SIGTERM itself: it stops accepting, lets open
# connections finish, closes the database and exits 0.
CMD ["node", "--disable-warning=ExperimentalWarning", "src/main.ts"]

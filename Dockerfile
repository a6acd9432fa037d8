# Build: install every dependency, compile TypeScript, then keep only the runtime dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No dependency install script is needed (see README.md, "npm install scripts").
RUN npm ci --ignore-scripts
# Everything .dockerignore lets through (no tests, no bench); tsconfig.build.json compiles the app and its scripts.
COPY . .
RUN npm run build && npm prune --omit=dev --ignore-scripts

# Runtime: compiled code, runtime dependencies, migrations and the presets catalog; runs as the unprivileged node user.
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY migrations ./migrations
COPY catalog ./catalog
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
EXPOSE 3000
# SIGTERM reaches node directly (exec form): the bot drains its workers before exiting.
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/main.js", "start"]

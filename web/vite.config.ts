// Build of the dashboard: `npm run build` writes web/dist, which `lifeline serve` serves as-is.
// `npm run dev` proxies /v1 to a running lifeline (or the e2e mock) on LIFELINE_URL.
import { defineConfig } from "vitest/config";

const target = process.env.LIFELINE_URL ?? "http://127.0.0.1:8080";

export default defineConfig({
  base: "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    // One small bundle: no framework, no chart library, no external fonts.
    assetsInlineLimit: 0,
  },
  server: {
    proxy: {
      "/v1": { target, changeOrigin: false },
      "/healthz": { target },
    },
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});

// Build of the dashboard: `npm run build` writes web/dist, which `lifeline serve` serves as-is.
// `npm run dev` proxies /v1 to a running lifeline (or the e2e mock) on LIFELINE_URL.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";

const target = process.env.LIFELINE_URL ?? "http://127.0.0.1:8080";

// Writes dist/sw.js from sw/sw.js with this build's files to keep (index.html as "/" and every
// hashed asset) and a version that changes with them, so a new build replaces the old cache.
function serviceWorker(): Plugin {
  return {
    name: "lifeline-service-worker",
    apply: "build",
    enforce: "post",
    generateBundle(_options, bundle) {
      const files = ["/", ...Object.keys(bundle).filter((f) => f !== "index.html" && f !== "sw.js").sort().map((f) => `/${f}`)];
      const version = createHash("sha256").update(files.join("\n")).digest("hex").slice(0, 12);
      const template = readFileSync(new URL("./sw/sw.js", import.meta.url), "utf8");
      const source = template.replace("__LIFELINE_SW_VERSION__", version).replace("__LIFELINE_SW_FILES__", JSON.stringify(files));
      this.emitFile({ type: "asset", fileName: "sw.js", source });
    },
  };
}

export default defineConfig({
  base: "/",
  plugins: [serviceWorker()],
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

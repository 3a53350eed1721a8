/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// `npm run dev` proxies the API (HTTP and the graphql-transport-ws socket) to a running `make run`,
// so the browser sees one origin exactly as in production.
const api = process.env.API_URL ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      "/graphql": { target: api, ws: true, changeOrigin: false },
      "/auth": { target: api },
    },
  },
  build: {
    outDir: "dist",
    sourcemap: true,
    // No inline scripts or styles: the page runs under a strict Content-Security-Policy.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}", "tooling/**/*.test.ts"],
    css: false,
  },
});

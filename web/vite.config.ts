/** The dashboard build: web/ -> dist/web, served by `dm serve` (src/server/static.ts). */
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const root = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root,
  base: "/",
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL("../dist/web", import.meta.url)),
    emptyOutDir: true,
    // no source maps in the package: the sources are in the repository
    sourcemap: false,
    chunkSizeWarningLimit: 400,
  },
  server: {
    // `npx vite --config web/vite.config.ts` next to `dm serve --port 8080`
    proxy: { "/api": "http://127.0.0.1:8080" },
  },
});

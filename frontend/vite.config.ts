import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The API (FastAPI) serves dist/ at "/" with an SPA fallback; in dev, /api is proxied to it.
export default defineConfig({
  base: "/",
  plugins: [react()],
  server: {
    port: 5173,
    proxy: {
      "/api": { target: "http://127.0.0.1:8000", changeOrigin: false },
    },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 800,
  },
});

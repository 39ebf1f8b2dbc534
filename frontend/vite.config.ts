import react from "@vitejs/plugin-react";
import { defineConfig, loadEnv } from "vite";

// The API (FastAPI) serves dist/ at "/" with an SPA fallback; in dev, /api is proxied to it.
// STUDIO_API_URL overrides where the dev server sends /api (default http://127.0.0.1:8000).
export default defineConfig(({ mode }) => {
  const env = loadEnv(mode, ".", "STUDIO_");
  return {
    base: "/",
    plugins: [react()],
    server: {
      port: 5173,
      proxy: {
        "/api": { target: env.STUDIO_API_URL ?? "http://127.0.0.1:8000" },
      },
    },
    build: {
      outDir: "dist",
      emptyOutDir: true,
      sourcemap: false,
      chunkSizeWarningLimit: 800,
    },
  };
});

import react from "@vitejs/plugin-react";
import { defineConfig, loadEnv } from "vite";

// The API (FastAPI) serves dist/ at "/" with an SPA fallback; in dev, /api is proxied to it.
// STUDIO_API_URL overrides where the dev server sends /api (default http://127.0.0.1:8000).
export default defineConfig(({ mode }) => {
  const env = loadEnv(mode, ".", "STUDIO_");
  const api = env.STUDIO_API_URL ?? "http://127.0.0.1:8000";
  return {
    base: "/",
    plugins: [react()],
    server: {
      port: 5173,
      proxy: {
        // The API refuses state-changing requests whose Origin is not its own host (CSRF), and answers only the Host
        // names it trusts: the proxied request says it comes from the API's own origin. The page and this dev
        // server are one origin, so the browser's own same-origin rules still hold.
        "/api": { target: api, changeOrigin: true, headers: { origin: new URL(api).origin } },
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

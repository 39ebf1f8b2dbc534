import { defineConfig } from "@hey-api/openapi-ts";

// One generated client for the whole app: `npm run generate-client` after the API changes
// (regenerate openapi.json first: python -m backend.openapi frontend/openapi.json).
export default defineConfig({
  input: "./openapi.json",
  output: { path: "./src/client" },
  plugins: ["@hey-api/client-fetch", "@hey-api/typescript", { name: "@hey-api/sdk" }],
});

/**
 * Builds the dashboard into `dashboard/dist` (`npm run build:dashboard`; `npm install` runs it as `prepare`), served by
 * fishcloud itself (`src/api/server/dashboard-routes.ts`). `npm run dev:dashboard` serves it with hot reload and
 * proxies the API to a running fishcloud (FISHCLOUD_URL, default http://127.0.0.1:8080).
 */
import react from "@vitejs/plugin-react"
import { defineConfig, loadEnv } from "vite"

export default defineConfig(({ mode }) => {
  const target = loadEnv(mode, ".", "FISHCLOUD_").FISHCLOUD_URL ?? "http://127.0.0.1:8080"
  return {
    plugins: [react()],
    base: "/",
    build: {
      outDir: "dist",
      emptyOutDir: true,
      assetsDir: "assets",
      chunkSizeWarningLimit: 2000,
      sourcemap: false
    },
    server: {
      proxy: {
        "/api": { target, changeOrigin: false },
        "/storage": { target, changeOrigin: false }
      }
    }
  }
})

import { defineConfig, type Plugin } from "vite";
import react from "@vitejs/plugin-react";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

// The Go module services/console embeds this directory; its .keep is committed so the
// module compiles before the first build, and the build puts it back after emptying.
const outDir = fileURLToPath(new URL("../../services/console/dist", import.meta.url));

function keepFile(): Plugin {
  return {
    name: "gaoxing-keep",
    closeBundle() {
      writeFileSync(
        path.join(outDir, ".keep"),
        "The console's built assets land here (make web); they are not committed. This file keeps\n" +
          'the directory, so the Go module builds from a fresh clone and serves a "not built" page.\n',
      );
    },
  };
}

export default defineConfig({
  plugins: [react(), keepFile()],
  build: {
    outDir,
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 1500,
    // No manual chunks: the bundler splits by the lazy page imports, so the first page
    // loads only the Ant Design components the frame and that page use.
  },
  server: {
    // `npm run dev` against `make run` on the default port.
    proxy: { "/api": "http://127.0.0.1:8080", "/config.json": "http://127.0.0.1:8080" },
  },
});

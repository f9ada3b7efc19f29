// Prints the gzipped size of the JavaScript the browser loads before any page: the entry
// script of index.html and the modules it preloads. Pages load their own chunks on top
// (the browser test measures the queue page's whole first load).
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import path from "node:path";

const dist = fileURLToPath(new URL("../../../services/console/dist/", import.meta.url));
const html = readFileSync(path.join(dist, "index.html"), "utf8");
const files = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]);
let raw = 0;
let gz = 0;
for (const f of files) {
  const b = readFileSync(path.join(dist, f));
  raw += b.length;
  gz += gzipSync(b, { level: 9 }).length;
  console.log(`${f}\t${(b.length / 1024).toFixed(1)} KB\tgzip ${(gzipSync(b, { level: 9 }).length / 1024).toFixed(1)} KB`);
}
console.log(`initial JavaScript: ${(raw / 1024).toFixed(1)} KB, ${(gz / 1024).toFixed(1)} KB gzipped (limit 400 KB)`);
if (gz > 400 * 1024) process.exit(1);

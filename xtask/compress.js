// Writes a Brotli (`.br`, quality 11) and a gzip (`.gz`, made by Zopfli) copy beside every text
// file of the built app, once per build, for the server to send to browsers that accept them; and
// prints what the app shell weighs raw, gzipped and in Brotli: the page, the service worker and
// the files it keeps for offline use (its PRECACHE list), which is what a tablet downloads.
//
//   node xtask/compress.js dist
//
// Called by `cargo xtask build-app` after the service worker's precache list is written (the
// list names the plain files only). Node's zlib is used because node is already needed to
// build the app (wasm-opt comes from npm), and the xtask itself stays free of dependencies.
//
// The gzip copies come from Zopfli (npm `@gfx/zopfli`, built to WebAssembly): the same gzip
// format every browser reads, about 5% smaller than zlib's level 9 (on the app's wasm: 336.1
// against 353.3 KB), for about 3 s more per build. The server sends these copies as they are.
"use strict";
const fs = require("fs");
const path = require("path");
const zlib = require("zlib");
const zopfli = require("@gfx/zopfli");

// Files worth compressing; images and fonts are compressed already.
const TEXT = new Set([".wasm", ".js", ".css", ".html", ".json", ".svg", ".txt", ".webmanifest"]);
// Below this a compressed copy saves less than its header costs.
const MIN_BYTES = 512;

function files(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".")) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...files(full));
    else if (TEXT.has(path.extname(entry.name))) out.push(full);
  }
  return out;
}

const dist = process.argv[2];
if (!dist) {
  console.error("usage: node xtask/compress.js <dist folder>");
  process.exit(2);
}
// Zopfli's iterations: past 15 the wasm shrinks by under 0.1 KB more, for much longer.
const ZOPFLI = { numiterations: 15 };

// The files of the app shell, as paths relative to `dist`.
function shellFiles() {
  const sw = fs.readFileSync(path.join(dist, "sw.js"), "utf8");
  const line = sw.split("\n").find((l) => l.startsWith("const PRECACHE = "));
  if (!line) throw new Error("sw.js: no PRECACHE line");
  const precached = JSON.parse(line.slice("const PRECACHE = ".length).replace(/;\s*$/, ""));
  return new Set(["index.html", "sw.js", ...precached.map((url) => url.replace(/^\//, ""))]);
}

async function main() {
  // A failure anywhere, even a promise that never settles, leaves the build failed.
  process.exitCode = 1;
  const inShell = shellFiles();
  let raw = 0;
  let gzip = 0;
  let brotli = 0;
  const shell = [];
  for (const file of files(dist).sort()) {
    const body = fs.readFileSync(file);
    const gz = Buffer.from(await zopfli.gzipAsync(body, ZOPFLI));
    const br = zlib.brotliCompressSync(body, {
      params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length,
      },
    });
    if (body.length >= MIN_BYTES) {
      fs.writeFileSync(`${file}.gz`, gz);
      fs.writeFileSync(`${file}.br`, br);
    }
    const name = path.relative(dist, file);
    if (!inShell.has(name)) continue;
    raw += body.length;
    gzip += gz.length;
    brotli += br.length;
    shell.push(`${name} ${(gz.length / 1024).toFixed(1)}`);
  }
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  console.error(`xtask: app shell (${shell.length} files): ${kb(raw)} raw, ${kb(gzip)} gzip, ${kb(brotli)} brotli`);
  console.error(`xtask: gzip KB by file: ${shell.join(", ")}`);
  process.exitCode = 0;
}

main().catch((e) => {
  console.error(`xtask: compress: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});

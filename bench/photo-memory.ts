// `bun run bench:photos`: the memory a product photo takes on its way through the Worker's photo
// pipeline (decode, downscale to each kept size, WebP encode: src/product-images/sizes.ts, the same
// code and jSquash WebAssembly modules), which has to fit a Worker isolate's 128 MB beside everything
// else the isolate holds. workerd sets no memory limit locally and reports none, so this runs the
// pipeline in Node (the same V8 and WebAssembly engine family), one photo per fresh process, and
// reads the process's resident high-water mark (VmHWM, Linux) before and after: physical memory
// touched, garbage not yet collected included, so an upper bound of what the isolate would hold.
//
// Each photo is made at the pixel cap (MAX_IMAGE_PIXELS, 4:3) in every format the API takes, JPEG
// both baseline (what cameras write) and progressive (what costs its decoder most); then the worst
// sequence for one isolate: a PNG first (its decoder keeps its memory for the isolate's life), then a
// progressive JPEG.
//
//   bun run bench:photos [--reps 3] [--megapixels 5]
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { registerHooks } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { median } from "./load.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const FORMATS = ["jpeg-baseline", "jpeg-progressive", "png", "webp"] as const;
type Format = (typeof FORMATS)[number];

/** Lets Node load the Worker's modules as wrangler bundles them: extensionless paths, .wasm as compiled modules. */
function loadLikeWrangler() {
  registerHooks({
    resolve(specifier, context, next) {
      const bare = specifier.replace(/\?module$/, "");
      for (const suffix of ["", ".ts", ".js"]) {
        try {
          return next(bare + suffix, context);
        } catch {}
      }
      return next(bare, context);
    },
    load(url, context, next) {
      if (!url.endsWith(".wasm")) return next(url, context);
      const source = `import { readFileSync } from "node:fs";
        export default new WebAssembly.Module(readFileSync(new URL(${JSON.stringify(url)})));`;
      return { format: "module", source, shortCircuit: true };
    },
  });
}

const rssPeakMb = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1]) / 1024;

/** Writes a width × height picture (a gradient with noise, so it compresses like a photo) in `format`. */
async function make(format: Format, width: number, height: number, file: string) {
  const data = new Uint8ClampedArray(width * height * 4);
  let seed = 7;
  for (let i = 0, p = 0; p < width * height; p++, i += 4) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    data[i] = ((p % width) * 255) / width + (seed & 15);
    data[i + 1] = (Math.floor(p / width) * 255) / height + ((seed >> 4) & 15);
    data[i + 2] = 96 + ((seed >> 8) & 63);
    data[i + 3] = 255;
  }
  const image = { data, width, height, colorSpace: "srgb" } as ImageData;
  const wasm = (p: string) => new WebAssembly.Module(readFileSync(path.join(ROOT, "node_modules", p)));
  let bytes: ArrayBuffer;
  if (format === "png") {
    const png = await import("@jsquash/png/encode.js");
    await png.init(wasm("@jsquash/png/codec/pkg/squoosh_png_bg.wasm"));
    bytes = await png.default(image);
  } else if (format === "webp") {
    const webp = await import("@jsquash/webp/encode.js");
    await webp.init(wasm("@jsquash/webp/codec/enc/webp_enc_simd.wasm"));
    bytes = await webp.default(image, { quality: 80 });
  } else {
    const jpeg = await import("@jsquash/jpeg/encode.js");
    await jpeg.init(wasm("@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm"));
    const baseline = format === "jpeg-baseline";
    bytes = await jpeg.default(image, { quality: 85, progressive: !baseline, baseline });
  }
  writeFileSync(file, new Uint8Array(bytes));
}

/** Runs each photo through the pipeline in this process; prints the high-water growth of each, in MB. */
async function measure(files: string[]) {
  loadLikeWrangler();
  const { webpSizes } = await import(pathToFileURL(path.join(ROOT, "src/product-images/sizes.ts")).href);
  const { sniffImage } = await import(pathToFileURL(path.join(ROOT, "src/domain/image-type.ts")).href);
  const growth: number[] = [];
  for (const file of files) {
    // As an isolate collects between requests: the next photo may reuse what the last one freed.
    globalThis.gc?.();
    const bytes = new Uint8Array(readFileSync(file));
    const before = rssPeakMb();
    const photo = await webpSizes(sniffImage(bytes), bytes);
    if (!photo) throw new Error(`${file} did not decode`);
    growth.push(rssPeakMb() - before);
  }
  process.stdout.write(JSON.stringify(growth));
}

function child(...args: string[]): string {
  return execFileSync(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url), ...args], { encoding: "utf8" });
}

async function main() {
  const [mode, ...rest] = process.argv.slice(2);
  if (mode === "make") return make(rest[0] as Format, Number(rest[1]), Number(rest[2]), rest[3]!);
  if (mode === "measure") return measure(rest);

  const { values } = parseArgs({
    options: { reps: { type: "string", default: "3" }, megapixels: { type: "string" } },
  });
  if (os.platform() !== "linux") throw new Error(`reads /proc/self/status, Linux only (this is ${os.platform()})`);
  const loadLikeWranglerOnce = () => loadLikeWrangler();
  loadLikeWranglerOnce();
  const { MAX_IMAGE_PIXELS } = await import(pathToFileURL(path.join(ROOT, "src/contracts/product-imports.ts")).href);
  const pixels = values.megapixels ? Number(values.megapixels) * 1_000_000 : (MAX_IMAGE_PIXELS as number);
  const width = Math.floor(Math.sqrt((pixels * 4) / 3));
  const height = Math.floor((width * 3) / 4);
  const reps = Number(values.reps);
  const dir = mkdtempSync(path.join(os.tmpdir(), "photo-memory-"));
  const file = (format: Format) => path.join(dir, `${format}.${format.split("-")[0]}`);
  for (const format of FORMATS) child("make", format, String(width), String(height), file(format));

  const cpus = os.cpus();
  console.log("photo pipeline memory (src/product-images/sizes.ts in Node, growth of the resident high-water mark)");
  console.log(`  machine  ${cpus[0]?.model ?? "unknown CPU"} x${cpus.length}, Node ${process.version}`);
  console.log(
    `  photo    ${width} × ${height} (${((width * height) / 1e6).toFixed(1)} MP; the cap is ${MAX_IMAGE_PIXELS / 1e6} MP), ${reps} fresh processes each`,
  );
  const row = (label: string, runs: number[]) =>
    console.log(
      `  ${label.padEnd(34)} median ${median(runs).toFixed(0).padStart(4)} MB  (${Math.min(...runs).toFixed(0)}-${Math.max(...runs).toFixed(0)})`,
    );
  for (const format of FORMATS) {
    const kb = readFileSync(file(format)).length / 1024;
    const runs = Array.from({ length: reps }, () => (JSON.parse(child("measure", file(format))) as number[])[0]!);
    row(`${format} (${kb.toFixed(0)} KB)`, runs);
  }
  const both = Array.from({ length: reps }, () =>
    (JSON.parse(child("measure", file("png"), file("jpeg-progressive"))) as number[]).reduce((a, b) => a + b, 0),
  );
  row("png, then jpeg-progressive", both);
}

await main();

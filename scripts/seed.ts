// `bun run seed [baseUrl]`: against an already running server (default the dev server), seeds the
// demo marketplace if it is empty, creates fresh demo tokens, prints them and writes demo.json.
import { ensureDevVars, log } from "./lib/local-env.ts";
import { prepareDemo } from "./lib/session.ts";

const baseUrl = (process.argv[2] ?? process.env.OMS_URL ?? `http://127.0.0.1:${process.env.PORT ?? 8787}`).replace(
  /\/$/,
  "",
);
const vars = ensureDevVars();
try {
  await prepareDemo(baseUrl, vars.ADMIN_BOOTSTRAP_TOKEN!);
} catch (err) {
  log(`seed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}

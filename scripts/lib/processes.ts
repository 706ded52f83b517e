import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";

// wrangler dev logs one line per request (the seed alone sends several hundred) and repeats its
// bindings table on every reload. Only failed requests (5xx), the first bindings table and
// everything else the server says pass through.
const ROUTINE_REQUEST =
  /^\s*(?:\S*\[wrangler:info\]\S*\s+)?(?:GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)\s+\S+\s+[1-4]\d\d\b/;
const BINDINGS_HEADER = /^Your Worker has access to the following bindings:/;
// Misleading here: the dev script drives the Cron Triggers itself.
const CRON_WARNING = /Scheduled Workers are not automatically triggered/;
const NOISE = /^\s*⎔ Connection status updated\s*$/;

export function pipeFiltered(from: Readable | null, to: Writable) {
  if (!from) return;
  let bindingsShown = false;
  let skipping: "bindings" | "indented" | null = null;
  const lines = createInterface({ input: from, crlfDelay: Number.POSITIVE_INFINITY });
  lines.on("line", (line) => {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes before matching
    const plain = line.replace(/\u001b\[[0-9;]*m/g, "");
    if (skipping === "bindings") {
      if (plain.trim() === "") skipping = null;
      return;
    }
    if (skipping === "indented") {
      if (plain.trim() === "" || /^\s/.test(plain)) return;
      skipping = null;
    }
    if (BINDINGS_HEADER.test(plain)) {
      if (bindingsShown) {
        skipping = "bindings";
        return;
      }
      bindingsShown = true;
    }
    if (CRON_WARNING.test(plain)) {
      skipping = "indented";
      return;
    }
    if (ROUTINE_REQUEST.test(plain) || NOISE.test(plain)) return;
    to.write(`${line}\n`);
  });
}

/** SIGTERM to the child's whole process group; SIGKILL for whatever is left after `graceMs`. */
export async function stopGroup(child: ChildProcess, graceMs = 5_000) {
  const pid = child.pid;
  if (!pid) return;
  const signal = (sig: NodeJS.Signals | 0) => {
    try {
      process.kill(-pid, sig);
      return true;
    } catch {
      return false; // no process left in the group
    }
  };
  if (!signal("SIGTERM")) return;
  const deadline = Date.now() + graceMs;
  // The group may outlive its leader (workerd), so wait for the group, not only the child.
  while (signal(0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (signal("SIGKILL")) await new Promise((r) => setTimeout(r, 200));
}

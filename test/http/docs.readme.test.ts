import { createExecutionContext, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import readme from "../../README.md?raw";
import productionWorker from "../../src/index";

type Row = { route: string; roles: string; what: string };

const ROLE_ORDER = ["admin", "ops", "vendor", "customer", "public"];
/** Roles as the README writes them, in one order. */
const inOrder = (roles: string[]) =>
  [...roles].sort((a, b) => ROLE_ORDER.indexOf(a) - ROLE_ORDER.indexOf(b)).join(", ");

/** The production entry's operations as its /v1/openapi.json publishes them, as README rows. */
async function published(): Promise<Row[]> {
  const res = await productionWorker.fetch(
    new Request("https://oms.test/v1/openapi.json"),
    env,
    createExecutionContext(),
  );
  const doc = (await res.json()) as {
    paths: Record<string, Record<string, { "x-roles": string[]; summary?: string }>>;
  };
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => ["get", "put", "post", "delete", "patch"].includes(method))
      .map(([method, op]) => ({
        route: `${method.toUpperCase()} /v1${path}`,
        roles: inOrder(op["x-roles"]),
        what: op.summary ?? "",
      })),
  );
}

/** The rows of the README's "Routes" table. */
function documented(): Row[] {
  const section = readme.slice(readme.indexOf("### Routes"), readme.indexOf("### Development routes"));
  return [...section.matchAll(/^\| (GET|PUT|POST|DELETE|PATCH) \| `([^`]+)` \| ([^|]+) \| (.+) \|$/gm)].map((m) => ({
    route: `${m[1]} ${m[2]}`,
    roles: inOrder(m[3]!.split(",").map((r) => r.trim())),
    what: m[4]!.trim(),
  }));
}

describe("the README's route table", () => {
  it("lists every production route once, with the roles its OpenAPI document gives", async () => {
    const api = await published();
    const rows = documented();
    const byRoute = new Map(rows.map((r) => [r.route, r]));
    expect(rows.length, "each route once").toBe(byRoute.size);
    const missing = api
      .filter((op) => !byRoute.has(op.route))
      .map((op) => `| ${op.route.replace(" ", " | `")}\` | ${op.roles} | ${op.what} |`);
    expect(missing, "routes the README does not list").toEqual([]);
    const known = new Set(api.map((op) => op.route));
    expect(
      rows.filter((r) => !known.has(r.route)).map((r) => r.route),
      "rows of no route",
    ).toEqual([]);
    const wrongRoles = api
      .filter((op) => byRoute.get(op.route)!.roles !== op.roles)
      .map((op) => `${op.route}: ${op.roles}`);
    expect(wrongRoles, "roles the README gets wrong").toEqual([]);
  });
});

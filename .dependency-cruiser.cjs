// The layer rules of ARCHITECTURE.md ("Layers") and each folder's README, checked by `bun run lint`.
// A use case is any folder of src/ that is not one of the named layers.
const LAYERS = "contracts|domain|platform|db|gateways|http|jobs|dev";
const USE_CASE = `^src/(?!(${LAYERS})/)[^/]+/`;
const OURS = "^(src|durable-objects)/";

/** `from` may import nothing of ours but the folders in `allowed` (path prefixes). */
const onlyFrom = (name, from, allowed, comment) => ({
  name,
  comment,
  severity: "error",
  from: { path: from },
  to: { path: OURS, pathNot: allowed },
});

module.exports = {
  forbidden: [
    {
      name: "no-cycles",
      comment: "Import cycles, type-only imports included, hide which module a change really reaches.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    onlyFrom("contracts", "^src/contracts/", ["^src/contracts/"], "Wire schemas import nothing of ours."),
    onlyFrom("domain", "^src/domain/", ["^src/(domain|contracts)/"], "Domain rules import only contracts."),
    {
      name: "domain-is-pure",
      comment: "Domain rules run anywhere: no HTTP framework, no runtime modules, no database, no SDK.",
      severity: "error",
      from: { path: "^src/(domain|contracts)/" },
      to: { path: "^(cloudflare:|node_modules/(hono|drizzle-orm|stripe)/)" },
    },
    onlyFrom("platform", "^src/platform/", ["^src/(platform|domain|contracts)/"], "Env and runtime glue."),
    onlyFrom("db", "^src/db/", ["^src/(db|platform|domain|contracts)/"], "The database layer calls nothing above it."),
    {
      name: "schema-only-in-db",
      comment: "src/db is the only owner of the drizzle schema: everything else goes through its repositories.",
      severity: "error",
      from: { path: OURS, pathNot: "^src/(db|dev)/" },
      to: { path: "^src/db/schema\\.ts$" },
    },
    onlyFrom(
      "gateways",
      "^src/gateways/",
      ["^src/(gateways|db|platform|domain|contracts)/", "^durable-objects/[^/]+\\.ts$"],
      "Gateways hold object stubs and provider SDKs; they call no use case.",
    ),
    onlyFrom(
      "use-cases",
      USE_CASE,
      [USE_CASE, "^src/(gateways|db|platform|domain|contracts)/"],
      "Use cases orchestrate domain, db and gateways; never HTTP, jobs or objects directly.",
    ),
    onlyFrom(
      "http",
      "^src/http/",
      [USE_CASE, "^src/(http|jobs|db|platform|domain|contracts)/"],
      "Routes call use cases and read models in db; never stubs (gateways) and never the schema.",
    ),
    onlyFrom(
      "jobs",
      "^src/jobs/",
      [USE_CASE, "^src/(jobs|gateways|db|platform|domain|contracts)/"],
      "Scheduled jobs and queue consumers call use cases.",
    ),
    onlyFrom(
      "durable-objects",
      "^durable-objects/(?!outward/)",
      ["^durable-objects/", "^src/(platform|domain|contracts)/"],
      "Objects hold their own state; each outward call goes through one named module in durable-objects/outward.",
    ),
    onlyFrom(
      "durable-objects-outward",
      "^durable-objects/outward/",
      ["^durable-objects/", "^src/(db|platform|domain|contracts)/"],
      "An object's few outward calls: D1 through src/db, other objects through their own bindings.",
    ),
    {
      name: "production-has-no-dev",
      comment:
        "Benchmark routes, the payment simulator's route and the moved clock are mounted only by src/dev/index.ts.",
      severity: "error",
      from: { path: OURS, pathNot: "^src/dev/" },
      to: { path: "^src/dev/" },
    },
    {
      name: "sdks-only-in-gateways",
      comment: "Provider SDKs are held by gateways alone.",
      severity: "error",
      from: { path: OURS, pathNot: "^src/gateways/" },
      to: { path: "^node_modules/stripe/" },
    },
    {
      name: "objects-only-through-gateways",
      comment: "Durable Object classes are reached through gateways; the entries export them.",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/(gateways|dev)/|^src/index\\.ts$" },
      to: { path: "^durable-objects/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    // Type-only imports count: a cycle through types still ties the modules together.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".tsx", ".js", ".mjs"] },
    exclude: { path: "node_modules" },
  },
};

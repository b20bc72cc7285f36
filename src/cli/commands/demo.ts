import path from "node:path";
import { SAMPLE_ADVISORIES } from "../../core/sample/advisories.js";
import { DEMO_SIZE, generateOrg, type OrgSize, sizeForEntities } from "../../core/sample/generate-org.js";
import { sampleDirectory, sampleServiceSources, type ServiceSource } from "../../core/sample/services.js";
import { runSync, type SyncSummary } from "../../core/ingest/sync.js";
import { builtinQuestions } from "../../core/questions/questions.js";
import { builtinPack } from "../../core/rules/config.js";
import { explainEntity } from "../../core/rules/explain.js";
import { runRules } from "../../core/rules/run.js";
import type { Integration } from "../../integrations/types.js";
import type { GraphStore } from "../../store/types.js";
import { z } from "zod";
import { defaultVulnsConfig } from "../../core/vulns/config.js";
import { AdvisoryDb } from "../../core/vulns/db.js";
import { Matcher } from "../../core/vulns/match.js";
import { scanGraph } from "../../core/vulns/scan-graph.js";
import { runQuery } from "../../query/run.js";
import { dataDir } from "../../shared/config.js";
import { CheckFailedError, InputError } from "../../shared/errors.js";
import { type CommandContext, withStore } from "../context.js";
import { renderTable } from "../output.js";
import { checkCommand } from "./check.js";
import { printResult } from "./query.js";
import { printExplanation, printRun } from "./rules.js";
import { plural, reportCommand, shellArg } from "./report.js";
import { statsCommand } from "./stats.js";
import type { DemoFlags } from "./demo.command.js";

export type DemoOptions = DemoFlags;

/** Graph questions the demo asks after the maintenance views, in J1QL. */
export const DEMO_QUERIES: readonly { title: string; query: string }[] = [
  {
    title: "Overdue maintenance, oldest first",
    query:
      "Find deferred_maintenance with closed=false and dueDate < date.now as m that HAS CodeRepo as r " +
      "return r.name as repo, m.shortDescription as item, m.dueDate as dueDate, m.owner as owner ORDER BY m.dueDate ASC LIMIT 5",
  },
  {
    title: "Teams owning the most repos with maintenance overdue by more than a week",
    query:
      "Find Team as t that OWNS CodeRepo as r that HAS deferred_maintenance with closed=false and dueDate < date.now - 7 days " +
      "return t.name as team, count(r) as repos ORDER BY repos DESC LIMIT 5",
  },
];

/**
 * One question per service the demo syncs: the built-in question (from
 * src/core/questions/builtin.ts, which says where each is from: JupiterOne's
 * managed question for that integration where JupiterOne publishes one, else
 * one in their style), by id; Bitbucket's is the managed question with its
 * placeholder project filled in, which a built-in cannot carry.
 */
export const SERVICE_QUESTIONS: readonly ({ integration: string } & ({ ask: string } | { title: string; query: string }))[] = [
  { integration: "GitHub", ask: "integration-question-github-repos-without-branch-protection" },
  { integration: "GitLab", ask: "dm-gitlab-projects-added-last-24-hours" },
  {
    // JupiterOne's managed "What are the code repos for a particular application or project?", for the sample's project
    integration: "Bitbucket",
    title: "What are the code repos for a particular application or project?",
    query: "Find CodeRepo that relates to (Application|Project) with name='Payments'",
  },
  { integration: "PagerDuty", ask: "dm-pagerduty-unmonitored-services" },
  { integration: "HashiCorp Vault", ask: "integration-question-hashicorp-vault-engine-without-secrets" },
  { integration: "Kubernetes", ask: "dm-kubernetes-privileged-containers" },
];

/** The title and the (first) query of a service question. */
export function serviceQuestion(q: (typeof SERVICE_QUESTIONS)[number]): { title: string; query: string; command: (flag: string) => string } {
  if (!("ask" in q)) return { title: q.title, query: q.query, command: (flag) => `dm query ${flag} "${q.query}"` };
  const builtin = builtinQuestions().find((b) => b.id === q.ask);
  if (!builtin) throw new Error(`unreachable: no built-in question ${q.ask}`);
  return { title: builtin.title, query: builtin.queries[0]!.query, command: (flag) => `dm ask ${q.ask} ${flag}` };
}

/** One person across sources: the accounts the people step joined (issue 14's two queries). */
export const PEOPLE_QUERIES: readonly { title: string; query: string }[] = [
  {
    title: "People on call in PagerDuty (this week or next), one Person with their other accounts",
    query: "Find Person that IS pagerduty_user that ASSIGNED pagerduty_schedule",
  },
  {
    // the sample organisation's people records are Users as well (type person): they come after the services' accounts
    title: "Accounts of people who are not in the LDAP directory",
    query: "Find User that IS Person that !IS ldap_user RETURN User._type, User.displayName ORDER BY User._type, User.displayName LIMIT 5",
  },
];

/**
 * A stand-in for an integration that yields its canned answers, already
 * mapped by the integration's own code (src/core/sample/services.ts), so the
 * demo runs the real sync: the run is recorded (`dm sources`) and the people
 * step joins the accounts.
 */
function cannedIntegration(source: ServiceSource): Integration<Record<string, never>> {
  return {
    id: source.integration,
    description: `the demo's sample of ${source.integration}`,
    configSchema: z.object({}).strict() as z.ZodType<Record<string, never>>,
    instanceName: () => source.instance,
    async *sync() {
      yield source.batch;
    },
  };
}

async function syncServices(ctx: CommandContext, store: GraphStore, size: typeof DEMO_SIZE, now: number): Promise<SyncSummary[]> {
  const summaries: SyncSummary[] = [];
  const sources = sampleServiceSources(now, sampleDirectory(now, size));
  for (const [i, source] of sources.entries()) {
    // reconcile: false — the sample's campaigns were written for the sample organisation, not these services;
    // people joined once, after the last
    const last = i === sources.length - 1;
    summaries.push(await runSync(store, cannedIntegration(source), {}, { now, cwd: ctx.cwd, actor: ctx.actor(), reconcile: false, people: last }));
  }
  return summaries;
}

/**
 * The repos with the most overdue findings: the demo shows a report and a CI
 * gate for the worst one that deploys a host with overdue maintenance (so the
 * report shows a "via" finding), else the worst one.
 */
const WORST_REPO_QUERY =
  "Find CodeRepo as r that HAS deferred_maintenance with closed=false and dueDate < date.now as m " +
  "return r.name as name, count(m) as overdue ORDER BY overdue DESC LIMIT 200";
const DEPLOYING_REPO_QUERY =
  "Find CodeRepo as r that DEPLOYED Host that HAS deferred_maintenance with closed=false and dueDate < date.now " +
  "return r.name as name LIMIT 1000";

/**
 * Load two published advisories into the demo's own advisory database and
 * scan the sample graph: the findings are tracked like any maintenance.
 */
async function demoVulnerabilities(ctx: CommandContext, db: string, osvDb: string, now: number): Promise<void> {
  const advisories = AdvisoryDb.open(osvDb, { create: true });
  try {
    await advisories.import(
      SAMPLE_ADVISORIES.map((a, i) => ({ file: `sample[${i}]`, text: JSON.stringify(a) })),
      { now, source: "dm demo" },
    );
    const result = await withStore(
      ctx,
      db,
      (store) => scanGraph(store, new Matcher(advisories), { now, config: defaultVulnsConfig(), ranBy: ctx.actor() }),
      { create: true },
    );
    const byVuln = new Map<string, { severity: string; fixed: string; assets: Set<string>; versions: Set<string>; package: string }>();
    for (const f of result.open) {
      const v = byVuln.get(f.vulnerabilityId) ?? { severity: f.severity, fixed: f.fixedVersion ?? "none", assets: new Set(), versions: new Set(), package: f.package };
      v.assets.add(f.entityName);
      v.versions.add(f.installedVersion);
      byVuln.set(f.vulnerabilityId, v);
    }
    ctx.stdout.write(
      renderTable(
        ["VULNERABILITY", "SEVERITY", "PACKAGE", "VERSIONS IN USE", "FIXED IN", "REPOS"],
        [...byVuln].map(([id, v]) => [id, v.severity, v.package, String(v.versions.size), v.fixed, String(v.assets.size)]),
        ctx.style,
      ),
    );
    ctx.stdout.write(
      `${plural(result.instances, "package use")} checked: ${plural(result.open.length, "finding")} open, each due by its severity's SLA (high: 30 days); they close by themselves when a sync sees the fix.\n`,
    );
  } finally {
    advisories.close();
  }
}

/**
 * `--use`: the default database, when it is empty or an earlier demo (it has
 * the demo's sync runs); anything else is refused, so the sample never mixes
 * into a real graph.
 */
async function defaultDemoTarget(ctx: CommandContext, options: DemoOptions, now: number, size: OrgSize): Promise<string> {
  if (options.db !== undefined) {
    throw new InputError("--use loads the demo into your default database and --db names another: give one of them", {
      details: ["With --db, use the printed export DM_DATABASE_URL=... line to make it the default."],
    });
  }
  const { defaultDatabasePath } = await import("../../store/open-store.js");
  const target = ctx.config.databaseUrl ?? defaultDatabasePath(ctx.config.homeDir);
  const demoInstances = new Set(sampleServiceSources(now, sampleDirectory(now, size)).map((s) => s.instance));
  await withStore(
    ctx,
    target,
    async (store) => {
      const { entities } = await store.counts();
      if (entities === 0) return;
      const runs = await store.latestSyncRuns();
      if (runs.some((r) => demoInstances.has(r.instance))) return;
      throw new InputError(`refusing to load the demo into ${store.location}: it holds ${plural(entities, "entity", "entities")} and is not an earlier demo`, {
        details: ["The sample would mix into your graph. Run dm demo without --use (its own database), or point DM_DATABASE_URL at an empty one."],
      });
    },
    { create: true },
  );
  return target;
}

export async function demoCommand(ctx: CommandContext, options: DemoOptions) {
  const now = ctx.now();
  const size = options.size ? sizeForEntities(options.size) : DEMO_SIZE;
  const db = options.use ? await defaultDemoTarget(ctx, options, now, size) : (options.db ?? path.join(dataDir(ctx.config), "demo.db"));
  const s = ctx.style;
  // (without --db, a command's flag is "": no double space left where it was)
  const heading = (text: string, command: string) => ctx.stdout.write(`\n${s.bold(text)}\n${s.dim(`$ ${command.replace(/ {2,}/g, " ").trim()}`)}\n`);
  const loaded = await withStore(ctx, db, async (store) => {
    ctx.stderr.write(`Loading a sample organisation into ${store.location} …\n`);
    const started = performance.now();
    const total = await store.upsertMany(generateOrg({ size, now }), { now, source: "demo" });
    await store.analyze();
    const ms = performance.now() - started;
    const entities = total.entities.created + total.entities.updated + total.entities.unchanged;
    const edges = total.relationships.created + total.relationships.updated + total.relationships.unchanged;
    const took = ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
    ctx.stdout.write(
      `${s.bold("Sample organisation loaded")} in ${took}: ${entities} entities, ${edges} relationships ` +
        `(created ${total.entities.created + total.relationships.created}, unchanged ${total.entities.unchanged + total.relationships.unchanged})\n`,
    );
    const worst = await runQuery(store, WORST_REPO_QUERY, { now });
    const deploying = await runQuery(store, DEPLOYING_REPO_QUERY, { now });
    const names = (r: typeof worst) => (r.type === "table" ? r.data.map((row) => row.name).filter((n): n is string => typeof n === "string") : []);
    const withVia = new Set(names(deploying));
    const repo = names(worst).find((n) => withVia.has(n)) ?? names(worst)[0];
    const services = await syncServices(ctx, store, size, now);
    return { entities, relationships: edges, repo, services };
  }, { create: true });
  // with --use the commands it prints need no --db
  const flag = options.use ? "" : `--db ${shellArg(db)}`;

  heading("Maintenance items, worst first", `dm stats ${flag}`);
  const items = await statsCommand(ctx, { db });
  const worstId = Array.isArray(items) ? items[0]?.maintenanceId : items.maintenanceId;

  if (loaded.repo) {
    heading(`What ${loaded.repo} owes (what \`dm\` prints inside its checkout)`, `dm report --repo ${loaded.repo} ${flag}`);
    await reportCommand(ctx, { db, repo: loaded.repo });
    heading("The CI gate for it", `dm check --repo ${loaded.repo} --grace 7d ${flag}`);
    try {
      await checkCommand(ctx, { db, repo: loaded.repo, grace: "7d" });
    } catch (error) {
      // A failing gate is the point of the demo: show it, do not stop.
      if (!(error instanceof CheckFailedError)) throw error;
      ctx.stdout.write(s.dim("(exit status 1: the pipeline would stop here)\n"));
    }
  }

  const osvDb = `${db.replace(/\.db$/, "")}-osv.db`;
  heading(
    "Vulnerable packages, from an offline advisory database",
    `dm vulns db import <osv export> --osv-db ${shellArg(osvDb)} && dm vulns scan ${flag} --osv-db ${shellArg(osvDb)}`,
  );
  await demoVulnerabilities(ctx, db, osvDb, now);

  await withStore(ctx, db, async (store) => {
    for (const { title, query } of DEMO_QUERIES) {
      heading(title, `dm query ${flag} "${query}"`);
      printResult(ctx, await runQuery(store, query, { now }), "table");
    }
  }, { create: true });

  heading("Inventory from services", `dm sources ${flag}`);
  ctx.stdout.write(s.dim("(the demo's canned answers of each service, through each integration's mapping and the real sync)\n"));
  const width = Math.max(...loaded.services.map((r) => r.instance.length));
  for (const r of loaded.services) {
    ctx.stdout.write(`  ${r.instance.padEnd(width)}  ${r.status}: created ${r.created}, updated ${r.updated}, unchanged ${r.unchanged}\n`);
  }
  await withStore(ctx, db, async (store) => {
    for (const q of SERVICE_QUESTIONS) {
      const { title, query, command } = serviceQuestion(q);
      heading(`${q.integration}: ${title}`, command(flag));
      printResult(ctx, await runQuery(store, query, { now }), "table");
    }
    for (const { title, query } of PEOPLE_QUERIES) {
      heading(title, `dm query ${flag} "${query}"`);
      printResult(ctx, await runQuery(store, query, { now }), "table");
    }
  }, { create: true });

  heading("Hygiene rules, the three R's: repair, rotate, repave", `dm rules run ${flag}`);
  const explained = await withStore(ctx, db, async (store) => {
    const rules = builtinPack().rules;
    printRun(ctx, await runRules(store, rules, { now, actor: "dm", ranBy: ctx.actor() }));
    // one container and one mutable VM: what each rule says about them, and why
    const pick = async (query: string) => {
      const r = await runQuery(store, query, { now });
      return r.type === "table" ? (r.data[0]?.key as string | undefined) : undefined;
    };
    const container = await pick("Find kube_deployment as d return d._key as key ORDER BY d._key LIMIT 1");
    const vm = await pick("Find Host with deployment = 'mutable-vm' and lastRebuiltOn < date.now - 90 days as h return h._key as key ORDER BY h._key LIMIT 1");
    return Promise.all([container, vm].filter((k): k is string => k !== undefined).map((k) => explainEntity(store, rules, k, { now })));
  }, { create: true });
  for (const e of explained) {
    heading(`Why each rule does or does not apply to ${e.entity.displayName} (${e.entity.deploymentModel ?? "unknown"})`, `dm rules explain ${shellArg(e.entity._key)} ${flag}`);
    // the rules about other kinds of asset, in one line
    const elsewhere = e.rules.filter((r) => r.status === "not-applicable" && r.reason.includes("the rule is about"));
    printExplanation(ctx, { ...e, rules: e.rules.filter((r) => !elsewhere.includes(r)) });
    ctx.stdout.write(s.dim(`(${elsewhere.length} more rules are about other kinds of asset: ${elsewhere.map((r) => r.id).join(", ")})\n`));
  }

  const cmd = (...parts: string[]) => parts.filter(Boolean).join(" ");
  const next: [string, string][] = [
    ...(worstId ? [[cmd("dm stats", worstId, flag), "the worst item in full, with its burndown"] as [string, string]] : []),
    [cmd("dm list --overdue 30", flag), "everything more than a month late"],
    [cmd("dm open", flag, `--query "Find CodeRepo with language='Go'" --short "Upgrade Go to 1.23" --link https://wiki.example.com/go --due 30d --dry-run`), ""],
    [cmd("dm query", flag, `"Find CodeRepo that USES npm_package with name='left-pad'"`), ""],
    [cmd("dm ask production vulnerable", flag), "a stored question (dm questions list shows them all)"],
  ];
  const column = Math.max(...next.filter(([, why]) => why).map(([c]) => c.length));
  ctx.stdout.write(`\n${s.bold("Next")}\n${next.map(([c, why]) => `  ${why ? `${c.padEnd(column)}   ${why}` : c}\n`).join("")}`);
  if (options.use) {
    ctx.stdout.write(`The sample is in your default database (${db}): plain dm stats, dm list, dm query … see it.\n`);
  } else {
    ctx.stdout.write(
      `Keep using the sample without --db (this shell):\n  export DM_DATABASE_URL=${shellArg(db)}\n  dm stats\n` +
        "Or dm demo --use loads it into your default database (when that is empty). Your own graph lives in ~/.deferred-maintenance/dm.db (dm import, dm open).\n",
    );
  }
  return loaded;
}

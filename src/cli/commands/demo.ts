import path from "node:path";
import { DEMO_SIZE, generateOrg, sizeForEntities } from "../../core/sample/generate-org.js";
import { runQuery } from "../../query/run.js";
import { dataDir } from "../../shared/config.js";
import type { ChangeCounts } from "../../store/types.js";
import { type CommandContext, withStore } from "../context.js";
import { printResult } from "./query.js";

export interface DemoOptions {
  db?: string;
  /** approximate entity count; default: a small organisation */
  size?: number;
}

/** The questions the demo asks, in the order a new user would. */
export const DEMO_QUERIES: readonly { title: string; query: string }[] = [
  {
    title: "Overdue maintenance, oldest first",
    query:
      "Find deferred_maintenance with closed=false and dueDate < date.now as m that HAS CodeRepo as r " +
      "return r.name as repo, m.shortDescription as item, m.dueDate as dueDate, m.webLink as link ORDER BY m.dueDate ASC LIMIT 8",
  },
  {
    title: "Open findings per maintenance item",
    query:
      "Find deferred_maintenance with closed=false as m return m.shortDescription as item, m.maintenanceId as id, count(m) as open ORDER BY open DESC",
  },
  {
    title: "Teams owning repos with overdue maintenance",
    query:
      "Find Team as t that OWNS CodeRepo as r that HAS deferred_maintenance with closed=false and dueDate < date.now - 7 days " +
      "return t.name as team, count(r) as repos ORDER BY repos DESC LIMIT 5",
  },
  {
    title: "Public repositories",
    query: "Find CodeRepo with public=true",
  },
];

export async function demoCommand(ctx: CommandContext, options: DemoOptions) {
  const db = options.db ?? path.join(dataDir(ctx.config), "demo.db");
  const now = ctx.now();
  const size = options.size ? sizeForEntities(options.size) : DEMO_SIZE;
  const s = ctx.style;
  return withStore(ctx, db, async (store) => {
    ctx.stderr.write(`Loading a sample organisation into ${store.location} …\n`);
    const started = performance.now();
    const total: { entities: ChangeCounts; relationships: ChangeCounts } = {
      entities: { created: 0, updated: 0, unchanged: 0 },
      relationships: { created: 0, updated: 0, unchanged: 0 },
    };
    for (const batch of generateOrg({ size, now })) {
      const r = await store.upsert(batch, { now, source: "demo" });
      for (const k of ["created", "updated", "unchanged"] as const) {
        total.entities[k] += r.entities[k];
        total.relationships[k] += r.relationships[k];
      }
    }
    await store.analyze();
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const entities = total.entities.created + total.entities.updated + total.entities.unchanged;
    const edges = total.relationships.created + total.relationships.updated + total.relationships.unchanged;
    ctx.stdout.write(
      `${s.bold("Sample organisation loaded")} in ${seconds} s: ${entities} entities, ${edges} relationships ` +
        `(created ${total.entities.created + total.relationships.created}, unchanged ${total.entities.unchanged + total.relationships.unchanged})\n`,
    );
    for (const { title, query } of DEMO_QUERIES) {
      ctx.stdout.write(`\n${s.bold(title)}\n${s.dim(`$ dm query "${query}"`)}\n`);
      const result = await runQuery(store, query, { now });
      printResult(ctx, result, "table");
    }
    const flag = options.db ? ` --db ${options.db}` : ` --db ${db}`;
    ctx.stdout.write(
      `\nTry your own:  dm query${flag} "Find CodeRepo that USES npm_package with name='left-pad'"\n` +
        `Export it:     dm export${flag} --out org.json\n`,
    );
    return { entities, relationships: edges };
  });
}

import { stringify as toYaml } from "yaml";
import type { Finding } from "../../core/maintenance/finding.js";
import { InputError } from "../../shared/errors.js";
import type { GraphStore, StoredEntity, StoredRelationship } from "../../store/types.js";
import { withBackend } from "../backend.js";
import { type CommandContext, withStore } from "../context.js";
import { outputPath, writeAtomically } from "../files.js";
import { plural, renderCsv } from "../output.js";
import type { ExportFlags } from "./export.command.js";

/** The flags of `dm export` (export.command.ts) but --findings, which chose this function or exportFindings. */
export type ExportOptions = Omit<ExportFlags, "findings">;

/** An entity in the bulk format: metadata needed to re-import, then properties. */
export function entityRecord(e: StoredEntity): Record<string, unknown> {
  return {
    _key: e.key,
    _type: e.type,
    _class: e.classes.length === 1 ? e.classes[0] : e.classes,
    ...(e.displayName === null ? {} : { displayName: e.displayName }),
    ...(e.source === null ? {} : { _source: e.source }),
    ...e.props,
  };
}

export function relationshipRecord(r: StoredRelationship): Record<string, unknown> {
  return {
    _key: r.key,
    _type: r.type,
    _class: r.class,
    _fromEntityKey: r.fromKey,
    _toEntityKey: r.toKey,
    ...(r.source === null ? {} : { _source: r.source }),
    ...r.props,
  };
}

/**
 * Write the whole graph in the bulk format, a page at a time: memory stays
 * flat however big the graph. JSON is one record per line.
 */
export async function writeGraph(
  store: GraphStore,
  write: (text: string) => Promise<void> | void,
  options: { format: "json" | "yaml"; includeDeleted?: boolean },
): Promise<{ entities: number; relationships: number }> {
  let entities = 0;
  let relationships = 0;
  let section: "none" | "entities" | "relationships" = "none";
  const json = options.format === "json";
  if (json) await write('{"entities":[');
  else await write("entities:\n");
  for await (const page of store.exportGraph({ includeDeleted: options.includeDeleted })) {
    if ("entities" in page) {
      section = "entities";
      for (const e of page.entities) {
        const record = entityRecord(e);
        await write(json ? `${entities === 0 ? "\n" : ",\n"}${JSON.stringify(record)}` : toYaml([record]));
        entities++;
      }
    } else {
      if (section !== "relationships") {
        await write(json ? '\n],"relationships":[' : "relationships:\n");
        section = "relationships";
      }
      for (const r of page.relationships) {
        const record = relationshipRecord(r);
        await write(json ? `${relationships === 0 ? "\n" : ",\n"}${JSON.stringify(record)}` : toYaml([record]));
        relationships++;
      }
    }
  }
  if (section !== "relationships") await write(json ? '\n],"relationships":[' : "relationships: []\n");
  if (json) await write("\n]}\n");
  return { entities, relationships };
}

export async function exportCommand(ctx: CommandContext, options: ExportOptions) {
  const format = options.format ?? (options.out && /\.ya?ml$/i.test(options.out) ? "yaml" : "json");
  if (format !== "json" && format !== "yaml") {
    throw new InputError(`--format ${format} is not known for the graph; use json or yaml (csv goes with --findings)`);
  }
  if (await ctx.remote(options.db)) {
    throw new InputError("dm export of the whole graph reads a database: on a dm server, run it on the server (with --db), or export the findings (--findings)", {
      details: ["Or query what you need: dm query \"Find CodeRepo\" --all --format json"],
    });
  }
  return withStore(ctx, options.db, async (store) => {
    if (!options.out || options.out === "-") {
      return writeGraph(store, (t) => ctx.stdout.write(t), { format, includeDeleted: options.includeDeleted });
    }
    const target = outputPath(ctx.cwd, options.out);
    const counts = await writeAtomically(target, options.out, (write) =>
      writeGraph(store, write, { format, includeDeleted: options.includeDeleted }),
    );
    ctx.stderr.write(`Exported ${plural(counts.entities, "entity", "entities")} and ${plural(counts.relationships, "relationship")} to ${options.out}\n`);
    return counts;
  });
}

// ------------------------------------------------------------------ findings (evidence)

/** The columns of the findings evidence file, in order. Dates are ISO 8601 UTC. */
export const FINDING_EVIDENCE_COLUMNS = [
  "maintenanceId",
  "item",
  "entity",
  "entityType",
  "entityKey",
  "owner",
  "createdBy",
  "createdOn",
  "dueDate",
  "status",
  "closedBy",
  "closedOn",
  "closeReason",
  "maintenanceLink",
  "acceptedUntil",
  "webLink",
] as const;

export type FindingEvidence = Record<(typeof FINDING_EVIDENCE_COLUMNS)[number], string>;

function iso(ms: number | undefined): string {
  return ms === undefined || ms <= 0 ? "" : new Date(ms).toISOString();
}

/** One finding as an evidence row: who opened it, who closed it, when, with which link. */
export function findingEvidence(f: Finding): FindingEvidence {
  return {
    maintenanceId: f.maintenanceId,
    item: f.shortDescription,
    entity: f.entityName,
    entityType: f.entityType,
    entityKey: f.entityKey,
    owner: f.owner ?? "",
    createdBy: f.createdBy,
    createdOn: iso(f.createdOn),
    dueDate: iso(f.dueDate),
    status: f.closed ? "closed" : "open",
    closedBy: f.closedBy ?? "",
    closedOn: iso(f.closedOn),
    closeReason: f.closeReason ?? "",
    maintenanceLink: f.maintenanceLink ?? "",
    acceptedUntil: iso(f.acceptedUntil),
    webLink: f.webLink,
  };
}

export type ExportFindingsOptions = ExportOptions;

/**
 * `dm export --findings`: every finding, open and closed, as evidence for
 * auditors, ordered by item, then entity. CSV is formula-safe; JSON is an
 * array of flat objects with the same columns.
 */
export async function exportFindings(ctx: CommandContext, options: ExportFindingsOptions): Promise<{ findings: number }> {
  const format = options.format ?? (options.out && /\.csv$/i.test(options.out) ? "csv" : "json");
  if (format !== "csv" && format !== "json") {
    throw new InputError(`--format ${format} does not go with --findings; use csv or json`);
  }
  if (options.includeDeleted) throw new InputError("--include-deleted does not go with --findings");
  const target = options.out && options.out !== "-" ? outputPath(ctx.cwd, options.out) : undefined;
  const findings = await withBackend(ctx, options.db, (b) => b.loadFindings(ctx.now()));
  findings.sort(
    (a, b) =>
      a.maintenanceId.localeCompare(b.maintenanceId) ||
      a.entityName.localeCompare(b.entityName) ||
      a.entityKey.localeCompare(b.entityKey) ||
      a.key.localeCompare(b.key),
  );
  const rows = findings.map(findingEvidence);
  const text =
    format === "csv"
      ? renderCsv(
          [...FINDING_EVIDENCE_COLUMNS],
          rows.map((r) => FINDING_EVIDENCE_COLUMNS.map((c) => r[c])),
        )
      : rows.length === 0
        ? "[]\n"
        : `[\n${rows.map((r) => JSON.stringify(r)).join(",\n")}\n]\n`;
  if (!target) {
    ctx.stdout.write(text);
    return { findings: rows.length };
  }
  await writeAtomically(target, options.out ?? target, async (write) => write(text));
  ctx.stderr.write(`Exported ${plural(rows.length, "finding")} to ${options.out}\n`);
  return { findings: rows.length };
}

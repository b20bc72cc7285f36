/** The three R's over HTTP: the rules with their open findings, a run, and why a rule does or does not apply to an asset. */
import { z } from "zod";
import { findConfigFile } from "../../core/ingest/config-file.js";
import { loadRulesSetup, type RulesSetup } from "../../core/rules/config.js";
import { explainEntity } from "../../core/rules/explain.js";
import { chooseRules, listRules, runSummary } from "../../core/rules/select.js";
import { runRules } from "../../core/rules/run.js";
import { defineRoute, type Route } from "../route.js";
import { ruleExplanation, ruleList, rulesRun } from "../schemas.js";

/** The packs and deployment models of the server's dm.config.yaml (its folder, else the data folder), read per request so an edit needs no restart. */
export function serverRulesSetup(cwd: string, dataDir: string): RulesSetup {
  return loadRulesSetup(findConfigFile(cwd, dataDir), cwd);
}

const choice = {
  pack: z.string().min(1).optional().describe("only this pack's rules"),
  rule: z.string().min(1).optional().describe("only this rule (its id)"),
};
const names = { pack: "pack", rule: "rule" };

export function rulesRoutes(options: { dataDir: string }): Route[] {
  return [
    defineRoute({
      method: "GET",
      path: "/api/v1/rules",
      role: "reader",
      summary: "Every rule of the enabled packs: id, R, title, rationale, what it applies to, open findings (as dm rules list --json)",
      query: z.strictObject({ pack: choice.pack }),
      response: ruleList,
      async handle(ctx) {
        const rules = chooseRules(serverRulesSetup(ctx.cwd, options.dataDir), ctx.query, names);
        return { rules: await listRules(ctx.store, rules, ctx.now) };
      },
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/rules/run",
      role: "maintainer",
      writes: true,
      summary: "Run the rules as tracked maintenance (as dm rules run): open a finding per violation, close what no longer violates; dryRun writes nothing",
      body: z.strictObject({ ...choice, dryRun: z.boolean().optional().describe("say what would open and close; write nothing") }),
      response: rulesRun,
      queued: true,
      async handle(ctx) {
        const setup = serverRulesSetup(ctx.cwd, options.dataDir);
        const rules = chooseRules(setup, ctx.body, names);
        const result = await runRules(ctx.store, rules, {
          now: ctx.now,
          actor: "dm",
          ranBy: ctx.actor,
          dryRun: ctx.body.dryRun === true,
          deploymentModels: setup.deploymentModels,
          sla: setup.sla,
        });
        return runSummary(result);
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/rules/explain",
      role: "reader",
      summary: "For one entity, every enabled rule: violates, ok, not-applicable or unknown, and why (as dm rules explain --json)",
      query: z.strictObject({ entity: z.string().min(1).describe("the entity's key, or its name") }),
      response: ruleExplanation,
      queued: true,
      async handle(ctx) {
        const setup = serverRulesSetup(ctx.cwd, options.dataDir);
        const rules = setup.packs.flatMap((p) => p.rules);
        return explainEntity(ctx.store, rules, ctx.query.entity, { now: ctx.now, deploymentModels: setup.deploymentModels });
      },
    }),
  ];
}

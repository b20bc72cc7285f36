/**
 * `hosts`: an inventory file (CSV or JSON: hostname, os, kernel, last
 * patched, last rebuilt, environment, deployment model) or the osquery
 * results of one host. osquery is recognised by its name (`*osquery*`,
 * `*.log`) or chosen with `kind: osquery`.
 */
import { z } from "zod";
import { fileBatch, resolveFile } from "../file-source.js";
import type { Integration } from "../types.js";
import { parseHostInventory, parseOsquery } from "./parse.js";

export const HostsConfig = z.object({
  file: z.string().min(1, "file must name the inventory or osquery file").describe("the hosts inventory (CSV, JSON) or osquery results file"),
  kind: z.enum(["inventory", "osquery"]).optional(),
  /** osquery: the host the results are from, when the file does not say */
  hostname: z.string().min(1).optional(),
}).strict();
export type HostsConfig = z.infer<typeof HostsConfig>;

function kindOf(config: HostsConfig): "inventory" | "osquery" {
  return config.kind ?? (/osquery|\.log$/i.test(config.file) ? "osquery" : "inventory");
}

export const hostsIntegration: Integration<HostsConfig> = {
  id: "hosts",
  description: "hosts from an inventory file (CSV/JSON) or osquery results",
  configSchema: HostsConfig,
  instanceName: (config, cwd) => `hosts:${resolveFile(cwd, config.file)}`,
  sync: (ctx) =>
    fileBatch(ctx, (text, name) =>
      kindOf(ctx.config) === "osquery"
        ? parseOsquery(text, name, ctx.config.hostname ? { hostname: ctx.config.hostname } : {})
        : parseHostInventory(text, name),
    ),
};

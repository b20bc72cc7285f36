/**
 * `aws-credential-report`: the IAM credential report (`aws iam
 * get-credential-report`, CSV or the CLI's JSON): users and their access
 * keys, with when each key was last rotated and used.
 */
import { z } from "zod";
import { fileBatch, resolveFile } from "../file-source.js";
import type { Integration } from "../types.js";
import { parseCredentialReport } from "./parse.js";

export const CredentialReportConfig = z.object({
  file: z.string().min(1, "file must name the credential report").describe("the IAM credential report (CSV) to read"),
}).strict();
export type CredentialReportConfig = z.infer<typeof CredentialReportConfig>;

export const awsCredentialReportIntegration: Integration<CredentialReportConfig> = {
  id: "aws-credential-report",
  description: "AWS IAM users and access keys from the credential report",
  configSchema: CredentialReportConfig,
  instanceName: (config, cwd) => `aws-credential-report:${resolveFile(cwd, config.file)}`,
  sync: (ctx) => fileBatch(ctx, parseCredentialReport),
};

/**
 * Every integration, by id. A test fails when a folder under
 * src/integrations and this list disagree.
 */
import { awsCredentialReportIntegration } from "./aws-credential-report/index.js";
import { bitbucketIntegration } from "./bitbucket/index.js";
import { gitIntegration } from "./git/index.js";
import { githubIntegration } from "./github/index.js";
import { gitlabIntegration } from "./gitlab/index.js";
import { hostsIntegration } from "./hosts/index.js";
import { pagerdutyIntegration } from "./pagerduty/index.js";
import { kubernetesIntegration } from "./kubernetes/index.js";
import { ldapIntegration } from "./ldap/index.js";
import type { Integration } from "./types.js";
import { vaultIntegration } from "./vault/index.js";

export const INTEGRATIONS: readonly Integration<never>[] = [
  gitIntegration as Integration<never>,
  hostsIntegration as Integration<never>,
  awsCredentialReportIntegration as Integration<never>,
  pagerdutyIntegration as Integration<never>,
  vaultIntegration as Integration<never>,
  kubernetesIntegration as Integration<never>,
  ldapIntegration as Integration<never>,
  gitlabIntegration as Integration<never>,
  bitbucketIntegration as Integration<never>,
  githubIntegration as Integration<never>,
];

export function integrationById(id: string): Integration<unknown> | undefined {
  return INTEGRATIONS.find((i) => i.id === id) as Integration<unknown> | undefined;
}

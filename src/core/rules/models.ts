/**
 * The names rules and deployment models are spelled with, in a module that
 * imports nothing: the server's schemas (read by the dashboard's type check)
 * take them from here too.
 */
export const RS = ["repair", "rotate", "repave", "hygiene"] as const;
export type R = (typeof RS)[number];

/** How an asset is deployed; what repave and repair mean depends on it. */
export const DEPLOYMENT_MODELS = ["mutable-vm", "bare-metal", "immutable-vm", "immutable-container", "serverless"] as const;
export type DeploymentModel = (typeof DEPLOYMENT_MODELS)[number];

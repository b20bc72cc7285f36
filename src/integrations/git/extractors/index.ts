/**
 * Every extractor the git integration runs, first match wins. A test checks
 * that each extractor file in this folder is listed here.
 */
import { dockerfileExtractor } from "./dockerfile.js";
import { packageLockExtractor } from "./package-lock.js";
import { pnpmLockExtractor } from "./pnpm-lock.js";
import { terraformExtractor } from "./terraform.js";
import type { Extractor } from "./types.js";
import { yarnLockExtractor } from "./yarn-lock.js";

export const EXTRACTORS: readonly Extractor[] = [
  packageLockExtractor,
  yarnLockExtractor,
  pnpmLockExtractor,
  dockerfileExtractor,
  terraformExtractor,
];

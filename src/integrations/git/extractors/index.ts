/**
 * Every extractor the git integration runs, first match wins. A test checks
 * that each extractor file in this folder is listed here.
 */
import { cargoLockExtractor } from "./cargo-lock.js";
import { composerLockExtractor } from "./composer-lock.js";
import { dockerfileExtractor } from "./dockerfile.js";
import { gemfileLockExtractor } from "./gemfile-lock.js";
import { goModExtractor } from "./go-mod.js";
import { packageLockExtractor } from "./package-lock.js";
import { pipfileLockExtractor } from "./pipfile-lock.js";
import { pnpmLockExtractor } from "./pnpm-lock.js";
import { poetryLockExtractor } from "./poetry-lock.js";
import { requirementsExtractor } from "./requirements.js";
import { terraformExtractor } from "./terraform.js";
import type { Extractor } from "./types.js";
import { yarnLockExtractor } from "./yarn-lock.js";

export const EXTRACTORS: readonly Extractor[] = [
  packageLockExtractor,
  yarnLockExtractor,
  pnpmLockExtractor,
  requirementsExtractor,
  poetryLockExtractor,
  pipfileLockExtractor,
  goModExtractor,
  cargoLockExtractor,
  gemfileLockExtractor,
  composerLockExtractor,
  dockerfileExtractor,
  terraformExtractor,
];

/**
 * Every extractor the git integration runs, first match wins. A test checks
 * that each extractor file in this folder is listed here.
 */
import { dockerfileExtractor } from "./dockerfile.js";
import { terraformExtractor } from "./terraform.js";
import type { Extractor } from "./types.js";

export const EXTRACTORS: readonly Extractor[] = [dockerfileExtractor, terraformExtractor];

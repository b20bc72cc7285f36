/**
 * Every extractor the git integration runs, first match wins. A test checks
 * that each extractor file in this folder is listed here.
 */
import type { Extractor } from "./types.js";

export const EXTRACTORS: readonly Extractor[] = [];

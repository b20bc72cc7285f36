/**
 * Checks entities against JupiterOne's published data model
 * (`@jupiterone/data-model`): every class in `_class` must be one of its
 * `entityClasses`, and the entity must satisfy that class's JSON schema.
 * Each integration's test runs what it writes through this.
 */
import AjvModule from "ajv";
import addFormatsModule from "ajv-formats";
import * as dataModel from "@jupiterone/data-model";
import type { EntityRecord } from "../src/store/types.js";

/** ajv and ajv-formats are CommonJS: their values are the modules' default exports. */
const Ajv = AjvModule.default;
const addFormats = addFormatsModule.default;
type Ajv = InstanceType<typeof Ajv>;

let ajv: Ajv | undefined;

function validator(): Ajv {
  if (!ajv) {
    ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    dataModel.registerSchemas(ajv);
  }
  return ajv;
}

/** The problems of one entity, as "_key: Class: /path message" lines (empty when valid). */
export function dataModelProblems(entity: EntityRecord): string[] {
  const classes = Array.isArray(entity._class) ? entity._class : [entity._class];
  const problems: string[] = [];
  for (const cls of classes) {
    if (!(dataModel.entityClasses as readonly string[]).includes(cls)) {
      problems.push(`${entity._key}: ${cls} is not a class of JupiterOne's data model`);
      continue;
    }
    const validate = validator().getSchema(`#${cls}`);
    if (!validate) throw new Error(`no schema for ${cls}`);
    if (!validate(entity)) {
      for (const e of validate.errors ?? []) problems.push(`${entity._key} (${entity._type}): ${cls}: ${e.instancePath || "/"} ${e.message}`);
    }
  }
  return problems;
}

/** Every problem of every entity (empty when all are valid). */
export function dataModelProblemsOf(entities: Iterable<EntityRecord>): string[] {
  const all: string[] = [];
  for (const e of entities) all.push(...dataModelProblems(e));
  return all;
}

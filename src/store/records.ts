import { FINDING_FACTS_TYPE } from "../query/finding-facts.js";
import { InputError } from "../shared/errors.js";
import type { EntityRecord, GraphBatch, NormalisedBatch, RelationshipRecord } from "./types.js";

/** The refusals every upsert strategy gives, in the same words on both backends. */
export const upsertRefusal = {
  duplicate: (section: "entities" | "relationships", index: number, key: string) =>
    new InputError(`${section}[${index}]._key: "${key}" appears twice in this batch`, {
      details: section === "entities" ? ["Each _key must be unique; merge the two records."] : [],
    }),
  unknownEnd: (index: number, field: "_fromEntityKey" | "_toEntityKey", key: string) =>
    new InputError(`relationships[${index}].${field}: no entity has the key "${key}"`, {
      details: ["Add the entity to the file, or import it first."],
    }),
};

/** Metadata keys that are never stored as properties. */
const RELATIONSHIP_META = new Set(["_fromEntityKey", "_toEntityKey", "_fromEntityId", "_toEntityId"]);

export interface NormalisedEntity {
  key: string;
  type: string;
  classes: string[];
  classesJson: string;
  displayName: string | null;
  source: string | null;
  /** the properties as an object; absent on records normalised elsewhere (a worker thread): parse propsJson */
  props?: Record<string, unknown>;
  propsJson: string;
}

export interface NormalisedRelationship {
  key: string;
  type: string;
  class: string;
  fromKey: string;
  toKey: string;
  source: string | null;
  /** as on NormalisedEntity */
  props?: Record<string, unknown>;
  propsJson: string;
}

/**
 * Properties in a canonical form: metadata (`_`-keys) removed, missing and
 * null values dropped (a null property is the same as a missing one), keys
 * sorted so that equal graphs serialise to equal text and change detection is
 * a string comparison.
 */
function canonicalProps(record: Record<string, unknown>, skip: (key: string) => boolean) {
  const keys = Object.keys(record);
  // Records usually arrive with their keys in the same order each time;
  // sorting is only needed when they are not already sorted.
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1]! > keys[i]!) {
      keys.sort();
      break;
    }
  }
  const props: Record<string, unknown> = {};
  for (const key of keys) {
    if (key.charCodeAt(0) === 95 /* _ */ || skip(key)) continue;
    const value = record[key];
    if (value === null || value === undefined) continue;
    props[key] = value;
  }
  return { props, propsJson: JSON.stringify(props) };
}

export function normaliseEntity(record: EntityRecord, defaultSource: string | null): NormalisedEntity {
  const cls = record._class;
  const classes = !Array.isArray(cls) ? [cls] : cls.length === 1 ? [cls[0]!] : [...new Set(cls)].sort();
  const { props, propsJson } = canonicalProps(record, (k) => k === "displayName");
  const source = typeof record._source === "string" ? record._source : defaultSource;
  return {
    key: record._key,
    type: record._type,
    classes,
    classesJson: JSON.stringify(classes),
    displayName: typeof record.displayName === "string" ? record.displayName : null,
    source,
    props,
    propsJson,
  };
}

export function normaliseRelationship(
  record: RelationshipRecord,
  defaultSource: string | null,
): NormalisedRelationship {
  const { props, propsJson } = canonicalProps(record, (k) => RELATIONSHIP_META.has(k));
  const source = typeof record._source === "string" ? record._source : defaultSource;
  return {
    key: record._key,
    type: record._type,
    class: record._class.toUpperCase(),
    fromKey: record._fromEntityKey,
    toKey: record._toEntityKey,
    source,
    props,
    propsJson,
  };
}

/** Normalised records as the columns of a NormalisedBatch. */
export function normalisedBatch(
  entities: readonly NormalisedEntity[],
  relationships: readonly NormalisedRelationship[],
  offset?: { entities: number; relationships: number },
): NormalisedBatch {
  return {
    normalised: true,
    entities: {
      key: entities.map((e) => e.key),
      type: entities.map((e) => e.type),
      classesJson: entities.map((e) => e.classesJson),
      displayName: entities.map((e) => e.displayName),
      source: entities.map((e) => e.source),
      propsJson: entities.map((e) => e.propsJson),
    },
    relationships: {
      key: relationships.map((r) => r.key),
      type: relationships.map((r) => r.type),
      class: relationships.map((r) => r.class),
      fromKey: relationships.map((r) => r.fromKey),
      toKey: relationships.map((r) => r.toKey),
      source: relationships.map((r) => r.source),
      propsJson: relationships.map((r) => r.propsJson),
    },
    ...(offset ? { offset } : {}),
  };
}

/** A batch's entities normalised (or taken from a NormalisedBatch's columns, the default source filled in). */
export function batchEntities(batch: GraphBatch | NormalisedBatch, defaultSource: string | null): NormalisedEntity[] {
  if (!("normalised" in batch)) return batch.entities.map((record) => normaliseEntity(record, defaultSource));
  const c = batch.entities;
  const out: NormalisedEntity[] = new Array(c.key.length);
  for (let i = 0; i < out.length; i++) {
    const classesJson = c.classesJson[i]!;
    out[i] = {
      key: c.key[i]!,
      type: c.type[i]!,
      classes: JSON.parse(classesJson) as string[],
      classesJson,
      displayName: c.displayName[i]!,
      source: c.source[i] ?? defaultSource,
      propsJson: c.propsJson[i]!,
    };
  }
  return out;
}

/** A batch's relationships, as batchEntities. */
export function batchRelationships(
  batch: GraphBatch | NormalisedBatch,
  defaultSource: string | null,
): NormalisedRelationship[] {
  if (!("normalised" in batch)) return batch.relationships.map((record) => normaliseRelationship(record, defaultSource));
  const c = batch.relationships;
  const out: NormalisedRelationship[] = new Array(c.key.length);
  for (let i = 0; i < out.length; i++) {
    out[i] = {
      key: c.key[i]!,
      type: c.type[i]!,
      class: c.class[i]!,
      fromKey: c.fromKey[i]!,
      toKey: c.toKey[i]!,
      source: c.source[i] ?? defaultSource,
      propsJson: c.propsJson[i]!,
    };
  }
  return out;
}

/** The properties of a normalised record as an object. */
export function propsOf(record: { props?: Record<string, unknown>; propsJson: string }): Record<string, unknown> {
  return record.props ?? (JSON.parse(record.propsJson) as Record<string, unknown>);
}

/** How many records a batch holds. */
export function batchRecords(batch: GraphBatch | NormalisedBatch): number {
  return "normalised" in batch
    ? batch.entities.key.length + batch.relationships.key.length
    : batch.entities.length + batch.relationships.length;
}

/**
 * The maintenance item of a finding's properties, as the finding facts read
 * it (src/query/finding-facts.ts): its maintenanceId when that is a string,
 * "" otherwise (a finding the statistics read finding by finding).
 */
export function findingItemOfProps(props: Record<string, unknown>): string {
  const m = props.maintenanceId;
  return typeof m === "string" ? m : "";
}

/**
 * The maintenance item of a record when it is a finding (its type is
 * deferred_maintenance), undefined otherwise. The stores collect these for
 * every finding an upsert creates, changes or deletes (old and new values):
 * `item_versions` (stats-sql.ts recounts only those items).
 */
export function findingItemOf(type: string, props: Record<string, unknown> | string | undefined): string | undefined {
  if (type !== FINDING_FACTS_TYPE || props === undefined) return undefined;
  return findingItemOfProps(typeof props === "string" ? (JSON.parse(props) as Record<string, unknown>) : props);
}

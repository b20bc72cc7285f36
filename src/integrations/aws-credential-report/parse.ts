/**
 * AWS IAM credential report: a pure parser (text in, records out) for the CSV
 * that `aws iam generate-credential-report` prepares and
 * `aws iam get-credential-report` returns. Accepted as the CSV itself, as the
 * CLI's JSON answer (`{ "Content": "<base64>", "ReportFormat": "text/csv" }`)
 * or as the bare base64 content (`--query Content --output text`).
 *
 * Each row is an IAM user (the `<root_account>` row is the account's root
 * user) with up to two access keys. `N/A`, `no_information` and
 * `not_supported` mean "no value": the property is left out.
 */

import type { EntityRecord, RelationshipRecord } from "../../store/types.js";
import { ParseError, type ParseResult, type ParseWarning, parseTimestamp, readCsv } from "../hosts/parse.js";

/** The report's columns, as AWS documents them. */
export const CREDENTIAL_REPORT_COLUMNS = [
  "user",
  "arn",
  "user_creation_time",
  "password_enabled",
  "password_last_used",
  "password_last_changed",
  "password_next_rotation",
  "mfa_active",
  "access_key_1_active",
  "access_key_1_last_rotated",
  "access_key_1_last_used_date",
  "access_key_1_last_used_region",
  "access_key_1_last_used_service",
  "access_key_2_active",
  "access_key_2_last_rotated",
  "access_key_2_last_used_date",
  "access_key_2_last_used_region",
  "access_key_2_last_used_service",
  "cert_1_active",
  "cert_1_last_rotated",
  "cert_2_active",
  "cert_2_last_rotated",
] as const;

const ROOT = "<root_account>";
const NO_VALUE = new Set(["n/a", "no_information", "not_supported", ""]);
const ARN = /^arn:aws(?:-[a-z]+)*:iam::(\d{12}):(root|user\/.+)$/;

/** The CSV text, unwrapped from the CLI's JSON answer or from base64. */
function reportText(text: string, fileName: string): string {
  const trimmed = text.replace(/^\uFEFF/, "").trim();
  if (trimmed.startsWith("{")) {
    let answer: unknown;
    try {
      answer = JSON.parse(trimmed);
    } catch (e) {
      throw new ParseError(fileName, "not valid JSON", undefined, { cause: e });
    }
    const content = (answer as { Content?: unknown }).Content;
    const format = (answer as { ReportFormat?: unknown }).ReportFormat;
    if (typeof content !== "string") throw new ParseError(fileName, 'no "Content" in the get-credential-report answer');
    if (format !== undefined && format !== "text/csv") throw new ParseError(fileName, `report format ${JSON.stringify(format)} is not text/csv`);
    return Buffer.from(content, "base64").toString("utf8");
  }
  const firstLine = trimmed.slice(0, trimmed.search(/\r?\n|$/));
  if (trimmed !== "" && !firstLine.includes(",") && /^[A-Za-z0-9+/=\s]+$/.test(trimmed)) {
    return Buffer.from(trimmed, "base64").toString("utf8");
  }
  return text;
}

/**
 * Users (`aws_iam_user`, or `aws_root_account` for the root user), their
 * access keys (`aws_iam_access_key`, keyed `<user arn>#key1` / `#key2`, for
 * the keys that exist: active, or rotated at some time) and `user -HAS-> key`
 * edges. A bad row is skipped with a warning naming its line.
 */
export function parseCredentialReport(text: string, fileName: string): ParseResult {
  const records = readCsv(reportText(text, fileName), fileName);
  const warnings: ParseWarning[] = [];
  const entities: EntityRecord[] = [];
  const relationships: RelationshipRecord[] = [];
  const header = records.shift();
  if (header === undefined) return { entities, relationships, warnings };
  const columns = header.fields.map((f) => f.trim().toLowerCase());
  for (const required of ["user", "arn"]) {
    if (!columns.includes(required)) {
      throw new ParseError(fileName, `no "${required}" column: not a credential report (header: ${header.fields.join(",")})`, header.line);
    }
  }

  const seen = new Map<string, number>();
  for (const record of records) {
    const skip = (message: string) => warnings.push({ file: fileName, line: record.line, message: `${message}; row skipped` });
    if (record.error !== undefined) {
      skip(record.error);
      continue;
    }
    if (record.fields.length !== columns.length) {
      skip(`expected ${columns.length} fields, found ${record.fields.length}`);
      continue;
    }
    const cells = new Map<string, string>();
    columns.forEach((c, j) => {
      if (!cells.has(c)) cells.set(c, record.fields[j]!.trim());
    });
    const problems: string[] = [];
    /** The cell, or undefined for N/A, no_information, not_supported and empty. */
    const value = (col: string): string | undefined => {
      const v = cells.get(col);
      return v === undefined || NO_VALUE.has(v.toLowerCase()) ? undefined : v;
    };
    const bool = (col: string): boolean | undefined => {
      const v = value(col);
      if (v === undefined) return undefined;
      const lower = v.toLowerCase();
      if (lower === "true" || lower === "false") return lower === "true";
      problems.push(`${col}: ${JSON.stringify(v)} is not true or false`);
      return undefined;
    };
    const date = (col: string): number | undefined => {
      const v = value(col);
      if (v === undefined) return undefined;
      const at = parseTimestamp(v);
      if (at === undefined) problems.push(`${col}: ${JSON.stringify(v)} is not an ISO 8601 date`);
      return at;
    };

    const name = value("user");
    const arn = value("arn");
    if (name === undefined || arn === undefined) {
      skip(name === undefined ? "missing user" : "missing arn");
      continue;
    }
    const arnMatch = ARN.exec(arn);
    if (!arnMatch) {
      skip(`arn: ${JSON.stringify(arn)} is not an IAM user or root ARN`);
      continue;
    }
    const root = name === ROOT;
    if (root !== (arnMatch[2] === "root")) {
      skip(`user ${name} does not match arn ${arn}`);
      continue;
    }
    const type = root ? "aws_root_account" : "aws_iam_user";
    const userKey = `${type}:${arn}`;
    const first = seen.get(userKey);
    if (first !== undefined) {
      skip(`duplicate arn ${arn} (first on line ${first})`);
      continue;
    }

    const user: EntityRecord = {
      _key: userKey,
      _type: type,
      _class: "User",
      displayName: root ? `root (${arnMatch[1]})` : name,
      name,
      arn,
      accountId: arnMatch[1],
    };
    const props: Record<string, unknown> = {
      createdOn: date("user_creation_time"),
      passwordEnabled: bool("password_enabled"),
      passwordLastUsedOn: date("password_last_used"),
      passwordLastChangedOn: date("password_last_changed"),
      passwordNextRotationOn: date("password_next_rotation"),
      mfaActive: bool("mfa_active"),
    };
    const keys: Array<{ entity: EntityRecord; edge: RelationshipRecord }> = [];
    for (const n of [1, 2] as const) {
      const col = (suffix: string) => `access_key_${n}_${suffix}`;
      const active = bool(col("active"));
      const lastRotatedOn = date(col("last_rotated"));
      const lastUsedOn = date(col("last_used_date"));
      if (active !== true && lastRotatedOn === undefined) continue;
      const keyKey = `${arn}#key${n}`;
      const entity: EntityRecord = {
        _key: keyKey,
        _type: "aws_iam_access_key",
        _class: "AccessKey",
        displayName: `${root ? "root" : name} access key ${n}`,
        active: active === true,
      };
      const keyProps: Record<string, unknown> = {
        lastRotatedOn,
        lastUsedOn,
        lastUsedService: value(col("last_used_service")),
        lastUsedRegion: value(col("last_used_region")),
      };
      for (const [k, v] of Object.entries(keyProps)) if (v !== undefined) entity[k] = v;
      keys.push({
        entity,
        edge: {
          _key: `${userKey}|has|${keyKey}`,
          _type: `${type}_has_access_key`,
          _class: "HAS",
          _fromEntityKey: userKey,
          _toEntityKey: keyKey,
        },
      });
    }
    if (problems.length > 0) {
      skip(problems.join("; "));
      continue;
    }
    for (const [k, v] of Object.entries(props)) if (v !== undefined) user[k] = v;
    seen.set(userKey, record.line);
    entities.push(user);
    for (const { entity, edge } of keys) {
      entities.push(entity);
      relationships.push(edge);
    }
  }
  return { entities, relationships, warnings };
}

/**
 * The LDAP directory: find users by email (the value escaped per RFC 4515),
 * read the on-call group, and change it with ONE modify request holding the
 * adds and the deletes, so the group is never empty or half-written between
 * two requests. If someone changed the group meanwhile, the server rejects
 * the whole request and nothing is written.
 *
 * TLS: ldaps:// or StartTLS, verified against caFile (else the system CAs).
 * Plain LDAP only when the config allows it (insecure / DM_LDAP_INSECURE=1).
 */
import fs from "node:fs";
import net from "node:net";
import type { ConnectionOptions } from "node:tls";
import { ExternalServiceError, InputError } from "../../shared/errors.js";

/** RFC 4515 escaping of a value inside a filter: `*`, `(`, `)`, `\` and NUL. */
export function escapeFilterValue(value: string): string {
  let out = "";
  for (const ch of value) {
    switch (ch) {
      case "*":
        out += "\\2a";
        break;
      case "(":
        out += "\\28";
        break;
      case ")":
        out += "\\29";
        break;
      case "\\":
        out += "\\5c";
        break;
      case "\u0000":
        out += "\\00";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

export function equalityFilter(attribute: string, value: string): string {
  return `(${attribute}=${escapeFilterValue(value)})`;
}

/** DNs compared loosely: case and the spaces around separators do not matter. */
export function normaliseDn(dn: string): string {
  return dn
    .split(/(?<!\\),/)
    .map((rdn) =>
      rdn
        .split(/(?<!\\)=/)
        .map((p) => p.trim())
        .join("="),
    )
    .join(",")
    .toLowerCase();
}

export interface DirectoryUser {
  dn: string;
  /** the configured user attribute (uid) */
  name: string;
  /** what goes into the group: the user name (memberUid) or the DN (member) */
  memberValue: string;
}

/** What the sync needs from a directory. */
export interface Directory {
  readonly description: string;
  /** current members, as stored */
  readGroup(): Promise<string[]>;
  /** users whose mail attribute equals the email exactly */
  findByEmail(email: string): Promise<DirectoryUser[]>;
  /** a key to compare member values (DNs loosely, names exactly) */
  memberKey(value: string): string;
  /** adds and deletes in one modify request */
  modifyGroup(add: string[], remove: string[]): Promise<void>;
  close(): Promise<void>;
}

export interface LdapSettings {
  url: string;
  tls: "ldaps" | "starttls" | "none";
  caFile?: string;
  bindDN: string;
  bindPassword: string;
  userBase: string;
  mailAttribute: string;
  userAttribute: string;
  groupDN: string;
  memberAttribute: string;
  memberValue: "user" | "dn";
  timeoutMs: number;
}

type LdapClient = import("ldapts").Client;

function describeError(error: unknown): string {
  const e = error as { code?: string | number; message?: string; name?: string };
  if (typeof e?.code === "string") return e.code;
  return e?.message ?? String(error);
}

/** What connecting needs: the on-call settings have more. */
export type LdapConnection = Pick<LdapSettings, "url" | "tls" | "caFile" | "bindDN" | "bindPassword" | "timeoutMs">;

/** How the messages name the settings (the on-call file's by default; an integration names its own). */
export interface LdapSettingNames {
  /** the CA file setting, e.g. ldap.caFile */
  caFile: string;
  /** where else it may be known from, e.g. " (Deputize RootCAFile)" */
  caFileAlias: string;
  password: string;
  /** how to allow plain LDAP */
  insecure: string;
}

const ONCALL_NAMES: LdapSettingNames = {
  caFile: "ldap.caFile",
  caFileAlias: " (Deputize RootCAFile)",
  password: "ldap.bindPassword, Deputize modUserPW",
  insecure: "DM_LDAP_INSECURE=1",
};

/**
 * Connect, secure the connection (ldaps:// or StartTLS, verified against
 * caFile, else the system CAs) and bind; every failure is an
 * ExternalServiceError naming the step (an unreadable caFile an InputError).
 */
export async function connectLdap(
  s: LdapConnection,
  names: LdapSettingNames = ONCALL_NAMES,
): Promise<{ client: LdapClient; ldapts: typeof import("ldapts") }> {
  const ldapts = await import("ldapts");
  const host = new URL(s.url).hostname;
  let ca: Buffer | undefined;
  if (s.caFile) {
    try {
      ca = fs.readFileSync(s.caFile);
    } catch (error) {
      throw new InputError(`${names.caFile}: cannot read ${s.caFile}: ${(error as NodeJS.ErrnoException).code}`, { cause: error });
    }
  }
  // an IP address is checked against the certificate's IP names; SNI takes host names only
  const tlsOptions: ConnectionOptions = { ...(net.isIP(host) ? {} : { servername: host }), ...(ca ? { ca } : {}), minVersion: "TLSv1.2" };
  const client = new ldapts.Client({
    url: s.url,
    timeout: s.timeoutMs,
    connectTimeout: s.timeoutMs,
    ...(s.tls === "ldaps" ? { tlsOptions } : {}),
  });
  const where = s.url;
  const fail = (step: string, error: unknown, hint?: string): never => {
    void client.unbind().catch(() => undefined);
    throw new ExternalServiceError("LDAP", `LDAP ${where}: ${step} failed: ${describeError(error)}`, {
      cause: error,
      details: hint ? [hint] : [],
    });
  };
  if (s.tls === "starttls") {
    try {
      await client.startTLS(tlsOptions);
    } catch (error) {
      fail(
        "StartTLS",
        error,
        s.caFile
          ? `Check that ${s.caFile} holds the CA that signed the server's certificate, and that the certificate names ${host}.`
          : `The server must offer StartTLS with a certificate the system trusts; name the CA with ${names.caFile}${names.caFileAlias}. For a local test directory only: ${names.insecure}.`,
      );
    }
  }
  try {
    await client.bind(s.bindDN, s.bindPassword);
  } catch (error) {
    if (error instanceof ldapts.InvalidCredentialsError) {
      fail(`bind as ${s.bindDN}`, new Error("invalid credentials"), `Check the bind DN and its password (${names.password}).`);
    }
    const tlsProblem = /certificate|self.signed|SSL|TLS|ERR_TLS/i.test(describeError(error));
    fail(
      `bind as ${s.bindDN}`,
      error,
      tlsProblem ? `TLS: check ${names.caFile} names the CA that signed the server's certificate.` : "Check that the server is reachable.",
    );
  }
  return { client, ldapts };
}

export class LdapDirectory implements Directory {
  private constructor(
    private readonly client: LdapClient,
    private readonly s: LdapSettings,
    private readonly ldapts: typeof import("ldapts"),
  ) {}

  get description(): string {
    return this.s.groupDN;
  }

  /** Connect, secure the connection and bind; every failure is an ExternalServiceError naming the step. */
  static async open(s: LdapSettings): Promise<LdapDirectory> {
    const { client, ldapts } = await connectLdap(s);
    return new LdapDirectory(client, s, ldapts);
  }

  memberKey(value: string): string {
    return this.s.memberValue === "dn" ? normaliseDn(value) : value;
  }

  async readGroup(): Promise<string[]> {
    try {
      const { searchEntries } = await this.client.search(this.s.groupDN, {
        scope: "base",
        attributes: [this.s.memberAttribute],
      });
      const entry = searchEntries[0];
      if (!entry) throw new this.ldapts.NoSuchObjectError();
      const raw = Object.entries(entry).find(([k]) => k.toLowerCase() === this.s.memberAttribute.toLowerCase())?.[1];
      const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
      return values.map((v) => (Buffer.isBuffer(v) ? v.toString("utf8") : String(v)));
    } catch (error) {
      if (error instanceof this.ldapts.NoSuchObjectError) {
        throw new InputError(`ldap.groupDN: the directory has no entry ${this.s.groupDN}`, { cause: error });
      }
      throw new ExternalServiceError("LDAP", `LDAP: reading the group ${this.s.groupDN} failed: ${describeError(error)}`, { cause: error });
    }
  }

  async findByEmail(email: string): Promise<DirectoryUser[]> {
    try {
      const { searchEntries } = await this.client.search(this.s.userBase, {
        scope: "sub",
        filter: equalityFilter(this.s.mailAttribute, email),
        attributes: [this.s.userAttribute],
        sizeLimit: 10,
      });
      return searchEntries.map((e) => {
        const raw = Object.entries(e).find(([k]) => k.toLowerCase() === this.s.userAttribute.toLowerCase())?.[1];
        const name = String(Array.isArray(raw) ? raw[0] : (raw ?? ""));
        return { dn: e.dn, name, memberValue: this.s.memberValue === "dn" ? e.dn : name };
      });
    } catch (error) {
      if (error instanceof this.ldapts.SizeLimitExceededError) {
        return Array.from({ length: 11 }, () => ({ dn: "", name: "", memberValue: "" }));
      }
      throw new ExternalServiceError("LDAP", `LDAP: searching ${this.s.userBase} for a user failed: ${describeError(error)}`, { cause: error });
    }
  }

  async modifyGroup(add: string[], remove: string[]): Promise<void> {
    const { Change, Attribute } = this.ldapts;
    const changes = [];
    if (add.length > 0) changes.push(new Change({ operation: "add", modification: new Attribute({ type: this.s.memberAttribute, values: add }) }));
    if (remove.length > 0) {
      changes.push(new Change({ operation: "delete", modification: new Attribute({ type: this.s.memberAttribute, values: remove }) }));
    }
    if (changes.length === 0) return;
    try {
      await this.client.modify(this.s.groupDN, changes);
    } catch (error) {
      const changed = error instanceof this.ldapts.NoSuchAttributeError || error instanceof this.ldapts.TypeOrValueExistsError;
      throw new ExternalServiceError("LDAP", `LDAP: changing ${this.s.groupDN} failed: ${describeError(error)}; nothing was changed`, {
        cause: error,
        details: changed ? ["The group changed while dm was running; run dm oncall sync again."] : [],
      });
    }
  }

  async close(): Promise<void> {
    await this.client.unbind().catch(() => undefined);
  }
}

/**
 * A real OpenLDAP slapd for the tests: a temporary slapd.conf with an mdb
 * database, seeded with slapadd, listening on 127.0.0.1 (plain and, with
 * TLS, ldaps) on free ports, stopped by `stop()`. Its stats log (-d 256) is
 * kept so that a test can count the modify requests the server received.
 *
 * slapd missing is a failure with the command to install it, never a skip.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { tempDir } from "./cli.js";

export const BASE_DN = "dc=example,dc=org";
export const ADMIN_DN = `cn=admin,${BASE_DN}`;
export const ADMIN_PASSWORD = "admin-secret-3c9f";
export const SERVICE_DN = `cn=dm,${BASE_DN}`;
export const SERVICE_PASSWORD = "svc-pass-7d2e41b8";
export const PEOPLE = `ou=people,${BASE_DN}`;
export const GROUP_DN = `cn=oncall,ou=groups,${BASE_DN}`;
export const GROUP_OF_NAMES_DN = `cn=oncall-names,ou=groups,${BASE_DN}`;

const SEARCH_PATH = ["/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin", "/sbin"];

function findProgram(name: string): string {
  for (const dir of [...(process.env.PATH ?? "").split(":"), ...SEARCH_PATH]) {
    const file = path.join(dir, name);
    if (dir && fs.existsSync(file)) return file;
  }
  throw new Error(
    `${name} (OpenLDAP) is not installed, and the on-call tests need a real LDAP server. ` +
      "Install it: apt-get install -y slapd ldap-utils (CI does this in .ci/run).",
  );
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

export interface TestCerts {
  caFile: string;
  certFile: string;
  keyFile: string;
  /** a CA that did not sign the server's certificate */
  otherCaFile: string;
}

/** A throwaway CA and a server certificate for 127.0.0.1 and localhost, made with the openssl CLI. */
export function makeTestCerts(dir: string): TestCerts {
  const openssl = findProgram("openssl");
  const run = (args: string[]) => execFileSync(openssl, args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  fs.writeFileSync(path.join(dir, "san.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n");
  for (const ca of ["ca", "other-ca"]) {
    run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", `${ca}.key`, "-out", `${ca}.pem`, "-days", "2", "-subj", `/CN=dm test ${ca}`]);
  }
  run(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"]);
  run(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "san.cnf"]);
  fs.chmodSync(path.join(dir, "server.key"), 0o644);
  return {
    caFile: path.join(dir, "ca.pem"),
    certFile: path.join(dir, "server.pem"),
    keyFile: path.join(dir, "server.key"),
    otherCaFile: path.join(dir, "other-ca.pem"),
  };
}

export interface SeedUser {
  uid: string;
  mail: string;
}

export const DEFAULT_USERS: SeedUser[] = [
  { uid: "alice", mail: "alice@example.org" },
  { uid: "bob", mail: "bob@example.org" },
  { uid: "carol", mail: "carol@example.org" },
  { uid: "dave", mail: "dave@example.org" },
  { uid: "erin", mail: "erin@example.org" },
  { uid: "root-admin", mail: "root-admin@example.org" },
  // two users share this address: ambiguous
  { uid: "twin1", mail: "twins@example.org" },
  { uid: "twin2", mail: "twins@example.org" },
];

function seedLdif(users: SeedUser[], members: string[]): string {
  const entries = [
    `dn: ${BASE_DN}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example`,
    `dn: ou=people,${BASE_DN}\nobjectClass: organizationalUnit\nou: people`,
    `dn: ou=groups,${BASE_DN}\nobjectClass: organizationalUnit\nou: groups`,
    `dn: ${SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: dm\nuserPassword: ${SERVICE_PASSWORD}`,
    ...users.map(
      (u) =>
        `dn: uid=${u.uid},${PEOPLE}\nobjectClass: inetOrgPerson\nuid: ${u.uid}\ncn: ${u.uid}\nsn: ${u.uid}\nmail: ${u.mail}`,
    ),
    `dn: ${GROUP_DN}\nobjectClass: posixGroup\ncn: oncall\ngidNumber: 5000${members.map((m) => `\nmemberUid: ${m}`).join("")}`,
    `dn: ${GROUP_OF_NAMES_DN}\nobjectClass: groupOfNames\ncn: oncall-names\n${(members.length > 0 ? members : ["root-admin"])
      .map((m) => `member: uid=${m},${PEOPLE}`)
      .join("\n")}`,
  ];
  return `${entries.join("\n\n")}\n`;
}

export interface Slapd {
  /** ldap://127.0.0.1:port */
  url: string;
  /** ldaps://127.0.0.1:port, when started with TLS */
  ldapsUrl?: string;
  certs?: TestCerts;
  dir: string;
  /** the server's stats log so far */
  log(): string;
  /** how many modify requests of this DN the server received from connections bound as `by` (default: dm's service account) */
  modifyCount(dn: string, by?: string): Promise<number>;
  /** values of one attribute of one entry, read with ldapsearch as the admin */
  attribute(dn: string, attribute: string): string[];
  /** replace an attribute's values (set up a scenario) with ldapmodify as the admin */
  setAttribute(dn: string, attribute: string, values: string[]): void;
  stop(): Promise<void>;
}

export async function startSlapd(
  options: {
    tls?: boolean;
    users?: SeedUser[];
    members?: string[];
    /** more entries (LDIF) after the seed: posix accounts, other kinds of groups */
    extraLdif?: string;
  } = {},
): Promise<Slapd> {
  const slapd = findProgram("slapd");
  const slapadd = findProgram("slapadd");
  const ldapsearch = findProgram("ldapsearch");
  const ldapmodify = findProgram("ldapmodify");
  const dir = tempDir("dm-slapd-");
  const dbDir = path.join(dir, "db");
  fs.mkdirSync(dbDir);
  const certs = options.tls ? makeTestCerts(dir) : undefined;
  const modulePath = ["/usr/lib/ldap", "/usr/lib/openldap", "/usr/local/libexec/openldap"].find((p) => fs.existsSync(p));
  const schemaDir = ["/etc/ldap/schema", "/etc/openldap/schema", "/usr/local/etc/openldap/schema"].find((p) => fs.existsSync(p));
  if (!schemaDir) throw new Error("the OpenLDAP schema files (core.schema, nis.schema) were not found; install slapd");
  const conf = [
    ...["core", "cosine", "nis", "inetorgperson"].map((s) => `include ${schemaDir}/${s}.schema`),
    `pidfile ${dir}/slapd.pid`,
    `argsfile ${dir}/slapd.args`,
    ...(modulePath && fs.existsSync(path.join(modulePath, "back_mdb.la")) ? [`modulepath ${modulePath}`, "moduleload back_mdb"] : []),
    ...(certs ? [`TLSCACertificateFile ${certs.caFile}`, `TLSCertificateFile ${certs.certFile}`, `TLSCertificateKeyFile ${certs.keyFile}`] : []),
    "database mdb",
    "maxsize 10485760",
    `suffix "${BASE_DN}"`,
    `rootdn "${ADMIN_DN}"`,
    `rootpw ${ADMIN_PASSWORD}`,
    `directory ${dbDir}`,
    "index objectClass,uid,mail,memberUid eq",
    "access to attrs=userPassword by anonymous auth by * none",
    `access to dn.base="${GROUP_DN}" attrs=memberUid by dn.exact="${SERVICE_DN}" write by users read by * none`,
    `access to dn.base="${GROUP_OF_NAMES_DN}" attrs=member by dn.exact="${SERVICE_DN}" write by users read by * none`,
    "access to * by users read by * none",
    "",
  ].join("\n");
  const confFile = path.join(dir, "slapd.conf");
  fs.writeFileSync(confFile, conf);
  const ldifFile = path.join(dir, "seed.ldif");
  fs.writeFileSync(
    ldifFile,
    seedLdif(options.users ?? DEFAULT_USERS, options.members ?? ["alice", "bob"]) + (options.extraLdif ? `\n${options.extraLdif.trim()}\n` : ""),
  );
  execFileSync(slapadd, ["-f", confFile, "-l", ldifFile], { stdio: ["ignore", "ignore", "pipe"] });

  const port = await freePort();
  const tlsPort = certs ? await freePort() : undefined;
  const urls = [`ldap://127.0.0.1:${port}/`, ...(tlsPort ? [`ldaps://127.0.0.1:${tlsPort}/`] : [])];
  let log = "";
  const child: ChildProcess = spawn(slapd, ["-f", confFile, "-h", urls.join(" "), "-d", "256"], { stdio: ["ignore", "ignore", "pipe"] });
  child.stderr!.on("data", (chunk: Buffer) => {
    log += chunk.toString("utf8");
  });
  let exited = false;
  child.once("exit", () => {
    exited = true;
  });
  const deadline = Date.now() + 15_000;
  while (!/slapd starting/.test(log)) {
    if (exited) throw new Error(`slapd exited at start:\n${log.slice(-2000)}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`slapd did not start within 15 s:\n${log.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = `ldap://127.0.0.1:${port}`;
  const search = (dn: string, attribute: string) =>
    execFileSync(ldapsearch, ["-x", "-LLL", "-o", "ldif-wrap=no", "-H", url, "-D", ADMIN_DN, "-w", ADMIN_PASSWORD, "-b", dn, "-s", "base", attribute], {
      encoding: "utf8",
    });
  return {
    url,
    ldapsUrl: tlsPort ? `ldaps://127.0.0.1:${tlsPort}` : undefined,
    certs,
    dir,
    log: () => log,
    async modifyCount(dn: string, by = SERVICE_DN) {
      // the log arrives through a pipe: let it catch up
      await new Promise((r) => setTimeout(r, 200));
      const boundAs = new Map<string, string>();
      let count = 0;
      for (const line of log.split("\n")) {
        const bind = /conn=(\d+) op=\d+ BIND dn="([^"]*)"/.exec(line);
        if (bind) boundAs.set(bind[1]!, bind[2]!.toLowerCase());
        const mod = /conn=(\d+) op=\d+ MOD dn="([^"]*)"/.exec(line);
        if (mod && mod[2]!.toLowerCase() === dn.toLowerCase() && boundAs.get(mod[1]!) === by.toLowerCase()) count++;
      }
      return count;
    },
    attribute(dn, attribute) {
      return search(dn, attribute)
        .split("\n")
        .filter((l) => l.toLowerCase().startsWith(`${attribute.toLowerCase()}: `))
        .map((l) => l.slice(attribute.length + 2))
        .sort();
    },
    setAttribute(dn, attribute, values) {
      const ldif = `dn: ${dn}\nchangetype: modify\nreplace: ${attribute}\n${values.map((v) => `${attribute}: ${v}`).join("\n")}\n`;
      execFileSync(ldapmodify, ["-x", "-H", url, "-D", ADMIN_DN, "-w", ADMIN_PASSWORD], { input: ldif, stdio: ["pipe", "ignore", "pipe"] });
    },
    async stop() {
      if (!exited) {
        const done = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await done;
        clearTimeout(timer);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

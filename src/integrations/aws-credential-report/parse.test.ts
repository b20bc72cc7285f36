import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ParseError } from "../hosts/parse.js";
import { CREDENTIAL_REPORT_COLUMNS, parseCredentialReport } from "./parse.js";

function fixture(name: string): string {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");
}

const ACCOUNT = "123456789012";
const ROOT_ARN = `arn:aws:iam::${ACCOUNT}:root`;
const at = (iso: string) => Date.parse(iso);

function user(name: string, path: string, props: Record<string, unknown>) {
  const arn = `arn:aws:iam::${ACCOUNT}:user/${path}`;
  return { _key: `aws_iam_user:${arn}`, _type: "aws_iam_user", _class: "User", displayName: name, name, arn, accountId: ACCOUNT, ...props };
}

function key(owner: string, arn: string, n: 1 | 2, props: Record<string, unknown>) {
  return {
    _key: `${arn}#key${n}`,
    _type: "aws_iam_access_key",
    _class: "AccessKey",
    displayName: `${owner} access key ${n}`,
    ...props,
  };
}

function has(fromType: string, arn: string, n: 1 | 2) {
  return {
    _key: `${fromType}:${arn}|has|${arn}#key${n}`,
    _type: `${fromType}_has_access_key`,
    _class: "HAS",
    _fromEntityKey: `${fromType}:${arn}`,
    _toEntityKey: `${arn}#key${n}`,
  };
}

const root = {
  _key: `aws_root_account:${ROOT_ARN}`,
  _type: "aws_root_account",
  _class: "User",
  displayName: `root (${ACCOUNT})`,
  name: "<root_account>",
  arn: ROOT_ARN,
  accountId: ACCOUNT,
  createdOn: at("2015-03-10T09:12:44Z"),
  // password_enabled / password_last_changed / password_next_rotation are not_supported: left out
  passwordLastUsedOn: at("2024-01-02T17:45:09Z"),
  mfaActive: false,
};
const rootKey = key("root", ROOT_ARN, 1, {
  active: true,
  lastRotatedOn: at("2016-07-21T10:02:11Z"),
  lastUsedOn: at("2019-05-30T22:14:00Z"),
  lastUsedService: "iam",
  lastUsedRegion: "us-east-1",
});
const alice = user("alice", "alice", {
  createdOn: at("2019-04-01T10:00:00Z"),
  passwordEnabled: true,
  passwordLastUsedOn: at("2024-01-10T08:30:00Z"),
  passwordLastChangedOn: at("2023-10-01T12:00:00Z"),
  passwordNextRotationOn: at("2024-03-30T12:00:00Z"),
  mfaActive: true,
});
const aliceKey = key("alice", alice.arn, 1, {
  active: true,
  lastRotatedOn: at("2023-06-15T09:00:00Z"),
  lastUsedOn: at("2024-01-11T14:22:00Z"),
  lastUsedService: "s3",
  lastUsedRegion: "eu-west-1",
});

describe("AWS credential report", () => {
  it("reads users, the root account and the access keys that exist", () => {
    const ci = user("ci-deployer", "service/ci-deployer", {
      createdOn: at("2018-02-20T11:00:00Z"),
      passwordEnabled: false,
      mfaActive: false,
    });
    const bob = user("bob", "bob", {
      createdOn: at("2016-09-05T13:45:00Z"),
      passwordEnabled: true,
      // password_last_used: no_information
      passwordLastChangedOn: at("2016-09-05T13:45:00Z"),
      mfaActive: false,
    });
    const reporting = user("reporting", "reporting", { createdOn: at("2023-12-01T16:20:00Z"), passwordEnabled: false, mfaActive: false });
    expect(parseCredentialReport(fixture("credential-report.csv"), "credential-report.csv")).toEqual({
      entities: [
        root,
        rootKey,
        alice,
        aliceKey,
        ci,
        key("ci-deployer", ci.arn, 1, {
          active: true,
          lastRotatedOn: at("2018-02-20T11:05:33Z"),
          lastUsedOn: at("2024-01-12T03:00:00Z"),
          lastUsedService: "cloudformation",
          lastUsedRegion: "us-east-1",
        }),
        // active, never used
        key("ci-deployer", ci.arn, 2, { active: true, lastRotatedOn: at("2022-11-01T09:00:00Z") }),
        bob,
        // deactivated, but it exists (it was rotated)
        key("bob", bob.arn, 1, {
          active: false,
          lastRotatedOn: at("2017-01-10T08:00:00Z"),
          lastUsedOn: at("2021-06-01T12:00:00Z"),
          lastUsedService: "ec2",
          lastUsedRegion: "eu-central-1",
        }),
        // no keys at all
        reporting,
      ],
      relationships: [
        has("aws_root_account", ROOT_ARN, 1),
        has("aws_iam_user", alice.arn, 1),
        has("aws_iam_user", ci.arn, 1),
        has("aws_iam_user", ci.arn, 2),
        has("aws_iam_user", bob.arn, 1),
      ],
      warnings: [],
    });
  });

  it("skips bad rows with a warning naming the line", () => {
    const grace = user("grace", "grace", { createdOn: at("2021-05-05T05:05:05Z"), passwordEnabled: false, mfaActive: false });
    const file = "reports/bad-rows.csv";
    expect(parseCredentialReport(fixture("bad-rows.csv"), file)).toEqual({
      entities: [grace, key("grace", grace.arn, 1, { active: true, lastRotatedOn: at("2021-05-05T05:06:00Z") })],
      relationships: [has("aws_iam_user", grace.arn, 1)],
      warnings: [
        { file, line: 2, message: 'user_creation_time: "2020-02-30T10:00:00+00:00" is not an ISO 8601 date; row skipped' },
        { file, line: 3, message: 'password_enabled: "yes" is not true or false; row skipped' },
        { file, line: 4, message: "expected 22 fields, found 8; row skipped" },
        { file, line: 5, message: "missing user; row skipped" },
        { file, line: 6, message: 'arn: "arn:aws:iam::12345:user/frank" is not an IAM user or root ARN; row skipped' },
        { file, line: 8, message: `duplicate arn arn:aws:iam::${ACCOUNT}:user/grace (first on line 7); row skipped` },
        { file, line: 9, message: `user <root_account> does not match arn arn:aws:iam::${ACCOUNT}:user/root; row skipped` },
      ],
    });
  });

  it("reads the get-credential-report JSON answer and its bare base64 content", () => {
    const expected = {
      entities: [root, rootKey, alice, aliceKey],
      relationships: [has("aws_root_account", ROOT_ARN, 1), has("aws_iam_user", alice.arn, 1)],
      warnings: [],
    };
    const answer = fixture("get-credential-report.json");
    expect(parseCredentialReport(answer, "report.json")).toEqual(expected);
    const content = (JSON.parse(answer) as { Content: string }).Content;
    // `--query Content --output text` wraps nothing, but base64 tools fold lines
    const folded = content.replace(/.{76}/g, "$&\n");
    expect(parseCredentialReport(folded, "report.b64")).toEqual(expected);
  });

  it("throws for a file that is not a credential report", () => {
    expect(() => parseCredentialReport("name,arn\nx,y\n", "r.csv")).toThrow(ParseError);
    expect(() => parseCredentialReport("name,arn\nx,y\n", "r.csv")).toThrow('r.csv, line 1: no "user" column: not a credential report');
    expect(() => parseCredentialReport('{"ReportFormat": "text/csv"}', "r.json")).toThrow('r.json: no "Content" in the get-credential-report answer');
    expect(parseCredentialReport("", "r.csv")).toEqual({ entities: [], relationships: [], warnings: [] });
  });

  it("reads the columns by name, whatever their order, with quoted fields", () => {
    const header = [...CREDENTIAL_REPORT_COLUMNS].reverse();
    const row: Record<string, string> = Object.fromEntries(CREDENTIAL_REPORT_COLUMNS.map((c) => [c, "N/A"]));
    Object.assign(row, {
      user: "svc",
      arn: `arn:aws-us-gov:iam::${ACCOUNT}:user/svc`,
      user_creation_time: "2020-01-01T00:00:00+01:00",
      password_enabled: "FALSE",
      mfa_active: "false",
      access_key_2_active: "true",
      access_key_2_last_rotated: "2020-01-02T00:00:00+00:00",
      access_key_2_last_used_service: "sts",
    });
    const csv = `${header.join(",")}\n${header.map((c) => `"${row[c]}"`).join(",")}\n`;
    const result = parseCredentialReport(csv, "r.csv");
    expect(result.warnings).toEqual([]);
    expect(result.entities).toEqual([
      {
        _key: `aws_iam_user:arn:aws-us-gov:iam::${ACCOUNT}:user/svc`,
        _type: "aws_iam_user",
        _class: "User",
        displayName: "svc",
        name: "svc",
        arn: `arn:aws-us-gov:iam::${ACCOUNT}:user/svc`,
        accountId: ACCOUNT,
        createdOn: Date.UTC(2019, 11, 31, 23),
        passwordEnabled: false,
        mfaActive: false,
      },
      {
        _key: `arn:aws-us-gov:iam::${ACCOUNT}:user/svc#key2`,
        _type: "aws_iam_access_key",
        _class: "AccessKey",
        displayName: "svc access key 2",
        active: true,
        lastRotatedOn: Date.UTC(2020, 0, 2),
        lastUsedService: "sts",
      },
    ]);
  });
});

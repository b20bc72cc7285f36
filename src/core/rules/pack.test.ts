/**
 * parsePack: a good pack becomes rules with their parameters filled in; a bad
 * one is refused whole, naming the file, the line, the rule and the field.
 */
import { describe, expect, it } from "vitest";
import { InputError } from "../../shared/errors.js";
import { DAY_MS } from "../maintenance/due.js";
import { fill, filledQuery, parsePack } from "./pack.js";
import { THREE_RS_PACK } from "./three-rs.js";

const GOOD = `pack: my-pack
description: What this pack is for.
parameters: { maxDays: 30 }
rules:
  - id: stale-terraform
    title: Terraform older than 1.0 for {{maxDays}} days
    r: repair
    rationale: Old providers stop getting security fixes and block the upgrade path.
    appliesTo: [mutable-vm]
    notApplicable: do something else
    query: Find CodeRepo with terraformVersion ^= '0.' and lastCommitOn > date.now - {{maxDays}} days
    open:
      short: Upgrade Terraform to 1.x
      description: Why and how, within {{maxDays}} days.
      link: https://wiki.example.com/tf1
    severity: high
    due: 2w
  - id: no-readme
    title: Repos without a README
    r: hygiene
    rationale: Nobody can take over a repository that does not say what it is.
    query: Find CodeRepo with hasReadme = false and stars > {{minStars}}
    parameters: { minStars: 5, maxDays: 7 }
    open: { short: Write a README, description: Say what it is., link: "https://wiki.example.com/readme" }
    severity: low
    due: sla
    enabled: false
`;

/** The good pack with its first rule's line `from` replaced by `to` (or the whole text transformed). */
function bad(from: string | RegExp, to: string): string {
  const text = GOOD.replace(from, to);
  if (text === GOOD) throw new Error(`the test's replacement of ${String(from)} changed nothing`);
  return text;
}

function refusal(text: string, source = "rules/my-pack.yaml"): InputError {
  try {
    parsePack(text, source);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error("the pack was accepted");
}

describe("parsePack: a good pack", () => {
  it("gives each rule its fields, its parameters (pack defaults, then the rule's) and its due period", () => {
    const pack = parsePack(GOOD, "rules/my-pack.yaml");
    expect(pack).toMatchObject({ name: "my-pack", description: "What this pack is for.", source: "rules/my-pack.yaml" });
    expect(pack.rules).toHaveLength(2);
    const [tf, readme] = pack.rules;
    expect(tf).toEqual({
      pack: "my-pack",
      id: "stale-terraform",
      title: "Terraform older than 1.0 for {{maxDays}} days",
      r: "repair",
      rationale: "Old providers stop getting security fixes and block the upgrade path.",
      appliesTo: ["mutable-vm"],
      notApplicable: "do something else",
      query: "Find CodeRepo with terraformVersion ^= '0.' and lastCommitOn > date.now - {{maxDays}} days",
      open: { short: "Upgrade Terraform to 1.x", description: "Why and how, within {{maxDays}} days.", link: "https://wiki.example.com/tf1" },
      severity: "high",
      due: 14 * DAY_MS,
      parameters: { maxDays: 30 },
      enabled: true,
    });
    expect(fill(tf!.title, tf!.parameters)).toBe("Terraform older than 1.0 for 30 days");
    // the rule's own parameters win over the pack's; no appliesTo: every model
    expect(readme).toMatchObject({ id: "no-readme", due: "sla", enabled: false, parameters: { maxDays: 7, minStars: 5 } });
    expect(readme!.appliesTo).toBeUndefined();
    expect(readme!.notApplicable).toBeUndefined();
  });

  it("the built-in pack parses, with the twelve rule ids of the issue", () => {
    const pack = parsePack(THREE_RS_PACK, "built-in");
    expect(pack.name).toBe("three-rs");
    expect(pack.rules.map((r) => r.id)).toEqual([
      "repair-host-patch",
      "repair-image-pinning",
      "repair-vulnerable-packages",
      "rotate-access-key-age",
      "rotate-access-key-unused",
      "rotate-vault-secret-age",
      "repave-host-age",
      "hygiene-no-owner",
      "hygiene-archived-deployed",
      "aging-repo-deployed",
      "aging-host-unseen",
      "aging-image-running",
    ]);
    for (const rule of pack.rules) {
      expect(rule.rationale.length).toBeGreaterThan(20);
      // no {{parameter}} left unfilled in what a person reads
      for (const text of [rule.title, rule.open.short, rule.open.description]) expect(fill(text, rule.parameters)).not.toMatch(/\{\{/);
    }
    const repave = pack.rules.find((r) => r.id === "repave-host-age")!;
    expect(repave.appliesTo).toEqual(["mutable-vm", "bare-metal"]);
    expect(repave.appliesTo).not.toContain("immutable-container");
    expect(repave.appliesTo).not.toContain("serverless");
  });

  it("filledQuery writes the parameters in as J1QL values, and the result compiles", () => {
    expect(filledQuery({ query: "Find Host with a < date.now - {{d}} days and b = {{s}} and c = {{t}} and e = {{x}}", parameters: { d: 30, s: "it's", t: true } })).toBe(
      "Find Host with a < date.now - 30 days and b = 'it\\'s' and c = true and e = {{x}}",
    );
    for (const rule of parsePack(THREE_RS_PACK, "built-in").rules) {
      expect(() => parsePack(THREE_RS_PACK.replace(rule.query, filledQuery(rule)), "built-in")).not.toThrow();
    }
  });

  it("fill leaves an unknown placeholder as it is", () => {
    expect(fill("{{a}} and {{ b }} and {{c}}", { a: 1, b: "two" })).toBe("1 and two and {{c}}");
  });
});

describe("parsePack: a bad pack names file, line, rule and field", () => {
  it("an unknown r", () => {
    const e = refusal(bad("r: repair", "r: rebuild"));
    expect(e.message).toMatch(/^rules\/my-pack\.yaml:7: rule stale-terraform: rules\[0\]\.r: /);
    expect(e.message).toContain('"repair"');
  });

  it("a missing rationale says it is required", () => {
    const e = refusal(bad(/ {4}rationale: Old providers.*\n/, ""));
    expect(e.message).toMatch(/^rules\/my-pack\.yaml:5: rule stale-terraform: rules\[0\]\.rationale: /);
    expect(e.message).toMatch(/required/);
  });

  it("a rationale too short to name a threat", () => {
    const e = refusal(bad("rationale: Old providers stop getting security fixes and block the upgrade path.", "rationale: old"));
    expect(e.message).toMatch(/^rules\/my-pack\.yaml:8: rule stale-terraform: rules\[0\]\.rationale: say which threat/);
  });

  it("an unknown appliesTo model", () => {
    const e = refusal(bad("appliesTo: [mutable-vm]", "appliesTo: [mutable-vm, vm]"));
    expect(e.message).toMatch(/^rules\/my-pack\.yaml:9: rule stale-terraform: rules\[0\]\.appliesTo\[1\]: /);
    expect(e.message).toContain("immutable-container");
  });

  it("a query that does not compile, with its position in the query", () => {
    const e = refusal(bad("terraformVersion ^= '0.' and", "terraformVersion ^= and"));
    expect(e.message).toMatch(/^rules\/my-pack\.yaml:11: rule stale-terraform: rules\[0\]\.query: /);
    expect(e.message).toMatch(/line 1, column \d+/);
  });

  it("a query with a RETURN", () => {
    const e = refusal(bad(/query: Find CodeRepo with terraformVersion.*\n/, "query: Find CodeRepo as r return r.name\n"));
    expect(e.message).toMatch(/rules\[0\]\.query: .*drop the RETURN/);
  });

  it("a duplicate rule id names the second", () => {
    const e = refusal(bad("- id: no-readme", "- id: stale-terraform"));
    expect(e.message).toMatch(/^rules\/my-pack\.yaml:18: rule stale-terraform: rules\[1\]\.id: "stale-terraform" is used twice/);
  });

  it("a parameter with no default, in the query: says to give one in the pack", () => {
    const e = refusal(bad("- {{maxDays}} days\n    open", "- {{maxAge}} days\n    open"));
    expect(e.message).toMatch(/^rules\/my-pack\.yaml:11: rule stale-terraform: rules\[0\]\.query: /);
    expect(e.message).toContain("maxAge");
    expect(e.message).toMatch(/parameters:/);
    // not the hint for a query typed on the command line
    expect(e.message).not.toContain("--param");
  });

  it("a parameter with no default, in the title or the description", () => {
    expect(refusal(bad("for {{maxDays}} days\n", "for {{maxAge}} days\n")).message).toMatch(
      /^rules\/my-pack\.yaml:6: rule stale-terraform: rules\[0\]\.title: .*maxAge/,
    );
    expect(refusal(bad("within {{maxDays}} days.", "within {{maxAge}} days.")).message).toMatch(
      /rule stale-terraform: rules\[0\]\.open\.description: .*maxAge/,
    );
  });

  it("an unknown field of a rule, and of open", () => {
    expect(refusal(bad("    severity: high\n", "    severity: high\n    colour: red\n")).message).toMatch(
      /^rules\/my-pack\.yaml:17: rule stale-terraform: rules\[0\]\.colour: not a field of a rule/,
    );
    expect(refusal(bad("link: https://wiki.example.com/tf1", "link: https://wiki.example.com/tf1\n      url: x")).message).toMatch(
      /rule stale-terraform: rules\[0\]\.open\.url: not a field/,
    );
  });

  it("an unknown field of the pack is named, even when a required one is missing too", () => {
    const e = refusal("pack: p\ndescription: d\nrulez: []\n");
    expect(e.message).toMatch(/^rules\/my-pack\.yaml:3: rulez: not a field of a pack/);
  });

  it("a bad severity, due, link, short description and id", () => {
    expect(refusal(bad("severity: high", "severity: urgent")).message).toMatch(/:16: rule stale-terraform: rules\[0\]\.severity: /);
    expect(refusal(bad("due: 2w", "due: soon")).message).toMatch(/:17: rule stale-terraform: rules\[0\]\.due: a period such as 14d/);
    expect(refusal(bad("link: https://wiki.example.com/tf1", "link: ftp://wiki.example.com/tf1")).message).toMatch(
      /rules\[0\]\.open\.link: an http\(s\) link/,
    );
    expect(refusal(bad("short: Upgrade Terraform to 1.x", `short: ${"x".repeat(51)}`)).message).toMatch(
      /rules\[0\]\.open\.short: at most 50 characters/,
    );
    expect(refusal(bad("- id: stale-terraform", "- id: Stale_Terraform")).message).toMatch(/rule Stale_Terraform: rules\[0\]\.id: lower-case/);
  });

  it("a rule that is not a mapping, and a pack without rules", () => {
    expect(refusal("pack: p\ndescription: d\nrules:\n  - just text\n").message).toMatch(/rule #1: rules\[0\]: /);
    expect(refusal("pack: p\ndescription: d\nrules: []\n").message).toMatch(/rules: a pack needs at least one rule/);
  });

  it("YAML that does not parse names the file, line and column", () => {
    expect(refusal("pack: p\ndescription: [unclosed\n").message).toMatch(/^rules\/my-pack\.yaml:\d+:\d+: /);
  });
});

describe("parsePack: a field of the wrong type is not called missing", () => {
  it("a number for a title", () => {
    const e = refusal(GOOD.replace("title: Terraform older than 1.0 for {{maxDays}} days", "title: 5"));
    expect(e.message).toMatch(/rules\[0\]\.title: /);
    expect(e.message).not.toMatch(/missing/);
  });
});

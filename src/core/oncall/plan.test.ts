import { describe, expect, it } from "vitest";
import { normaliseDn } from "./ldap.js";
import { planChange, planChanges } from "./plan.js";

const user = (name: string) => ({ name, memberValue: name });
const onCall = (...names: string[]) => names.map((n) => ({ email: `${n}@example.org`, matches: [user(n)] }));
const base = { permanent: [] as string[], allowEmpty: false, force: false };

describe("planChange", () => {
  it("adds who is on call and removes who is not", () => {
    const plan = planChange({ ...base, current: ["alice", "bob"], onCall: onCall("alice", "carol") });
    expect(plan.add).toEqual(["carol"]);
    expect(plan.remove).toEqual(["bob"]);
    expect(plan.refused).toBeUndefined();
    expect(planChanges(plan)).toBe(true);
  });

  it("changes nothing when the group matches", () => {
    const plan = planChange({ ...base, current: ["carol", "alice"], onCall: onCall("alice", "carol") });
    expect(plan.add).toEqual([]);
    expect(plan.remove).toEqual([]);
    expect(planChanges(plan)).toBe(false);
  });

  it("never removes permanent members, and adds them when missing", () => {
    const plan = planChange({ ...base, permanent: ["root-admin", "ops"], current: ["root-admin", "bob"], onCall: onCall("carol") });
    expect(plan.remove).toEqual(["bob"]);
    expect(plan.add.sort()).toEqual(["carol", "ops"]);
    expect(plan.keptPermanent).toEqual(["root-admin"]);
  });

  it("skips and reports unknown and ambiguous emails, applying the rest", () => {
    const plan = planChange({
      ...base,
      current: ["alice"],
      onCall: [
        { email: "ghost@example.org", matches: [] },
        { email: "twins@example.org", matches: [user("twin1"), user("twin2")] },
        ...onCall("carol"),
      ],
    });
    expect(plan.skipped).toEqual([
      { email: "ghost@example.org", reason: "no directory user has this email" },
      { email: "twins@example.org", reason: "2 directory users have this email (twin1, twin2)" },
    ]);
    expect(plan.add).toEqual(["carol"]);
    expect(plan.remove).toEqual(["alice"]);
    expect(plan.refused).toBeUndefined();
  });

  it("leaves the group as it is when nobody is on call, unless allowEmpty", () => {
    const refused = planChange({ ...base, current: ["alice", "bob"], onCall: [] });
    expect(refused.refused?.rail).toBe("empty");
    expect(refused.refused?.message).toMatch(/nobody is on call.*allowEmpty/);
    expect(planChanges(refused)).toBe(false);
    const allowed = planChange({ ...base, allowEmpty: true, permanent: ["root-admin"], current: ["alice", "root-admin"], onCall: [] });
    expect(allowed.refused).toBeUndefined();
    expect(allowed.remove).toEqual(["alice"]);
    expect(allowed.add).toEqual([]);
  });

  it("refuses when PagerDuty names people but none maps to a user, even with allowEmpty", () => {
    const plan = planChange({ ...base, allowEmpty: true, current: ["alice"], onCall: [{ email: "x@y", matches: [] }] });
    expect(plan.refused?.message).toMatch(/none of the people on call has a directory user/);
    expect(planChanges(plan)).toBe(false);
  });

  it("refuses a change larger than maxChange unless forced", () => {
    const input = { ...base, maxChange: 2, current: ["alice", "bob"], onCall: onCall("carol", "dave") };
    const refused = planChange(input);
    expect(refused.refused?.rail).toBe("maxChange");
    expect(refused.refused?.message).toMatch(/2 added, 2 removed.*maxChange \(2\).*--force/);
    const forced = planChange({ ...input, force: true });
    expect(forced.refused).toBeUndefined();
    expect(forced.forced).toMatch(/--force/);
    expect(planChanges(forced)).toBe(true);
    expect(planChange({ ...input, maxChange: 4 }).refused).toBeUndefined();
  });

  it("has no limit by default: a whole rotation may change", () => {
    const plan = planChange({ ...base, permanent: ["root-admin"], current: ["a", "b", "c", "root-admin"], onCall: onCall("d", "e", "f") });
    expect(plan.refused).toBeUndefined();
    expect(plan.add.length + plan.remove.length).toBe(6);
  });

  it("compares DNs loosely and de-duplicates people on call twice", () => {
    const dn = (n: string) => `uid=${n},ou=people,dc=example,dc=org`;
    const plan = planChange({
      ...base,
      key: normaliseDn,
      current: ["UID=alice, ou=People, dc=example, dc=org"],
      onCall: [
        { email: "alice@example.org", matches: [{ name: "alice", memberValue: dn("alice") }] },
        { email: "alice.alias@example.org", matches: [{ name: "alice", memberValue: dn("alice") }] },
      ],
    });
    expect(plan.add).toEqual([]);
    expect(plan.remove).toEqual([]);
    expect(plan.onCall).toHaveLength(1);
  });
});

/**
 * selectEntities: what runQuery's list gives, without shaping each entity
 * (ids, keys and types at once; properties and the item on demand), and
 * `onlyKey` restricting the query's first step to one entity.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, openTestStore } from "../../test/helpers/pg.js";
import type { GraphStore } from "../store/types.js";
import { runQuery, selectEntities } from "./run.js";

const NOW = Date.UTC(2027, 0, 10);
const DAY = 86_400_000;

describe.each(BACKENDS)("selectEntities on %s", (backend) => {
  let store: GraphStore;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ store, close } = await openTestStore(backend));
    await store.upsert(
      {
        entities: [
          { _key: "host:a", _type: "host", _class: "Host", displayName: "a", lastPatchedOn: NOW - 40 * DAY, os: "linux" },
          { _key: "host:b", _type: "host", _class: "Host", displayName: "b", lastPatchedOn: NOW - 5 * DAY, os: "linux" },
          { _key: "host:c", _type: "host", _class: "Host", displayName: "c", lastPatchedOn: NOW - 90 * DAY, os: "windows" },
          { _key: "team:x", _type: "team", _class: "Team", displayName: "x" },
        ],
        relationships: [{ _key: "team:x|owns|host:c", _type: "team_owns_host", _class: "OWNS", _fromEntityKey: "team:x", _toEntityKey: "host:c" }],
      },
      { now: NOW, source: "test" },
    );
  });
  afterAll(async () => close?.());

  const query = "Find Host with lastPatchedOn < date.now - {{days}} days";

  it("selects what runQuery lists, and decodes the same item on demand", async () => {
    const listed = await runQuery(store, query, { now: NOW, all: true, parameters: { days: 30 } });
    const selected = await selectEntities(store, query, { now: NOW, parameters: { days: 30 } });
    expect(selected.map((e) => [e.key, e.type])).toEqual([
      ["host:a", "host"],
      ["host:c", "host"],
    ]);
    expect(listed.type === "list" && listed.data).toEqual(selected.map((e) => e.item()));
    expect(selected[1]!.props()).toMatchObject({ os: "windows", lastPatchedOn: NOW - 90 * DAY });
  });

  it("onlyKey: the entity if the query selects it, else nothing; the rest of the query still applies", async () => {
    const only = async (key: string, text = query) => (await selectEntities(store, text, { now: NOW, parameters: { days: 30 }, onlyKey: key })).map((e) => e.key);
    expect(await only("host:c")).toEqual(["host:c"]);
    expect(await only("host:b")).toEqual([]);
    expect(await only("nope' OR 1=1 --")).toEqual([]);
    // a query without a WITH on its first step, and one that traverses
    expect(await only("host:b", "Find Host")).toEqual(["host:b"]);
    expect(await only("host:c", "Find Host that !OWNS Team")).toEqual([]);
    expect(await only("host:a", "Find Host that !OWNS Team")).toEqual(["host:a"]);
  });

  it("refuses a query with RETURN", async () => {
    await expect(selectEntities(store, "Find Host as h return h.os", { now: NOW })).rejects.toThrow(/drop the RETURN/);
  });
});

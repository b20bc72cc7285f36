/**
 * The query page in Debian's Chromium: a list shows the properties the query
 * filtered on and the common ones (a finding's shortDescription, owner,
 * status, dueDate), dates as dates whatever the column's alias, columns sort,
 * the rows download as CSV, and a mistake's position is said once.
 */
import fs from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_SIZE, generateOrg } from "../src/core/sample/generate-org.js";
import { defaultWebDir } from "../src/server/static.js";
import { isolatedContext, launchChromium } from "./helpers/browser.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const NOW = Date.UTC(2026, 5, 1, 12);
const ARTIFACTS = path.resolve("test/artifacts");
const ISO_DAY = /^\d{4}-\d\d-\d\d( \d\d:\d\d)?$/;

describe("the query page in Chromium", () => {
  let t: TestServer;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  const run = async (query: string) => {
    await page.goto(`${t.url}/query?q=${encodeURIComponent(query)}`);
    await page.getByTestId("result-table").waitFor();
  };
  const headers = () => page.getByTestId("result-table").locator("thead th").allInnerTexts();
  const column = async (label: string) => {
    const index = (await headers()).map((h) => h.replace(/[▲▼]/g, "").trim()).indexOf(label);
    expect(index).toBeGreaterThanOrEqual(0);
    return page.getByTestId("result-table").locator(`tbody tr > :nth-child(${index + 1})`).allInnerTexts();
  };

  beforeAll(async () => {
    if (!defaultWebDir()) throw new Error("dist/web/index.html is missing: run npm run build first");
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    t = await startTestServer("sqlite", { now: () => NOW });
    await t.store.upsertMany(generateOrg({ size: DEMO_SIZE, now: NOW }), { now: NOW, source: "demo" });
    browser = await launchChromium();
    const { context } = await isolatedContext(browser, t.url);
    page = await context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error" && !/status of 400 /.test(m.text())) problems.push(m.text());
    });
    page.on("pageerror", (e) => problems.push(String(e)));
    await page.goto(`${t.url}/`);
    await page.getByLabel("API token").fill(t.tokens.reader);
    await page.getByLabel("API token").press("Enter");
    await page.getByTestId("overview").waitFor();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it("lists findings with the properties filtered on and the common ones, dates as dates", async () => {
    await run("Find deferred_maintenance with closed = false and dueDate < date.now");
    await expect.poll(() => page.getByTestId("result-table").locator("tbody tr").count()).toBeGreaterThan(0);
    const h = (await headers()).map((x) => x.trim());
    expect(h.slice(0, 8)).toEqual(["displayName", "_type", "closed", "dueDate", "shortDescription", "entityName", "owner", "status"]);
    const due = await column("dueDate");
    expect(due.length).toBeGreaterThan(0);
    for (const d of due) expect(d).toMatch(ISO_DAY);
    // a query on another property shows it, though it comes late in the alphabet
    await run("Find CodeRepo with public = true");
    expect((await headers()).map((x) => x.trim())).toContain("public");
    await shot("query-list");
  }, 60_000);

  it("formats a date column whatever its alias, sorts by any column, and downloads the rows as CSV", async () => {
    const q =
      "Find deferred_maintenance with closed=false as m that HAS CodeRepo as r return r.name as repo, m.dueDate as due, m.owner as team ORDER BY m.dueDate ASC LIMIT 30";
    await run(q);
    const api = (await t.call("POST", "/api/v1/query", { token: t.tokens.reader, body: { query: q, limit: 250 } })).json;
    expect(api.columns).toEqual([
      { name: "repo", property: "name" },
      { name: "due", property: "dueDate" },
      { name: "team", property: "owner" },
    ]);
    const due = await column("due");
    expect(due).toHaveLength(api.data.length);
    for (const d of due) expect(d).toMatch(ISO_DAY);
    expect(due[0]).toBe(new Date(api.data[0].due).toISOString().slice(0, 16).replace("T", " ").replace(/ 00:00$/, ""));

    // sort by due, descending then ascending
    const header = page.getByTestId("result-table").getByRole("button", { name: "due" });
    await header.click();
    await expect.poll(async () => (await column("due"))[0]).toBe([...due].sort().at(0));
    await header.click();
    await expect.poll(async () => (await column("due"))[0]).toBe([...due].sort().at(-1));
    expect(await page.getByTestId("result-table").locator("th[aria-sort=descending]").innerText()).toContain("due");
    await page.getByTestId("result-table").getByRole("button", { name: "repo" }).click();
    const repos = await column("repo");
    expect(repos).toEqual([...repos].sort((a, b) => a.localeCompare(b)));

    const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("result-table-csv").click()]);
    expect(download.suggestedFilename()).toBe("query.csv");
    const csv = fs.readFileSync((await download.path())!, "utf8").trimEnd().split("\r\n");
    expect(csv[0]).toBe("repo,due,team");
    expect(csv).toHaveLength(api.data.length + 1);
    expect(csv[1]!.split(",")[1]).toMatch(ISO_DAY);
    await shot("query-table-dates");
  }, 60_000);

  it("says a mistake's position once, and marks it in the query", async () => {
    await page.goto(`${t.url}/query?q=${encodeURIComponent("Find CodeRepo wiht name='x'")}`);
    const error = page.getByTestId("query-error");
    await error.waitFor();
    const text = await error.innerText();
    expect(text.split("line 1, column 15")).toHaveLength(2);
    expect(await error.locator("mark").innerText()).toBe("wiht");
    expect(problems).toEqual([]);
  }, 60_000);

  const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `dashboard-${name}.png`), fullPage: true });
});

/**
 * The dashboard's team pages, search, tables, percentages, and its phone and
 * dark layouts, in Debian's Chromium against `dm serve` over the sample
 * organisation (plus two repos whose owners differ from `identity` only by
 * case and by a suffix). Screenshots at 1440 and 390 px, light and dark, go to
 * test/artifacts/. Needs the build (npm run build: dist/web).
 */
import fs from "node:fs";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { percent } from "../src/cli/commands/stats.js";
import { DEMO_SIZE, generateOrg } from "../src/core/sample/generate-org.js";
import { defaultWebDir } from "../src/server/static.js";
import { isolatedContext, launchChromium } from "./helpers/browser.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const NOW = Date.UTC(2026, 5, 1, 12);
const ARTIFACTS = path.resolve("test/artifacts");
const OWNER = "identity";

describe("dashboard teams, search and tables in Chromium", () => {
  let t: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let blocked: string[];
  const problems: string[] = [];
  let itemId: string;

  const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `dashboard-${name}.png`), fullPage: true });
  const text = async (testId: string) => (await page.getByTestId(testId).innerText()).trim();
  // biome-ignore lint/suspicious/noExplicitAny: the API's JSON
  const get = async (route: string): Promise<any> => (await t.call("GET", route, { token: t.tokens.reader })).json;

  beforeAll(async () => {
    if (!defaultWebDir()) throw new Error("dist/web/index.html is missing: run npm run build first (npm test does)");
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    t = await startTestServer("sqlite", { now: () => NOW });
    await t.store.upsertMany(generateOrg({ size: DEMO_SIZE, now: NOW }), { now: NOW, source: "demo" });
    // owners that a substring filter would confuse with "identity": another case, and a longer name
    await t.store.upsert(
      {
        entities: [
          { _key: "repo:login-shim", _type: "github_repo", _class: ["CodeRepo"], name: "login-shim", displayName: "login-shim", owner: "Identity" },
          { _key: "repo:idp-infra", _type: "github_repo", _class: ["CodeRepo"], name: "idp-infra", displayName: "idp-infra", owner: "identity-infra" },
        ],
        relationships: [],
      },
      { now: NOW, source: "test" },
    );
    const opened = await t.call("POST", "/api/v1/maintenance", {
      token: t.tokens.maintainer,
      body: {
        query: "Find CodeRepo with owner = ('identity' or 'Identity' or 'identity-infra')",
        shortDescription: "Rotate signing keys",
        webLink: "https://wiki.example.com/keys",
        due: "30d",
      },
    });
    expect(opened.status).toBe(201);
    itemId = opened.json.maintenanceId;

    browser = await launchChromium();
    ({ context, blocked } = await isolatedContext(browser, t.url));
    page = await context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error" && !/status of (400|401|404) /.test(m.text())) problems.push(m.text());
    });
    page.on("pageerror", (e) => problems.push(String(e)));
    await page.goto(`${t.url}/`);
    await page.evaluate((token) => sessionStorage.setItem("dm.token", token), t.tokens.reader);
    await page.goto(`${t.url}/`);
    await page.getByTestId("overview").waitFor();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it("rounds percentages as dm stats does, explains 'behind', shows campaign IDs, sorts and downloads its tables", async () => {
    const overview = await get("/api/v1/overview");
    const rows = page.getByTestId("campaigns").locator("tbody tr");
    expect(await rows.count()).toBe(overview.campaigns.length);
    for (const [i, c] of overview.campaigns.entries()) {
      const row = rows.nth(i);
      // the CLI's own function: 8/29 is 27% in both
      expect(await row.innerText()).toContain(`${c.total - c.open}/${c.total} ${percent(c.completion)}`);
      expect(await row.locator("code").innerText()).toBe(c.maintenanceId);
    }
    expect(percent(8 / 29)).toBe("27%");
    expect(await text("behind-explained")).toContain("share of the time from opening to the due date that has passed, minus the share");

    // the owners table sorts by a column, both ways
    const owners = page.getByTestId("riskiest-owners");
    await owners.getByRole("button", { name: "Open" }).click();
    const open = (await owners.locator("tbody tr td.num:nth-child(4)").allInnerTexts()).map((s) => Number(s.replace(/,/g, "")));
    expect(open).toEqual([...open].sort((a, b) => b - a));
    await owners.getByRole("button", { name: "Open" }).click();
    const ascending = (await owners.locator("tbody tr td.num:nth-child(4)").allInnerTexts()).map((s) => Number(s.replace(/,/g, "")));
    expect(ascending).toEqual([...open].reverse());

    const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("campaigns-csv").click()]);
    expect(download.suggestedFilename()).toBe("campaigns.csv");
    const csv = fs.readFileSync((await download.path())!, "utf8").trimEnd().split("\r\n");
    expect(csv[0]).toBe("Item,ID,Done,Overdue,Due,Schedule,Forecast");
    expect(csv).toHaveLength(overview.campaigns.length + 1);
    expect(csv[1]!.split(",")[1]).toBe(overview.campaigns[0].maintenanceId);
    await shot("overview-sortable");

    // the riskiest assets: the top 10 and how many there are; "See all" lists them all
    expect(overview.riskiestAssets).toHaveLength(10);
    const all = await get("/api/v1/overview?all=true");
    expect(all.riskiestAssets).toHaveLength(Math.min(overview.counts.assets, 500));
    expect(all.riskiestAssets.slice(0, 10)).toEqual(overview.riskiestAssets);
    expect(await page.getByTestId("riskiest-assets").locator("tbody tr").count()).toBe(10);
    expect(overview.counts.assets).toBeGreaterThan(10);
    await page.getByTestId("see-all-assets").click();
    await expect.poll(() => page.getByTestId("riskiest-assets").locator("tbody tr").count()).toBe(all.riskiestAssets.length);
    expect(await page.getByTestId("see-all-assets").count()).toBe(0);
  }, 60_000);

  it("opens a team's page from the overview's owner row: the owner report's counts, accepted items, worst assets, burndown, the CLI command", async () => {
    await page.getByTestId("riskiest-owners").getByRole("link", { name: OWNER, exact: true }).click();
    await page.getByTestId("team").waitFor();
    expect(page.url()).toBe(`${t.url}/teams/${OWNER}`);
    const team = await get(`/api/v1/teams/${OWNER}`);
    // the same counting as dm report --owner (whatever the case of the owner)
    const report = await get(`/api/v1/report?owner=${OWNER.toUpperCase()}`);
    expect([team.counts.open, team.counts.overdue]).toEqual([report.open, report.overdue]);
    expect(await text("team-open")).toBe(report.open.toLocaleString("en-US"));
    expect(await text("team-overdue")).toBe(report.overdue.toLocaleString("en-US"));
    expect(await text("team-accepted")).toBe(String(team.counts.accepted));
    expect(await text("team-command")).toBe("dm report --owner identity");
    // login-shim (owner "Identity") is the team's; idp-infra (owner "identity-infra") is not
    expect(report.findings.some((f: { entityKey: string }) => f.entityKey === "repo:login-shim")).toBe(true);
    expect(team.findings.some((f: { entityKey: string }) => f.entityKey === "repo:idp-infra")).toBe(false);
    const findingRows = page.getByTestId("team-findings").locator("tbody tr");
    expect(await findingRows.count()).toBe(Math.min(200, team.counts.open + team.counts.accepted));
    expect(await page.getByTestId("team-assets").locator("tbody tr th a").allInnerTexts()).toEqual(
      team.worstAssets.map((a: { name: string }) => a.name),
    );
    expect(await page.getByTestId("team-campaigns-table").locator("tbody tr").count()).toBe(team.counts.campaigns);
    expect((await page.getByTestId("burndown-actual").getAttribute("points"))!.split(" ")).toHaveLength(team.stats.burndown.length);
    await shot("team");

    // the Team entity's page says where its debt is, and links back
    await page.getByRole("link", { name: "team:identity" }).click();
    await page.getByTestId("asset").waitFor();
    expect((await page.getByRole("heading", { level: 1 }).innerText()).toLowerCase()).toBe(OWNER);
    expect(await page.locator("#findings-h").innerText()).toBe("Findings (0)");
    await page.getByTestId("team-page-link").getByRole("link", { name: "team page" }).click();
    await page.getByTestId("team").waitFor();
    expect(page.url()).toBe(`${t.url}/teams/${OWNER}`);
  }, 60_000);

  it("opens an asset by its key, and its owner's team page from there", async () => {
    await page.goto(`${t.url}/assets/repo:login-shim`);
    await page.getByTestId("asset").waitFor();
    expect(await page.getByRole("heading", { level: 1 }).innerText()).toBe("login-shim");
    expect(await page.getByTestId("finding").count()).toBe(1);
    await page.getByTestId("asset-owner").getByRole("link", { name: "Identity" }).click();
    await page.getByTestId("team").waitFor();
    // "Identity" and "identity" are one team, named as its Team entity spells it
    expect(await page.getByRole("heading", { level: 1 }).innerText()).toBe(OWNER);
    await page.goto(`${t.url}/assets/repo:no-such-repo`);
    await expect.poll(() => page.getByRole("alert").innerText()).toContain("no entity with _id or _key");
  }, 60_000);

  it("searches from the header: teams, repos, people and campaigns by the start of their name, and goes to their page", async () => {
    await page.goto(`${t.url}/`);
    await page.getByTestId("overview").waitFor();
    const box = page.getByRole("combobox", { name: "Search" });
    const results = page.getByTestId("search-results");

    await box.fill("IDENT");
    await expect.poll(() => results.locator("a").allInnerTexts()).toContain("team identity team");
    await shot("search");
    await box.press("Enter");
    await page.getByTestId("team").waitFor();
    expect(page.url()).toBe(`${t.url}/teams/${OWNER}`);

    await box.fill("login-s");
    await expect.poll(() => results.locator("a").count()).toBe(1);
    await results.getByRole("link").click();
    await page.getByTestId("asset").waitFor();
    expect(await page.getByRole("heading", { level: 1 }).innerText()).toBe("login-shim");

    await box.fill("rotate sign");
    await results.getByRole("link", { name: /Rotate signing keys/ }).click();
    await page.getByTestId("campaign").waitFor();
    expect(page.url()).toBe(`${t.url}/campaigns/${itemId}`);

    const person = (await t.call("POST", "/api/v1/query", { token: t.tokens.reader, body: { query: "Find Person", limit: 1 } })).json.data[0];
    await box.fill(person.properties.name.slice(0, 5).toLowerCase());
    await results.getByRole("link", { name: new RegExp(`person ${person.properties.name}`) }).first().click();
    await page.getByTestId("asset").waitFor();
    expect(page.url()).toBe(`${t.url}/assets/${person.id}`);

    await box.fill("zzzz-nothing");
    await expect.poll(() => results.innerText()).toContain("Nothing starts with");
  }, 60_000);

  it("filters a campaign by one owner exactly, shows closed and accepted columns, and keeps filter and sort in the address", async () => {
    const campaign = await get(`/api/v1/campaigns/${itemId}`);
    await page.goto(`${t.url}/campaigns/${itemId}`);
    await page.getByTestId("campaign").waitFor();
    const table = page.getByTestId("campaign-table");
    expect(await table.locator("thead th").allInnerTexts()).toEqual(
      expect.arrayContaining(["Closed on", "Closed by", "Accepted until"].map((s) => expect.stringContaining(s))),
    );
    const all = campaign.findings.length;
    const exact = campaign.findings.filter((f: { owner: string }) => f.owner.toLowerCase() === OWNER).length;
    const substring = campaign.findings.filter((f: { owner: string }) => f.owner.toLowerCase().includes(OWNER)).length;
    expect(substring).toBeGreaterThan(exact);
    // the owner select offers each owner once, whatever the case
    const options = await page.getByLabel("Owner").locator("option").allInnerTexts();
    const spelled = options.filter((o) => o.toLowerCase() === OWNER);
    expect(spelled).toHaveLength(1);
    expect(options).toContain("identity-infra");
    await page.getByLabel("Owner").selectOption({ label: spelled[0]! });
    expect(await text("row-count")).toBe(`${exact} of ${all} assets`);
    expect(await table.locator("tbody tr").allInnerTexts()).not.toContain(expect.stringContaining("idp-infra"));

    await page.getByLabel("Status").selectOption("open");
    await table.getByRole("button", { name: "Asset" }).click();
    expect(new URL(page.url()).searchParams.toString()).toBe(`status=open&owner=${spelled[0]}&sort=entityName&order=asc`);
    const names = await table.locator("tbody tr th a").allInnerTexts();

    // the address alone restores it (shared, or after a reload)
    const shared = page.url();
    await page.goto(`${t.url}/`);
    await page.goto(shared);
    await page.getByTestId("campaign").waitFor();
    expect(await page.getByLabel("Owner").inputValue()).toBe(spelled[0]);
    expect(await page.getByLabel("Status").inputValue()).toBe("open");
    expect(await table.locator("th[aria-sort=ascending]").innerText()).toContain("Asset");
    expect(await table.locator("tbody tr th a").allInnerTexts()).toEqual(names);
    await shot("campaign-owner-filter");
  }, 60_000);

  it("draws readable burndowns: date ticks, labels inside the chart, a far forecast clipped with its date said", async () => {
    const overview = await get("/api/v1/overview");
    let clipped = 0;
    for (const c of overview.campaigns) {
      await page.goto(`${t.url}/campaigns/${c.maintenanceId}`);
      await page.getByTestId("burndown").waitFor();
      expect(await page.getByTestId("burndown-tick").count()).toBeGreaterThanOrEqual(2);
      const outside = await page
        .getByTestId("burndown")
        .evaluate((svg) =>
          [...svg.querySelectorAll("text")]
            .filter((el) => {
              const b = (el as SVGTextElement).getBBox();
              return b.x < 0 || b.x + b.width > 720 || b.y < 0 || b.y + b.height > 260;
            })
            .map((el) => el.textContent),
        );
      expect([c.maintenanceId, outside]).toEqual([c.maintenanceId, []]);
      // hover values: a point per day, its tooltip the day's count
      const series = (await get(`/api/v1/campaigns/${c.maintenanceId}`)).stats.burndown as { date: string; open: number }[];
      const tips = await page.getByTestId("burndown-points").locator("circle title").allTextContents();
      expect(tips).toHaveLength(series.length);
      expect(tips.at(-1)).toBe(`${series.at(-1)!.date}: ${series.at(-1)!.open} open`);
      const note = page.getByTestId("burndown-clipped");
      if ((await note.count()) > 0) {
        clipped++;
        expect(await note.textContent()).toBe(`at this pace: ${new Date(c.forecast.finishDate).toISOString().slice(0, 10)}`);
        // the history keeps at least a third of the width
        const points = (await page.getByTestId("burndown-actual").getAttribute("points"))!.split(" ").map((p) => Number(p.split(",")[0]));
        expect(Math.max(...points) - Math.min(...points)).toBeGreaterThan((720 - 72) / 3);
      }
    }
    await shot("campaign-burndown");
    // the sample organisation has campaigns whose forecast is far out (3 at the time of writing)
    expect(clipped).toBeGreaterThan(0);
  }, 120_000);

  it("fits a 390 px phone without sideways scrolling and follows a dark system theme; screenshots at 1440 and 390, light and dark", async () => {
    const pages: [string, string, string][] = [
      ["overview", "/", "overview"],
      ["team", `/teams/${OWNER}`, "team"],
      ["campaign", `/campaigns/${itemId}`, "campaign"],
      ["asset", "/assets/repo:login-shim", "asset"],
      ["query", `/query?q=${encodeURIComponent("Find CodeRepo with owner = 'identity'")}`, "result-table"],
    ];
    for (const scheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const width of [1440, 390]) {
        await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
        for (const [name, address, ready] of pages) {
          await page.goto(`${t.url}${address}`);
          await page.getByTestId(ready).waitFor();
          const [scrollWidth, innerWidth, background] = await page.evaluate(() => [
            document.documentElement.scrollWidth,
            window.innerWidth,
            getComputedStyle(document.documentElement).backgroundColor,
          ]);
          expect([name, width, scheme, scrollWidth <= innerWidth]).toEqual([name, width, scheme, true]);
          // light: white; dark: a dark background
          const [r, g, b] = background.match(/\d+/g)!.map(Number);
          expect([name, scheme, (r! + g! + b!) / 3 > 128]).toEqual([name, scheme, scheme === "light"]);
          await shot(`${name}-${width}-${scheme}`);
        }
      }
    }
    await page.emulateMedia({ colorScheme: "light" });
    await page.setViewportSize({ width: 1280, height: 900 });
    expect(blocked).toEqual([]);
    expect(problems).toEqual([]);
  }, 180_000);

  it("links My items to the team a token stands for (dm token create --owner); a token for nobody has no such link", async () => {
    const nav = page.getByRole("navigation", { name: "Pages" });
    expect(await nav.getByRole("link", { name: "My items" }).count()).toBe(0);
    const created = await t.call("POST", "/api/v1/tokens", { body: { name: "identity-lead", role: "reader", owner: "Identity" } });
    expect([created.status, created.json.owner]).toEqual([201, "Identity"]);
    expect((await t.call("GET", "/api/v1/session", { token: created.json.token })).json.owner).toBe("Identity");
    await page.evaluate((token) => sessionStorage.setItem("dm.token", token), created.json.token);
    await page.goto(`${t.url}/`);
    await page.getByTestId("overview").waitFor();
    await nav.getByRole("link", { name: "My items" }).click();
    await page.getByTestId("team").waitFor();
    expect(page.url()).toBe(`${t.url}/teams/Identity`);
    // the same owner as "identity": counted without case
    const team = await get("/api/v1/teams/Identity");
    expect(await text("team-open")).toBe(team.counts.open.toLocaleString("en-US"));
    await page.evaluate((token) => sessionStorage.setItem("dm.token", token), t.tokens.reader);
  });
});

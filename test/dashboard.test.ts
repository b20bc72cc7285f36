/**
 * The dashboard in a real browser: Debian's Chromium (playwright-core)
 * against `dm serve` on a free port over the sample organisation, signed in
 * with a reader token. Each page is clicked through and what it shows is
 * checked against the API and the data; a screenshot of each page goes to
 * test/artifacts/ (not committed). Needs the build (npm run build: dist/web).
 */
import fs from "node:fs";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFindings } from "../src/core/maintenance/finding.js";
import { recordMembership } from "../src/core/oncall/graph.js";
import { DEMO_SIZE, generateOrg } from "../src/core/sample/generate-org.js";
import { defaultWebDir } from "../src/server/static.js";
import { isolatedContext, launchChromium } from "./helpers/browser.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const NOW = Date.UTC(2026, 5, 1, 12);
const ARTIFACTS = path.resolve("test/artifacts");
const GROUP_DN = "cn=oncall,ou=groups,dc=example,dc=org";

interface CampaignRow {
  findingId: string;
  assetId: string | null;
  entityKey: string;
  entityName: string;
  entityType: string;
  owner: string;
  status: string;
  daysOverdue: number | null;
}

describe("dashboard in Chromium", () => {
  let t: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let blocked: string[];
  /** console errors and uncaught exceptions in the page (a CSP violation shows up here too) */
  const problems: string[] = [];
  // biome-ignore lint/suspicious/noExplicitAny: the API's JSON
  let overview: any;
  let campaignId: string;
  let closedAsset: CampaignRow;

  const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `dashboard-${name}.png`), fullPage: true });
  const text = async (testId: string) => (await page.getByTestId(testId).innerText()).trim();

  beforeAll(async () => {
    if (!defaultWebDir()) throw new Error("dist/web/index.html is missing: run npm run build first (npm test does)");
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    t = await startTestServer("sqlite", { now: () => NOW });
    await t.store.upsertMany(generateOrg({ size: DEMO_SIZE, now: NOW }), { now: NOW, source: "demo" });
    // One finding closed through the API, so an asset has a history in the audit log.
    overview = (await t.call("GET", "/api/v1/overview", { token: t.tokens.reader })).json;
    campaignId = overview.campaigns[0].maintenanceId;
    const rows: CampaignRow[] = (await t.call("GET", `/api/v1/campaigns/${campaignId}`, { token: t.tokens.reader })).json.findings;
    closedAsset = rows.find((r) => r.status === "overdue" && r.entityType.endsWith("repo") && r.assetId)!;
    const closed = await t.call("POST", `/api/v1/maintenance/${campaignId}/close`, {
      token: t.tokens.maintainer,
      body: {
        reason: "COMPLETE",
        link: "https://git.example.com/pr/4242",
        query: `Find deferred_maintenance that HAS * with _key = '${closedAsset.entityKey}'`,
      },
    });
    expect(closed.json.closed).toBe(1);
    // An on-call group as dm oncall sync writes it.
    await recordMembership(
      t.store,
      {
        groupDN: GROUP_DN,
        members: ["alice", "carol"].map((n) => ({ key: `uid=${n}`, value: `uid=${n},ou=people,dc=example,dc=org`, name: n, email: `${n}@example.com` })),
        removed: [],
      },
      NOW,
    );
    await t.store.audit({ at: NOW, actor: "scheduler", action: "oncall.sync", subject: "ldap-group:oncall", details: { group: GROUP_DN, added: ["carol"], removed: ["bob"] } });
    overview = (await t.call("GET", "/api/v1/overview", { token: t.tokens.reader })).json;

    browser = await launchChromium();
    ({ context, blocked } = await isolatedContext(browser, t.url));
    page = await context.newPage();
    page.on("console", (m) => {
      // expected: the refused sign-in and the revoked token (401), the query with a mistake (400)
      if (m.type() === "error" && !/status of (400|401) /.test(m.text())) problems.push(m.text());
    });
    page.on("pageerror", (e) => problems.push(String(e)));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it("refuses a wrong token with a clear message, and signs in with a reader token from the keyboard", async () => {
    await page.goto(`${t.url}/`);
    const box = page.getByLabel("API token");
    await box.fill("dm_this-is-not-a-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => text("signin-error")).toContain("That token was not accepted");
    expect(await text("signin-error")).toContain("dm token create");
    expect(await page.evaluate(() => sessionStorage.getItem("dm.token"))).toBeNull();
    await shot("signin-failed");

    await box.fill(t.tokens.reader);
    await box.press("Enter");
    await page.getByTestId("overview").waitFor();
    expect(await text("signed-in-as")).toBe("reader (reader)");
    expect(await page.evaluate(() => sessionStorage.getItem("dm.token"))).toBe(t.tokens.reader);
    // the token is never in the page or the URL
    expect(await page.content()).not.toContain(t.tokens.reader);
    expect(page.url()).not.toContain(t.tokens.reader);
  }, 60_000);

  it("shows the overview's counts as the data has them, the riskiest assets and owners, campaigns most behind first", async () => {
    const findings = await loadFindings(t.store, NOW);
    const open = findings.filter((f) => !f.closed);
    const overdue = open.filter((f) => f.dueDate < NOW);
    const accepted = findings.filter((f) => f.closed && f.closeReason === "RISK_ACCEPTED");
    expect(overdue.length).toBeGreaterThan(0);
    expect(accepted.length).toBeGreaterThan(0);
    const n = (x: number) => x.toLocaleString("en-US");
    expect(await text("count-open")).toBe(n(open.length));
    expect(await text("count-overdue")).toBe(n(overdue.length));
    expect(await text("count-accepted")).toBe(n(accepted.length));
    expect(await text("count-campaigns")).toBe(String(new Set(findings.map((f) => f.maintenanceId)).size));

    const campaignNames = await page.getByTestId("campaigns").locator("tbody tr th").allInnerTexts();
    expect(campaignNames).toEqual(overview.campaigns.map((c: { shortDescription: string }) => c.shortDescription));
    const behind = overview.campaigns.map((c: { behind: number }) => c.behind);
    expect(behind).toEqual([...behind].sort((a: number, b: number) => b - a));

    const assets = await page.getByTestId("riskiest-assets").locator("tbody tr th a").allInnerTexts();
    expect(assets).toEqual(overview.riskiestAssets.map((a: { name: string }) => a.name));
    // the top asset really has the most overdue findings
    const perAsset = new Map<string, number>();
    for (const f of overdue) perAsset.set(f.entityKey, (perAsset.get(f.entityKey) ?? 0) + 1);
    expect(overview.riskiestAssets[0].overdue).toBe(Math.max(...perAsset.values()));
    const owners = await page.getByTestId("riskiest-owners").locator("tbody tr th").allInnerTexts();
    expect(owners.length).toBe(Math.min(10, new Set(open.map((f) => f.owner ?? "")).size));
    expect(owners[0]).toBe(overview.riskiestOwners[0].owner || "no owner");
    expect(blocked).toEqual([]);
    await shot("overview");
  }, 60_000);

  it("shows a campaign: progress, burndown with forecast and due date, and its asset table filtered, sorted and downloaded", async () => {
    const api = (await t.call("GET", `/api/v1/campaigns/${campaignId}`, { token: t.tokens.reader })).json;
    const rows: CampaignRow[] = api.findings;
    await page.getByTestId("campaigns").getByRole("link", { name: api.stats.shortDescription }).click();
    await page.getByTestId("campaign").waitFor();
    expect(page.url()).toBe(`${t.url}/campaigns/${campaignId}`);
    expect(await page.getByRole("heading", { level: 1 }).innerText()).toBe(api.stats.shortDescription);
    expect(await text("campaign-open")).toBe(api.stats.open.toLocaleString("en-US"));
    expect(await text("campaign-overdue")).toBe(String(api.stats.overdue));
    expect(await text("campaign-progress")).toBe(
      `${api.stats.closed.total}/${api.stats.total} done (${Math.floor(api.stats.completion * 100 + 1e-9)}%)`,
    );
    const bar = page.getByRole("progressbar", { name: "Campaign done" });
    expect(await bar.getAttribute("aria-valuenow")).toBe(String(Math.floor(api.stats.completion * 100 + 1e-9)));
    // the fill is drawn to scale (its width is set through the CSSOM, allowed by the CSP)
    const [fill, whole] = await bar.evaluate((el) => [el.firstElementChild!.getBoundingClientRect().width, el.getBoundingClientRect().width]);
    expect(fill! / whole!).toBeCloseTo(api.stats.completion, 1);
    const chart = page.getByTestId("burndown");
    expect(await chart.locator("[data-testid=burndown-due]").count()).toBe(1);
    expect(await chart.locator("[data-testid=burndown-forecast]").count()).toBe(api.stats.forecast.status === "done" ? 0 : 1);
    expect((await chart.locator("[data-testid=burndown-actual]").getAttribute("points"))!.split(" ")).toHaveLength(api.stats.burndown.length);
    await shot("campaign");

    const table = page.getByTestId("campaign-table");
    const names = () => table.locator("tbody tr th a").allInnerTexts();
    expect(await text("row-count")).toBe(`${rows.length} of ${rows.length} assets`);
    // default: most days overdue first
    const firstRows = await table.locator("tbody tr td.num").allInnerTexts();
    const days = rows.map((r) => r.daysOverdue).filter((d): d is number => d !== null).sort((a, b) => b - a);
    expect(firstRows.slice(0, 5).map(Number)).toEqual(days.slice(0, 5));

    await page.getByLabel("Status").selectOption("overdue");
    const overdueRows = rows.filter((r) => r.status === "overdue");
    expect(await text("row-count")).toBe(`${overdueRows.length} of ${rows.length} assets`);
    expect(overdueRows.length).toBe(api.stats.overdue);

    await table.getByRole("button", { name: "Asset" }).click();
    const ascending = overdueRows.map((r) => r.entityName).sort((a, b) => a.localeCompare(b));
    expect((await names()).slice(0, 10)).toEqual(ascending.slice(0, 10));
    expect(await table.locator("th[aria-sort=ascending]").innerText()).toContain("Asset");
    await table.getByRole("button", { name: "Asset" }).click();
    expect((await names()).slice(0, 10)).toEqual([...ascending].reverse().slice(0, 10));

    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download CSV" }).click()]);
    expect(download.suggestedFilename()).toBe(`campaign-${campaignId}.csv`);
    const csv = fs.readFileSync((await download.path())!, "utf8").trimEnd().split("\r\n");
    expect(csv[0]).toBe("asset,asset_key,asset_type,status,owner,due,days_overdue,closed_on,closed_by,accepted_until,link");
    expect(csv).toHaveLength(overdueRows.length + 1);
    expect(csv[1]!.split(",")[0]).toBe([...ascending].reverse()[0]);
    expect(csv.slice(1).every((line) => line.split(",")[3] === "overdue")).toBe(true);

    // the closed asset: found by its name among all statuses, marked complete with its pull request
    await page.getByLabel("Status").selectOption("all");
    await page.getByLabel("Filter").fill(closedAsset.entityName);
    const expected = rows.filter((r) => `${r.entityName} ${r.entityKey} ${r.owner}`.toLowerCase().includes(closedAsset.entityName.toLowerCase()));
    expect(await text("row-count")).toBe(`${expected.length} of ${rows.length} assets`);
    const row = table.locator("tbody tr", { has: page.getByRole("link", { name: closedAsset.entityName, exact: true }) });
    expect(await row.locator(".status").innerText()).toBe("complete");
    expect(await row.getByRole("link", { name: "git.example.com/pr/4242" }).count()).toBe(1);
  }, 60_000);

  it("shows an asset: properties, relationships (as the graph has them) and findings with their history", async () => {
    const table = page.getByTestId("campaign-table");
    await table.getByRole("link", { name: closedAsset.entityName, exact: true }).click();
    await page.getByTestId("asset").waitFor();
    expect(page.url()).toBe(`${t.url}/assets/${closedAsset.assetId}`);
    expect(await page.getByRole("heading", { level: 1 }).innerText()).toBe(closedAsset.entityName);
    const props = page.getByTestId("properties");
    expect(await props.locator("tr", { hasText: "_key" }).locator("td").innerText()).toBe(closedAsset.entityKey);
    // how it is deployed, as the API says (the same computation as dm show)
    const { deployment } = (await t.call("GET", `/api/v1/entities/${closedAsset.assetId}`, { token: t.tokens.reader })).json;
    expect(await page.getByTestId("deployment").innerText()).toContain(`Deployment model: ${deployment.model ?? "unknown"}`);

    const rels = (await t.call("GET", `/api/v1/entities/${closedAsset.assetId}/relationships`, { token: t.tokens.reader })).json.relationships;
    const tree = (
      await t.call("POST", "/api/v1/query", {
        token: t.tokens.reader,
        body: { query: `Find * with _key = '${closedAsset.entityKey}' that RELATES TO * return tree` },
      })
    ).json.data;
    expect(rels.length).toBe(tree.edges.length);
    const shown = page.getByTestId("relationships").locator("tbody tr");
    expect(await shown.count()).toBe(rels.length);
    // its owning team points at it, and it HAS its findings
    const owner = rels.find((r: { class: string; direction: string }) => r.class === "OWNS" && r.direction === "in");
    expect(owner).toBeDefined();
    const ownerRow = shown.filter({ hasText: "OWNS" }).first();
    expect(await ownerRow.innerText()).toContain(owner.other.displayName);
    expect(await ownerRow.innerText()).toContain("→ this");
    expect(await shown.filter({ hasText: "HAS" }).count()).toBe(
      rels.filter((r: { class: string }) => r.class === "HAS").length,
    );

    const finding = page.getByTestId("finding").filter({ has: page.getByRole("link", { name: overview.campaigns[0].shortDescription }) });
    expect(await finding.locator(".status").innerText()).toBe("complete");
    const history = await finding.getByTestId("history").innerText();
    expect(history).toContain("closed COMPLETE by maintainer");
    expect(history).toContain("git.example.com/pr/4242");
    expect(history).toContain("opened by");
    await finding.locator("summary").click();
    expect(await finding.locator("details").innerText()).toContain("close by maintainer");
    await shot("asset");
  }, 60_000);

  it("runs J1QL in the query console, marks a mistake where it is, and draws RETURN TREE as a graph", async () => {
    await page.getByRole("navigation").getByRole("link", { name: "Query" }).click();
    const box = page.getByLabel("J1QL query");
    await box.fill("Find CodeRepo wiht name='x'");
    await box.press("Control+Enter");
    await page.getByTestId("query-error").waitFor();
    // the position once (the message says it), not again beside it
    expect((await text("query-error")).split("line 1, column 15")).toHaveLength(2);
    expect(await page.getByTestId("query-error-position").count()).toBe(0);
    expect(await page.getByTestId("query-error").locator("mark").innerText()).toBe("wiht");
    expect(await text("query-error")).toContain('unexpected "wiht"');
    // the caret is put on the mistake
    expect(await box.evaluate((el: HTMLTextAreaElement) => [el.selectionStart, el.selectionEnd, document.activeElement === el])).toEqual([14, 18, true]);
    await shot("query-error");

    const repo = overview.riskiestAssets[0].name as string;
    await box.fill(`Find CodeRepo with name = '${repo}'`);
    await page.getByRole("button", { name: "Run" }).click();
    await page.getByTestId("result-table").waitFor();
    expect(await text("result-count")).toBe("1");
    expect(await page.getByTestId("result-table").locator("tbody th a").innerText()).toBe(repo);
    expect(page.url()).toContain("/query?q=");

    await box.fill("Find Team as t that OWNS CodeRepo as r return t.name as team, count(r) as repos ORDER BY repos DESC");
    await page.getByRole("button", { name: "Run" }).click();
    await expect.poll(() => page.getByTestId("result-table").locator("thead th").allInnerTexts()).toEqual(["team", "repos"]);
    expect(await text("result-count")).toBe(String(DEMO_SIZE.teams));
    await shot("query-table");

    // a stored question fills the box; running it answers like any query
    await page.getByTestId("question-picker").selectOption({ label: "Which teams have overdue maintenance?" });
    expect(await box.inputValue()).toMatch(/^FIND deferred_maintenance WITH closed = false AND dueDate < date\.now AS m/);
    await page.getByRole("button", { name: "Run" }).click();
    await expect.poll(() => page.getByTestId("result-table").locator("thead th").allInnerTexts()).toEqual(["owner", "overdue"]);

    await box.fill("Find ldap_user that ASSIGNED ldap_group return tree");
    await page.getByRole("button", { name: "Run" }).click();
    await page.getByTestId("result-tree").waitFor();
    expect(await text("result-count")).toBe("3");
    expect(await page.getByTestId("result-tree").locator("svg .vertex").count()).toBe(3);
    expect(await page.getByTestId("tree-edges").locator("li").allInnerTexts()).toEqual(["alice ASSIGNED oncall", "carol ASSIGNED oncall"]);
    await shot("query-tree");
  }, 60_000);

  it("shows who is on call, the group's members and the latest syncs", async () => {
    await page.getByRole("navigation").getByRole("link", { name: "On-call" }).click();
    await page.getByTestId("oncall").waitFor();
    expect(await text("oncall-now")).toBe("alice, carol");
    expect(await page.getByTestId("oncall-members").locator("tbody tr").allInnerTexts()).toEqual([
      expect.stringContaining("alice@example.com"),
      expect.stringContaining("carol@example.com"),
    ]);
    expect(await page.getByTestId("oncall-syncs").innerText()).toContain("succeeded");
    expect(await text("oncall-audit")).toContain("scheduler: added carol, removed bob");
    await shot("oncall");
  }, 60_000);

  it("opens a page from its address after a reload, keeps keyboard users in mind, and signs out", async () => {
    await page.goto(`${t.url}/campaigns/${campaignId}`);
    await page.getByTestId("campaign").waitFor();
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Skip to content");
    await page.goto(`${t.url}/no/such/page`);
    expect(await page.getByRole("heading", { level: 1 }).innerText()).toBe("Not found");

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("API token").waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem("dm.token"))).toBeNull();
    // a revoked token signs the tab out on its next request
    await page.evaluate((token) => sessionStorage.setItem("dm.token", token), t.tokens.admin);
    await page.goto(`${t.url}/`);
    await page.getByTestId("overview").waitFor();
    expect((await t.call("DELETE", "/api/v1/tokens/admin")).status).toBe(200);
    // the query page's next request (its stored questions) is refused
    await page.getByRole("navigation").getByRole("link", { name: "Query" }).click();
    await expect.poll(() => page.getByRole("status").first().innerText()).toContain("no longer accepts the token");
    expect(await page.evaluate(() => sessionStorage.getItem("dm.token"))).toBeNull();
    expect(blocked).toEqual([]);
    expect(problems).toEqual([]);
  }, 60_000);
});

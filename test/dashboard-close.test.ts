/**
 * Closing and reopening findings from the dashboard, in Debian's Chromium:
 * a maintainer closes (COMPLETE with a link, ERROR, RISK_ACCEPTED with an
 * expiry and a link) and reopens one or many findings from the campaign and
 * asset pages, through the same core function and audit as `dm close`; the
 * mistakes `dm close` refuses are shown next to the form and write nothing; a
 * reader gets the `dm close` command instead, and that command, run as typed
 * (remote mode, a maintainer's token), closes the same findings.
 */
import fs from "node:fs";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFindings } from "../src/core/maintenance/finding.js";
import { DEMO_SIZE, generateOrg } from "../src/core/sample/generate-org.js";
import { defaultWebDir } from "../src/server/static.js";
import { isolatedContext, launchChromium } from "./helpers/browser.js";
import { dm } from "./helpers/cli.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const NOW = Date.UTC(2026, 5, 1, 12);
const ARTIFACTS = path.resolve("test/artifacts");

interface CampaignRow {
  findingId: string;
  assetId: string | null;
  maintenanceId: string;
  entityKey: string;
  entityName: string;
  status: string;
}

/** The words of a command line as a POSIX shell splits them (bare words, "double" and 'single' quotes). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === " ") {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      word = (word ?? "") + line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      const end = line.indexOf('"', i + 1);
      word = (word ?? "") + line.slice(i + 1, end);
      i = end;
    } else if (c === "\\") {
      word = (word ?? "") + line[++i];
    } else word = (word ?? "") + c;
  }
  if (word !== undefined) words.push(word);
  return words;
}

describe("closing and reopening from the dashboard, in Chromium", () => {
  let t: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let campaignId: string;
  let rows: CampaignRow[];
  const problems: string[] = [];

  const shot = (p: Page, name: string) => p.screenshot({ path: path.join(ARTIFACTS, `dashboard-${name}.png`), fullPage: true });
  const campaignRows = async (): Promise<CampaignRow[]> =>
    (await t.call("GET", `/api/v1/campaigns/${campaignId}`, { token: t.tokens.reader })).json.findings;
  const findingOf = async (entityKey: string, mid = campaignId) =>
    (await loadFindings(t.store, NOW)).find((f) => f.maintenanceId === mid && f.entityKey === entityKey)!;
  /** open findings of the campaign on assets whose name no other row shares (checkbox labels are by name) */
  const uniqueOpen = (list: CampaignRow[]) => {
    const names = new Map<string, number>();
    for (const r of list) names.set(r.entityName, (names.get(r.entityName) ?? 0) + 1);
    return list.filter((r) => (r.status === "open" || r.status === "overdue") && names.get(r.entityName) === 1 && r.assetId);
  };

  async function signIn(p: Page, token: string) {
    await p.goto(`${t.url}/`);
    await p.getByLabel("API token").fill(token);
    await p.getByLabel("API token").press("Enter");
    await p.getByTestId("overview").waitFor();
  }

  beforeAll(async () => {
    if (!defaultWebDir()) throw new Error("dist/web/index.html is missing: run npm run build first");
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    t = await startTestServer("sqlite", { now: () => NOW });
    await t.store.upsertMany(generateOrg({ size: DEMO_SIZE, now: NOW }), { now: NOW, source: "demo" });
    const overview = (await t.call("GET", "/api/v1/overview", { token: t.tokens.reader })).json;
    campaignId = overview.campaigns[0].maintenanceId;
    rows = await campaignRows();
    expect(uniqueOpen(rows).length).toBeGreaterThanOrEqual(8);
    browser = await launchChromium();
    ({ context } = await isolatedContext(browser, t.url));
    page = await context.newPage();
    page.on("console", (m) => {
      // expected: the refused closes (400)
      if (m.type() === "error" && !/status of 400 /.test(m.text())) problems.push(m.text());
    });
    page.on("pageerror", (e) => problems.push(String(e)));
    await signIn(page, t.tokens.maintainer);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it("a maintainer closes two findings COMPLETE from the campaign page; a missing link is refused next to the form and writes nothing", async () => {
    const [a, b] = uniqueOpen(rows);
    await page.goto(`${t.url}/campaigns/${campaignId}`);
    await page.getByTestId("campaign").waitFor();
    await page.getByRole("checkbox", { name: `Select ${a!.entityName}` }).check();
    await page.getByRole("checkbox", { name: `Select ${b!.entityName}` }).check();
    const panel = page.getByTestId("close-panel");
    expect(await panel.innerText()).toContain("2 findings selected");
    await panel.getByLabel("Reason").selectOption("COMPLETE");
    await page.getByTestId("close-button").click();
    const error = panel.getByTestId("close-error");
    await expect.poll(() => error.innerText()).toContain("--reason COMPLETE needs --link");
    expect((await findingOf(a!.entityKey)).closed).toBe(false);
    await shot(page, "close-error");

    await panel.getByLabel("Pull request").fill("https://git.example.com/acme/pull/77");
    await page.getByTestId("close-button").click();
    await expect.poll(() => page.getByTestId("close-done").innerText()).toBe("Closed 2 findings as COMPLETE.");
    expect(await panel.getByTestId("close-error").count()).toBe(0);
    for (const r of [a!, b!]) {
      const f = await findingOf(r.entityKey);
      expect(f).toMatchObject({ closed: true, closeReason: "COMPLETE", closedBy: "maintainer", maintenanceLink: "https://git.example.com/acme/pull/77" });
    }
    // the table shows the new state, and the selection is gone
    await expect.poll(() => page.getByRole("row", { name: new RegExp(a!.entityName) }).innerText()).toContain("complete");
    expect(await page.getByRole("checkbox", { name: `Select ${a!.entityName}` }).isChecked()).toBe(false);
    // audited as dm close audits: one entry for the item, with the link and the query that selected them
    const entry = (await t.store.auditLog()).find((e) => e.action === "close" && e.subject === campaignId)!;
    expect(entry).toMatchObject({ actor: "maintainer", details: { count: 2, reason: "COMPLETE", link: "https://git.example.com/acme/pull/77" } });
    expect(String(entry.details?.query)).toContain(a!.entityKey);
    await shot(page, "close-done");
  }, 60_000);

  it("accepts the risk until a date (a past date is refused), closes one as ERROR, and reopens several at once", async () => {
    const [, , c, d, e] = uniqueOpen(rows);
    await page.getByRole("checkbox", { name: `Select ${c!.entityName}` }).check();
    await page.getByRole("checkbox", { name: `Select ${d!.entityName}` }).check();
    const panel = page.getByTestId("close-panel");
    await panel.getByLabel("Reason").selectOption("RISK_ACCEPTED");
    await panel.getByLabel("Decision record").fill("https://wiki.example.com/adr/9");
    await panel.getByLabel("Accepted until").fill("2026-05-01");
    await page.getByTestId("close-button").click();
    await expect.poll(() => panel.getByTestId("close-error").innerText()).toContain("until 2026-05-01 is not in the future");
    expect((await findingOf(c!.entityKey)).closed).toBe(false);
    await panel.getByLabel("Accepted until").fill("2026-09-01");
    await page.getByTestId("close-button").click();
    await expect.poll(() => page.getByTestId("close-done").innerText()).toBe("Accepted the risk on 2 findings until 2026-09-01.");
    const accepted = await findingOf(c!.entityKey);
    expect(accepted).toMatchObject({ closed: true, closeReason: "RISK_ACCEPTED", acceptedBy: "maintainer", maintenanceLink: "https://wiki.example.com/adr/9" });
    expect(new Date(accepted.acceptedUntil!).toISOString().slice(0, 10)).toBe("2026-09-01");
    expect((await t.store.auditLog()).some((x) => x.action === "accept" && x.subject === campaignId)).toBe(true);

    await page.getByRole("checkbox", { name: `Select ${e!.entityName}` }).check();
    await panel.getByLabel("Reason").selectOption("ERROR");
    await page.getByTestId("close-button").click();
    await expect.poll(() => page.getByTestId("close-done").innerText()).toBe("Closed 1 finding as ERROR.");
    expect((await findingOf(e!.entityKey)).closeReason).toBe("ERROR");

    // reopen the accepted pair and the error at once
    for (const r of [c!, d!, e!]) await page.getByRole("checkbox", { name: `Select ${r.entityName}` }).check();
    expect(await panel.innerText()).toContain("(all closed)");
    await page.getByTestId("reopen-button").click();
    await expect.poll(() => page.getByTestId("close-done").innerText()).toBe("Reopened 3 findings.");
    for (const r of [c!, d!, e!]) {
      const f = await findingOf(r.entityKey);
      expect(f.closed).toBe(false);
      expect(f.closeReason).toBeUndefined();
      expect(f.evidence).toMatch(/^reopened by maintainer \(was (RISK_ACCEPTED|ERROR) on 2026-06-01\)/);
    }
    const reopen = (await t.store.auditLog()).find((x) => x.action === "reopen" && x.subject === campaignId)!;
    expect(reopen).toMatchObject({ actor: "maintainer", details: { count: 3, why: "reopened by hand" } });
    await shot(page, "reopen-done");
  }, 60_000);

  it("closes and reopens a finding from the asset page, its history saying who did what", async () => {
    const [, , , , , f] = uniqueOpen(rows);
    await page.goto(`${t.url}/assets/${f!.assetId}`);
    await page.getByTestId("asset").waitFor();
    const title = (await findingOf(f!.entityKey)).shortDescription;
    const finding = page.getByTestId("finding").filter({ has: page.getByRole("link", { name: title, exact: true }) });
    await finding.getByRole("checkbox").check();
    const panel = page.getByTestId("close-panel");
    await panel.getByLabel("Reason").selectOption("COMPLETE");
    await panel.getByLabel("Pull request").fill("https://git.example.com/acme/pull/78");
    await page.getByTestId("close-button").click();
    await expect.poll(() => page.getByTestId("close-done").innerText()).toBe("Closed 1 finding as COMPLETE.");
    await expect.poll(() => finding.getByTestId("history").innerText()).toContain("closed COMPLETE by maintainer");
    expect((await findingOf(f!.entityKey)).closeReason).toBe("COMPLETE");

    await finding.getByRole("checkbox").check();
    await page.getByTestId("reopen-button").click();
    await expect.poll(() => page.getByTestId("close-done").innerText()).toBe("Reopened 1 finding.");
    await expect.poll(() => finding.getByTestId("history").innerText()).toContain("reopened by maintainer");
    expect((await findingOf(f!.entityKey)).closed).toBe(false);
    await shot(page, "asset-reopen");
    expect(problems).toEqual([]);
  }, 60_000);

  it("a reader sees no buttons but the dm close command, and that command closes the same findings when run", async () => {
    const readerPage = await context.browser()!.newContext({ viewport: { width: 1280, height: 900 } }).then((c) => c.newPage());
    await signIn(readerPage, t.tokens.reader);
    const [g, h] = uniqueOpen(await campaignRows()).slice(-2);
    await readerPage.goto(`${t.url}/campaigns/${campaignId}`);
    await readerPage.getByTestId("campaign").waitFor();
    await readerPage.getByRole("checkbox", { name: `Select ${g!.entityName}` }).check();
    await readerPage.getByRole("checkbox", { name: `Select ${h!.entityName}` }).check();
    const panel = readerPage.getByTestId("close-panel");
    expect(await panel.getByTestId("close-button").count()).toBe(0);
    await panel.getByLabel("Reason").selectOption("RISK_ACCEPTED");
    await panel.getByLabel("Decision record").fill("https://wiki.example.com/adr/10");
    await panel.getByLabel("Accepted until").fill("2026-12-31");
    const command = (await panel.getByTestId("close-command").innerText()).trim();
    expect(command).toMatch(new RegExp(`^dm close --id ${campaignId} --query .* --reason RISK_ACCEPTED --link https://wiki.example.com/adr/10 --until 2026-12-31 --yes$`));
    await shot(readerPage, "close-reader-command");

    const words = shellWords(command);
    expect(words[0]).toBe("dm");
    const run = await dm(words.slice(1), { env: { DM_SERVER: t.url, DM_TOKEN: t.tokens.maintainer }, now: NOW });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Accepted the risk on 2 findings");
    for (const r of [g!, h!]) expect(await findingOf(r.entityKey)).toMatchObject({ closed: true, closeReason: "RISK_ACCEPTED" });
    await readerPage.context().close();
  }, 60_000);
});

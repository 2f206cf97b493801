// The dashboard card in a real browser: log in to the demo's Home Assistant, open the
// dashboard, and follow a request from downloading to available in the card's DOM;
// then open the dashboard from 19 more fresh profiles, phone and desktop in turn: the
// card must load every time (not once "Configuration error"). Along the way, rows
// must say why they wait and when they should be watchable.
//
//   node tests/browser/card.mjs http://127.0.0.1:8765 artifacts/
//
// Uses Debian's Chromium through playwright-core (no browser download). Exits non-zero,
// with the reason, on the first expectation that does not hold.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { chromium } from "playwright-core";

const [base, artifacts = "artifacts"] = process.argv.slice(2);
const LOGIN = { username: "demo", password: "demo-demo" };
const TITLE = "Dune: Part Two";
const SECOND = 1000;

/** Poll `read` until it returns `wanted` (or fail after `seconds`). */
async function until(description, read, wanted, seconds) {
  const deadline = Date.now() + seconds * SECOND;
  let value;
  while (Date.now() < deadline) {
    value = await read();
    if (value === wanted) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${description}: expected ${wanted}, still ${value} after ${seconds} s`);
}

// Fresh browser profiles that open the dashboard first, as a household member
// following a link does: Home Assistant's login, then straight to the card.
const FIRST_VISITS = 20;
const DESKTOP = { viewport: { width: 1100, height: 1400 } };
const PHONE = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 3,
  isMobile: true,
  hasTouch: true,
};

/** Log in from a fresh profile on the dashboard's URL; the page, on the dashboard. */
async function firstVisit(browser, options) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await page.goto(`${base}/media-requests/requests`);
  const username = page.getByRole("textbox", { name: /username/i });
  await username.waitFor({ timeout: 60 * SECOND });
  await until("login form", async () => {
    await username.fill(LOGIN.username);
    return username.inputValue();
  }, LOGIN.username, 30);
  await page.getByRole("textbox", { name: /password/i }).fill(LOGIN.password);
  await page.getByRole("button", { name: /log in/i }).click();
  return page;
}

/** The card shows its rows; not once the dashboard's "Configuration error". */
async function expectRows(page, visit, phone) {
  const errors = page.locator("hui-error-card").filter({ visible: true });
  const rows = page.locator("media-request-card [data-request-key]");
  const deadline = Date.now() + 60 * SECOND;
  let outcome = "nothing after 60 s";
  while (Date.now() < deadline) {
    if (await errors.count()) {
      outcome = "Configuration error";
      break;
    }
    if (await rows.count()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`first visit ${visit} (${phone ? "phone" : "desktop"}): ${outcome}`);
}

/** The text of a row's part, or "" while it is hidden. */
async function shown(row, testId) {
  const part = row.locator(`[data-testid="${testId}"]`);
  return (await part.isVisible()) ? ((await part.textContent()) ?? "") : "";
}

/**
 * Each row says why it waits and when it should be watchable: a download counts
 * down, an unreleased film gives its release date, a blocked import Radarr's own words.
 */
async function expectWhy(card) {
  const rowOf = (title) => card.locator("[data-request-key]").filter({ hasText: title });
  const checks = [
    [TITLE, "when", /^ready in ~\d/],
    ["Dune: Part Three", "waiting", /^Not released yet: out on \d{4}-\d{2}-\d{2}$/],
    // Radarr says it twice (webhook, queue); whichever came first is kept.
    ["Interstellar", "problem", /^Radarr (needs a manual import|cannot import the download)\./],
  ];
  for (const [title, part, pattern] of checks) {
    const row = rowOf(title);
    await until(`${title}'s ${part} ${pattern}`, async () => pattern.test(await shown(row, part)), true, 240);
  }
  console.log("ok: downloading, unreleased and import-blocked rows say why and when");
}

/**
 * The signed-in user (the demo's person) follows a request from its bell, and the
 * row then shows their initials beside the requester's.
 *
 * @param {import("playwright-core").Locator} row
 */
async function expectFollowing(row) {
  const follow = row.locator('[data-testid="follow"]');
  await until("follow button state", () => follow.getAttribute("aria-pressed"), "false", 30);
  const requester = row.locator('[data-testid="followers"] [data-person="person.alice"]');
  await until("requester's avatar", () => requester.textContent(), "A", 30);
  await follow.click();
  await until("following", () => follow.getAttribute("aria-pressed"), "true", 30);
  const me = row.locator('[data-testid="followers"] [data-person="person.demo"]');
  await until("own avatar", () => me.textContent(), "D", 30);
  console.log("ok: the user followed a request from the card");
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  // What headless Chromium needs on a closed, root-run CI machine.
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
await mkdir(artifacts, { recursive: true });
let page;
try {
  // The first of the first visits follows a request through the card.
  page = await firstVisit(browser, DESKTOP);
  await expectRows(page, 1, false);
  const card = page.locator("media-request-card");
  await card.waitFor({ timeout: 60 * SECOND });
  const row = card.locator("[data-request-key]").filter({ hasText: TITLE });
  await row.waitFor({ timeout: 60 * SECOND });

  await until(`${TITLE} state`, () => row.getAttribute("data-state"), "downloading", 120);
  const progress = row.locator('[data-testid="progress"]');
  await progress.waitFor({ state: "visible" });
  await page.screenshot({ path: join(artifacts, "card-downloading.png"), fullPage: true });
  await expectWhy(card);
  await expectFollowing(row);

  await until(`${TITLE} state`, () => row.getAttribute("data-state"), "available", 180);
  await until("progress bar gone", () => progress.isVisible(), false, 10);
  const episodes = card
    .locator("[data-request-key]")
    .filter({ hasText: "Breaking Bad" })
    .locator("[data-episode]");
  await until("Breaking Bad's episode grid", () => episodes.count(), 7, 120);
  const breakingBad = card.locator("[data-request-key]").filter({ hasText: "Breaking Bad" });
  const toggle = breakingBad.locator(".legend-toggle");
  await toggle.click();
  await until("legend open", () => toggle.getAttribute("aria-expanded"), "true", 10);
  await until("legend shown", () => breakingBad.locator(".legend").isVisible(), true, 10);
  await page.keyboard.press("Escape");
  await until("legend closed by Escape", () => breakingBad.locator(".legend").isVisible(), false, 10);
  await page.screenshot({ path: join(artifacts, "card-available.png"), fullPage: true });
  console.log(`ok: ${TITLE} went from downloading to available in the card`);

  for (let visit = 2; visit <= FIRST_VISITS; visit++) {
    await page.context().close();
    const phone = visit % 2 === 0;
    page = await firstVisit(browser, phone ? PHONE : DESKTOP);
    await expectRows(page, visit, phone);
  }
  console.log(`ok: the card loaded on ${FIRST_VISITS} first visits in fresh profiles`);
} catch (error) {
  await page?.screenshot({ path: join(artifacts, "card-failure.png"), fullPage: true });
  throw error;
} finally {
  await browser.close();
}

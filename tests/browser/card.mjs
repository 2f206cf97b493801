// The dashboard card in a real browser: log in to the demo's Home Assistant, open the
// dashboard, and follow a request from downloading to available in the card's DOM.
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
const page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
try {
  await page.goto(base);
  const username = page.getByRole("textbox", { name: /username/i });
  await username.waitFor({ timeout: 60 * SECOND });
  await until("login form", async () => {
    await username.fill(LOGIN.username);
    return username.inputValue();
  }, LOGIN.username, 30);
  await page.getByRole("textbox", { name: /password/i }).fill(LOGIN.password);
  await page.getByRole("button", { name: /log in/i }).click();
  // The frontend stores its tokens once it has exchanged the login code.
  await page.waitForFunction(() => localStorage.getItem("hassTokens"), null, {
    timeout: 60 * SECOND,
  });
  await page.goto(`${base}/media-requests/requests`);

  const card = page.locator("media-request-card");
  await card.waitFor({ timeout: 60 * SECOND });
  const row = card.locator("[data-request-key]").filter({ hasText: TITLE });
  await row.waitFor({ timeout: 60 * SECOND });

  await until(`${TITLE} state`, () => row.getAttribute("data-state"), "downloading", 120);
  const progress = row.locator('[data-testid="progress"]');
  await progress.waitFor({ state: "visible" });
  await page.screenshot({ path: join(artifacts, "card-downloading.png"), fullPage: true });

  await until(`${TITLE} state`, () => row.getAttribute("data-state"), "available", 180);
  await until("progress bar gone", () => progress.isVisible(), false, 10);
  const episodes = card
    .locator("[data-request-key]")
    .filter({ hasText: "Breaking Bad" })
    .locator("[data-episode]");
  await until("Breaking Bad's episode grid", () => episodes.count(), 7, 120);
  await page.screenshot({ path: join(artifacts, "card-available.png"), fullPage: true });
  console.log(`ok: ${TITLE} went from downloading to available in the card`);
} catch (error) {
  await page.screenshot({ path: join(artifacts, "card-failure.png"), fullPage: true });
  throw error;
} finally {
  await browser.close();
}

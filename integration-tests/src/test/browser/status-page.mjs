// StatusPageBrowserIT's driver. Opens the master's status page in headless Debian chromium (playwright-core, the
// browser at /usr/bin/chromium: nothing is downloaded), waits until the page lists the expected worker pids, kills
// one worker with SIGKILL, and waits — without reloading the page — until it lists a replacement pid and a respawn
// of the killed pid in its history. Prints one JSON line with what the page showed; exits 1 with the reason otherwise.
//
//   node status-page.mjs <page url> <worker pid>,<worker pid> [screenshot.png]
import { chromium } from "playwright-core";

const [url, pidList, screenshot] = process.argv.slice(2);
const expected = pidList.split(",").map(Number);
const victim = expected[0];
const BOUND = 60_000;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  // As root (CI), chromium refuses to start with its sandbox on.
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  timeout: BOUND,
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
  const requests = [];
  page.on("request", (r) => requests.push(r.url()));
  await page.goto(url, { timeout: BOUND });
  const pidsShown = () => page.$$eval("#workers tr[data-pid]", (rows) => rows.map((r) => Number(r.dataset.pid)));
  await page.waitForFunction((pids) => {
    const shown = [...document.querySelectorAll("#workers tr[data-pid]")].map((r) => Number(r.dataset.pid));
    return pids.every((p) => shown.includes(p));
  }, expected, { timeout: BOUND, polling: 100 });
  const before = await pidsShown();
  // A mark in this document: it is still there afterwards only if the page never reloaded.
  await page.evaluate(() => { window.__sameDocument = true; });

  process.kill(victim, "SIGKILL");

  await page.waitForFunction((killed) => {
    const shown = [...document.querySelectorAll("#workers tr[data-pid]")].map((r) => Number(r.dataset.pid));
    const respawned = document.querySelector(`#history li.respawn[data-pid="${killed}"]`) !== null;
    return respawned && shown.length >= 2 && !shown.includes(killed);
  }, victim, { timeout: BOUND, polling: 100 });
  const after = await pidsShown();
  const respawn = await page.$eval(`#history li.respawn[data-pid="${victim}"]`, (li) => li.textContent);
  const sameDocument = await page.evaluate(() => window.__sameDocument === true);
  const navigations = await page.evaluate(() => performance.getEntriesByType("navigation").length);
  if (screenshot) {
    // A few more polls: the replacement turns ready and the chart grows a little before the picture.
    await page.waitForTimeout(8000);
    await page.screenshot({ path: screenshot, fullPage: true });
  }
  const foreign = requests.filter((r) => !r.startsWith(new URL(url).origin));
  console.log(JSON.stringify({ before, after, respawn, sameDocument, navigations, foreign }));
} catch (e) {
  console.error("status page check failed: " + (e && e.message ? e.message : e));
  process.exitCode = 1;
} finally {
  await browser.close();
}

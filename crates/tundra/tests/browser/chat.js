// Two Chromium pages chat through Tundra: `node chat.js http://10.0.0.2/chat.html`.
// Debian's /usr/bin/chromium (never a downloaded browser), driven by playwright-core,
// run inside the test's namespace by crates/tundra/tests/e2e_ws.rs. Prints one JSON
// object with what each page showed; the Rust test judges it.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { chromium } = require("playwright-core");

async function main() {
  const url = process.argv[2];
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tundra-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
  const lines = (page) => page.$$eval("#log div", (ds) => ds.map((d) => d.textContent));
  const waitLine = (page, text) =>
    page.waitForFunction(
      (t) => [...document.querySelectorAll("#log div")].some((d) => d.textContent === t),
      text, { timeout: 15000 });
  const out = {};
  try {
    const alice = await context.newPage();
    const bob = await context.newPage();
    for (const [page, nick] of [[alice, "alice"], [bob, "bob"]]) {
      await page.goto(url, { timeout: 15000 });
      await page.waitForFunction(() => document.getElementById("status").textContent === "connected",
        null, { timeout: 15000 });
      await page.fill("#nick", nick);
      await page.click("#join");
      await waitLine(page, `* ${nick} joined`);
    }
    await waitLine(alice, "* bob joined");
    await alice.fill("#line", "hello from alice");
    await alice.click("#send");
    // Both pages get the line on their own connection, in no fixed order.
    await waitLine(bob, "alice: hello from alice");
    await waitLine(alice, "alice: hello from alice");
    out.alice = await lines(alice);
    await alice.close();
    await waitLine(bob, "* alice left");
    out.bob = await lines(bob);
    out.ok = true;
  } catch (e) {
    out.error = String(e);
  } finally {
    await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
  console.log(JSON.stringify(out));
}

main().catch((e) => { console.log(JSON.stringify({ error: String(e) })); process.exit(1); });

// Headless-Chromium round trip of the agent's zone editor: open the page,
// wait for the redacted live preview, drag the staff zone's second point,
// save, and see the editor confirm it.
//
// Environment: AGENT_URL (e.g. http://127.0.0.1:8787), WINDOW (id),
// SHOT_DIR (screenshots), CHROMIUM (default /usr/bin/chromium), PASSWORD
// (the installer's, when the pages need a login: the editor must send the
// browser to /login and back), EDIT_MORE (also insert a point by
// double-click and add a privacy mask).
// Prints the moved point as `moved staff-1 to X,Y`; exits 1 on failure.

import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const AGENT = (process.env.AGENT_URL || 'http://127.0.0.1:8787').replace(/\/+$/, '');
const WINDOW = process.env.WINDOW || 'w01';
const SHOT_DIR = process.env.SHOT_DIR || mkdtempSync(join(tmpdir(), 'editor-shots-'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
mkdirSync(SHOT_DIR, { recursive: true });

const profile = mkdtempSync(join(tmpdir(), 'liyi-chromium-'));
const timer = setTimeout(() => { console.error('FAIL: over 90 s'); process.exit(1); }, 90_000);
let context;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1100, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] || await context.newPage();
  await page.goto(`${AGENT}/windows/${WINDOW}/editor`);
  if (process.env.PASSWORD) {
    if (!page.url().includes('/login')) throw new Error(`expected the login page, got ${page.url()}`);
    await page.screenshot({ path: join(SHOT_DIR, 'login.png') });
    await page.fill('input[name=password]', process.env.PASSWORD);
    await Promise.all([page.waitForURL(/\/editor$/, { timeout: 15_000 }), page.click('button[type=submit]')]);
    console.log('signed in');
  }
  // The preview is redacted frames from the running agent.
  await page.waitForFunction(() => { const i = document.getElementById('preview'); return i.complete && i.naturalWidth > 0; }, null, { timeout: 30_000 });
  await page.waitForSelector('#staff-1', { timeout: 10_000 });
  // The live overlay: observation values and every rule's state.
  await page.waitForFunction(() => document.querySelectorAll('#live tbody tr').length >= 15, null, { timeout: 15_000 });
  console.log(`live rows: ${await page.locator('#live tbody tr').count()}`);
  const box = await page.locator('#staff-1').boundingBox();
  const stage = await page.locator('#overlay').boundingBox();
  const from = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  const to = { x: from.x + stage.width * 0.05, y: from.y + stage.height * 0.04 };
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move((from.x + to.x) / 2, (from.y + to.y) / 2, { steps: 5 });
  await page.mouse.move(to.x, to.y, { steps: 5 });
  await page.mouse.up();
  if (process.env.EDIT_MORE) {
    // Double-click the middle of the staff zone's edge 2→3: a new point.
    const a = await page.locator('#staff-2').boundingBox(), b = await page.locator('#staff-3').boundingBox();
    await page.mouse.dblclick((a.x + a.width / 2 + b.x + b.width / 2) / 2, (a.y + a.height / 2 + b.y + b.height / 2) / 2);
    await page.waitForSelector('#staff-4', { timeout: 5_000 });
    console.log(`staff points: ${await page.locator('[id^="staff-"]').count()}`);
    // A privacy mask, added and kept.
    await page.click('#add-mask');
    await page.waitForSelector('#mask0-3', { timeout: 5_000 });
    console.log('mask added');
  }
  await page.screenshot({ path: join(SHOT_DIR, 'editor-moved.png') });
  await page.click('#save');
  await page.waitForSelector('#message.ok', { timeout: 10_000 });
  await page.screenshot({ path: join(SHOT_DIR, 'editor-saved.png') });
  const nx = (to.x - stage.x) / stage.width, ny = (to.y - stage.y) / stage.height;
  console.log(`moved staff-1 to ${nx.toFixed(4)},${ny.toFixed(4)}`);
  console.log(`message: ${await page.textContent('#message')}`);
  clearTimeout(timer);
  await context.close();
  rmSync(profile, { recursive: true, force: true });
  process.exit(0);
} catch (e) {
  console.error(`FAIL: ${e.message}`);
  if (context) {
    const p = context.pages()[0];
    if (p) { console.error(`url: ${p.url()}`); console.error((await p.textContent('body').catch(() => '')).slice(0, 2000)); }
    await context.close().catch(() => {});
  }
  rmSync(profile, { recursive: true, force: true });
  process.exit(1);
}

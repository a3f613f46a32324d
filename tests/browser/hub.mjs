// Headless-Chromium check of the hub's web pages.
//
// Drives a system Chromium through playwright-core (no bundled browser):
//   trainer signs in → clip grid → clip page (MP4 metadata loads) → keep with
//   Chinese notes/tags → sign out → supervisor signs in → daily summary.
//
// Environment:
//   HUB_URL          base URL of a running hub (default http://127.0.0.1:18800)
//   TRAINER_USER     / TRAINER_PASS      trainer account
//   SUPERVISOR_USER  / SUPERVISOR_PASS   supervisor account
//   SUMMARY_DATE     YYYY-MM-DD for /summary (default: today in Asia/Shanghai)
//   SHOT_DIR         where screenshots go (default: a fresh temp dir)
//   CHROMIUM         browser binary (default /usr/bin/chromium)
//   CLIP_WAIT_S      seconds to keep reloading /clips until a clip shows up
//                    (default 0: the grid must already have one); this wait is
//                    not counted in the 90 s run budget
//
// Prints one line per step; on failure prints the error, the current URL and
// the page text (first 2000 chars) and exits 1. Exits 0 on success.

import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const env = (name, dflt) => {
  const v = process.env[name];
  if (v !== undefined && v !== '') return v;
  if (dflt !== undefined) return dflt;
  console.error(`missing environment variable ${name}`);
  process.exit(2);
};

const shanghaiToday = () =>
  new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit',
  }).format(new Date());

const HUB = env('HUB_URL', 'http://127.0.0.1:18800').replace(/\/+$/, '');
const TRAINER_USER = env('TRAINER_USER');
const TRAINER_PASS = env('TRAINER_PASS');
const SUPERVISOR_USER = env('SUPERVISOR_USER');
const SUPERVISOR_PASS = env('SUPERVISOR_PASS');
const SUMMARY_DATE = env('SUMMARY_DATE', shanghaiToday());
const SHOT_DIR = env('SHOT_DIR', mkdtempSync(join(tmpdir(), 'hub-shots-')));
const CHROMIUM = env('CHROMIUM', '/usr/bin/chromium');
const CLIP_WAIT_S = Number(env('CLIP_WAIT_S', '0'));
const BUDGET_MS = 90_000;

const NOTE = `坐姿端正，微笑服务；递送材料时双手奉上。(browser test ${new Date().toISOString()})`;
const TAGS = '示范,坐姿';

mkdirSync(SHOT_DIR, { recursive: true });
const t0 = Date.now();
let waitMs = 0; // time spent waiting for a clip; not part of the budget
const secs = () => ((Date.now() - t0) / 1000).toFixed(1).padStart(5);
const log = (msg) => console.log(`[${secs()} s] ${msg}`);

class Fail extends Error {}
const expect = (cond, msg) => { if (!cond) throw new Fail(msg); };
const pathOf = (page) => new URL(page.url()).pathname;

const profile = mkdtempSync(join(tmpdir(), 'hub-chromium-'));
let context;
let page;
let watchdog;
let exitCode = 1;
const armWatchdog = () => {
  clearTimeout(watchdog);
  watchdog = setTimeout(() => {
    console.error(`FAIL: run exceeded ${BUDGET_MS / 1000} s (URL: ${page?.url() ?? '-'})`);
    context?.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
    process.exit(1);
  }, BUDGET_MS - (Date.now() - t0 - waitMs));
};
armWatchdog();

async function signIn(user, pass, expectPath) {
  await page.goto(`${HUB}/login`, { waitUntil: 'load' });
  expect(await page.locator('form#login').count() === 1, 'no form#login on /login');
  await page.fill('#name', user);
  await page.fill('#password', pass);
  // One navigation: POST /login → 303 → … A rejected sign-in re-renders
  // /login, so wait for the navigation itself, not for a URL change.
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.click('#signin'),
  ]);
  if (pathOf(page) === '/login') {
    const why = await page.locator('.error').allInnerTexts().catch(() => []);
    throw new Fail(`sign-in as ${user} rejected${why.length ? `: ${why.join(' ').trim()}` : ''}`);
  }
  expect(pathOf(page) === expectPath,
    `after signing in as ${user} expected ${expectPath}, landed on ${page.url()}`);
}

async function shot(name, fullPage = false) {
  const file = join(SHOT_DIR, name);
  await page.screenshot({ path: file, fullPage });
  return file;
}

try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    viewport: { width: 1280, height: 900 },
    timeout: 30_000,
  });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(20_000);
  page = context.pages()[0] ?? await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  log(`browser up (${CHROMIUM}, ${context.browser()?.version() ?? 'persistent context'})`);

  // (a) trainer signs in and lands on the clip grid.
  await signIn(TRAINER_USER, TRAINER_PASS, '/clips');
  let clips = await page.locator('div.clip[data-clip]').count();
  if (clips === 0 && CLIP_WAIT_S > 0) {
    log(`no clips yet; reloading /clips for up to ${CLIP_WAIT_S} s`);
    clearTimeout(watchdog);
    const w0 = Date.now();
    const until = w0 + CLIP_WAIT_S * 1000;
    while (clips === 0 && Date.now() < until) {
      await page.waitForTimeout(5_000);
      await page.reload({ waitUntil: 'load' });
      clips = await page.locator('div.clip[data-clip]').count();
    }
    waitMs = Date.now() - w0;
    log(`waited ${(waitMs / 1000).toFixed(1)} s: ${clips} clip(s)`);
    armWatchdog();
  }
  expect(clips > 0, 'no div.clip[data-clip] on /clips');
  const thumbs = await page.locator('div.clip img').count();
  await page.waitForFunction(
    () => [...document.querySelectorAll('div.clip img')].every((i) => i.complete), null,
    { timeout: 10_000 }).catch(() => {});
  const broken = await page.evaluate(
    () => [...document.querySelectorAll('div.clip img')].filter((i) => i.naturalWidth === 0).length);
  log(`(a) trainer ${TRAINER_USER} signed in → /clips: ${clips} clip(s), ${thumbs} thumbnail(s), ${broken} not loaded; ` +
      `shot ${await shot('trainer-clips.png')}`);

  // (b) open the first clip; the browser must load the MP4's metadata.
  const first = page.locator('a.open-clip').first();
  const href = await first.getAttribute('href');
  await Promise.all([
    page.waitForURL((u) => /^\/clips\/[^/]+$/.test(u.pathname), { waitUntil: 'load' }),
    first.click(),
  ]);
  const clipPath = pathOf(page);
  const src = await page.locator('video#player').evaluate(
    (v) => v.currentSrc || v.src || v.querySelector('source')?.src || '');
  expect(/\/video\.mp4$/.test(new URL(src, page.url()).pathname),
    `video#player src does not end with /video.mp4: ${JSON.stringify(src)}`);
  await page.waitForFunction(() => document.querySelector('#player').readyState >= 1, null,
    { timeout: 20_000 });
  const meta = await page.locator('#player').evaluate((v) => ({
    duration: v.duration, w: v.videoWidth, h: v.videoHeight, err: v.error?.code ?? null,
  }));
  log(`(b) opened ${href} → ${clipPath}; video ${src} metadata loaded: ` +
      `${meta.w}x${meta.h}, ${meta.duration.toFixed(2)} s; shot ${await shot('trainer-clip.png')}`);

  // (c) keep it as a teaching case with Chinese notes and tags. The status is
  // the last part of the line under the heading (<h1> + <p class="muted">);
  // check that line, not the whole page: the #keep button's own label
  // (保留为教学案例) also contains 教学案例.
  const statusLine = async () => (await page.locator('main h1 + p').first().innerText()).trim();
  const statusBefore = await statusLine();
  await page.fill('#notes', NOTE);
  await page.fill('#tags', TAGS);
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.click('#keep'),
  ]);
  expect(pathOf(page) === clipPath, `after #keep expected ${clipPath}, landed on ${page.url()}`);
  const statusAfter = await statusLine();
  expect(/(^|·)\s*教学案例\s*$/.test(statusAfter), `status line after #keep is ${JSON.stringify(statusAfter)}, want it to end with 教学案例`);
  expect((await page.locator('body').innerText()).includes('教学案例'), 'page text after #keep lacks "教学案例"');
  const notesNow = await page.inputValue('#notes');
  expect(notesNow === NOTE, `#notes after #keep is ${JSON.stringify(notesNow)}, want ${JSON.stringify(NOTE)}`);
  const tagsNow = await page.inputValue('#tags');
  log(`(c) kept ${clipPath}: status line ${JSON.stringify(statusBefore)} → ${JSON.stringify(statusAfter)}, ` +
      `notes preserved, tags now ${JSON.stringify(tagsNow)}; ` +
      `shot ${await shot('trainer-kept.png')}`);

  // (d) sign out.
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.click('#logout'),
  ]);
  const after = page.url();
  await page.goto(`${HUB}/clips`, { waitUntil: 'load' });
  expect(pathOf(page) === '/login', `after #logout /clips did not send to /login but to ${page.url()}`);
  log(`(d) signed out (→ ${after}); /clips now redirects to /login`);

  // (e) supervisor's daily summary.
  await signIn(SUPERVISOR_USER, SUPERVISOR_PASS, '/summary');
  await page.goto(`${HUB}/summary?date=${encodeURIComponent(SUMMARY_DATE)}`, { waitUntil: 'load' });
  // The hub renders the totals as <section class="cards" id="totals">; match on the id only.
  expect(await page.locator('#totals').count() === 1, 'no #totals on /summary');
  const totalsTag = await page.locator('#totals').evaluate((e) => e.tagName.toLowerCase());
  expect(await page.locator('#totals #total-rate').count() === 1, '#total-rate is not inside #totals');
  expect(await page.locator('#total-rate').count() === 1, 'no #total-rate on /summary');
  const rate = (await page.locator('#total-rate').innerText()).trim();
  expect(/\d+\.\d %|–/.test(rate), `#total-rate text ${JSON.stringify(rate)} does not match /\\d+\\.\\d %|–/`);
  const tables = await page.locator('table').count();
  const attention = await page.locator('section#attention').count();
  const noData = await page.locator('#no-data').count();
  log(`(e) supervisor ${SUPERVISOR_USER} → /summary?date=${SUMMARY_DATE}: ${totalsTag}#totals, total rate ${rate}, ` +
      `${tables} table(s), attention section ${attention ? 'present' : 'absent'}` +
      `${noData ? ', "no data" notice shown' : ''}; ` +
      `shot ${await shot('supervisor-summary.png', true)}`);

  expect(pageErrors.length === 0, `page errors: ${pageErrors.join('; ')}`);
  log(`PASS in ${((Date.now() - t0 - waitMs) / 1000).toFixed(1)} s (excluding ${(waitMs / 1000).toFixed(1)} s clip wait); screenshots in ${SHOT_DIR}`);
  exitCode = 0;
} catch (err) {
  console.error(`FAIL: ${err instanceof Fail ? err.message : (err?.stack ?? err)}`);
  if (page) {
    console.error(`URL: ${page.url()}`);
    const text = await page.locator('body').innerText({ timeout: 3_000 }).catch(() => '(no page text)');
    console.error(`page text:\n${text.slice(0, 2000)}`);
    await shot('failure.png', true).then((f) => console.error(`failure shot: ${f}`)).catch(() => {});
  }
} finally {
  clearTimeout(watchdog);
  await context?.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
}
process.exit(exitCode);

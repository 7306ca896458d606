// Browser test of the status grid of `d2d serve` (issue 15): with more lake dates than one page
// holds, the grid pages back and forth by links, reloads itself when asked (a meta refresh: the
// pages have no scripts), marks only the phase a run failed in, and names the dates that bounded
// catch-up skipped. A real serve (libfaketime sets its clock) catches up 45 dates: three loadable,
// one whose lines are all rejected (transform fails), the others without files (extract fails).
//
// usage: node serve_grid.test.mjs <path to d2d> <artifacts dir> <scripts dir>
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [d2d, artifacts, scripts] = process.argv.slice(2);
if (!d2d || !artifacts || !scripts) throw new Error('usage: serve_grid.test.mjs D2D ARTIFACTS SCRIPTS');
const CHROMIUM = '/usr/bin/chromium';
const FAKETIME = ['/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1', '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1']
  .find((path) => existsSync(path));
assert.ok(existsSync(CHROMIUM), 'chromium missing: run scripts/install-deps.sh');
assert.ok(FAKETIME, 'libfaketime missing: run scripts/install-deps.sh');
mkdirSync(artifacts, { recursive: true });

const work = mkdtempSync(join(tmpdir(), 'd2d-browser-grid-'));
const TOKEN = randomBytes(24).toString('hex');
const bearer = { headers: { Authorization: `Bearer ${TOKEN}` } };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
let server;
let browser;

async function eventually(what, check, seconds) {
  const until = Date.now() + seconds * 1000;
  for (;;) {
    try {
      if (await check()) return;
    } catch { /* not up yet */ }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

try {
  execFileSync(d2d, ['generate', '--out', join(work, 'source'), '--date', '2019-06-01', '--days', '3',
    '--vehicles', '4', '--seed', '9'], { stdio: 'ignore' });
  // 2019-05-30: every line rejected, so the reject gate (transform's) fails the run.
  mkdirSync(join(work, 'source', 'data'), { recursive: true });
  writeFileSync(join(work, 'source', 'data', '2019-05-30-10-00-0-events.json'), 'not json\n{"on": 1}\n');
  const port = Number(execFileSync('bash', [join(scripts, 'free-port.sh')]).toString().trim());
  const base = `http://127.0.0.1:${port}`;
  // 2019-06-04 06:00 UTC: dates up to 06-03 are due. Owed from 04-01, but catch-up takes only the
  // newest 45 (04-20..06-03); 04-01..04-19 are skipped.
  server = spawn(d2d, ['serve', '--source', join(work, 'source'), '--lake', join(work, 'lake'),
    '--warehouse', join(work, 'w.db'), '--start-date', '2019-04-01', '--catchup-days', '45',
    '--at', '02:00', '--tz', 'Europe/Berlin', '--retries', '0', '--port', String(port), '--quiet'], {
    env: { ...process.env, LD_PRELOAD: FAKETIME, FAKETIME: '@2019-06-04 06:00:00', FAKETIME_DONT_FAKE_MONOTONIC: '1',
      D2D_SERVE_TOKEN: TOKEN },
    // serve logs 42 failed dates; kept in a file so that a failing assertion is the last thing
    // printed (CI shows the end of the output), and its tail is shown after it.
    stdio: ['ignore', 'ignore', openSync(join(work, 'serve.log'), 'w')],
  });
  await eventually('the scheduler to catch up', async () => {
    const health = await (await fetch(`${base}/healthz`)).text();
    const metrics = await (await fetch(`${base}/metrics`, bearer)).text();
    return health.includes('scheduler: idle') && metrics.includes('d2d_runs{status="succeeded"} 3')
      && metrics.includes('d2d_runs{status="failed"} 42');
  }, 240);

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 },
    httpCredentials: { username: 'ops', password: TOKEN } });
  const page = await context.newPage();
  const cell = (date, phase) => page.locator(`#grid span.cell[data-date="${date}"][data-phase="${phase}"]`);
  const colour = (date, phase) => cell(date, phase).evaluate((el) => getComputedStyle(el).backgroundColor);
  const shownDates = async () => page.locator('#grid th.date').allInnerTexts();
  // A click resolves once the next page starts loading, not when it has loaded: reading the grid
  // then can see a half-parsed document (a CI run under load saw too few dates). Wait for its load.
  const follow = async (selector) => {
    const loaded = page.waitForEvent('load', { timeout: 15000 });
    await page.click(selector);
    await loaded;
  };
  const RED = 'rgb(224, 49, 49)';
  const GREEN = 'rgb(47, 158, 68)';

  // The newest page: 30 dates, 05-05..06-03, and the skipped dates named with their backfill.
  await page.goto(`${base}/`);
  let dates = await shownDates();
  assert.equal(dates.length, 30, 'one page holds 30 dates');
  assert.equal(dates[0], '2019-05-05');
  assert.equal(dates.at(-1), '2019-06-03');
  assert.match(await page.locator('#skipped').innerText(), /d2d backfill --from 2019-04-01 --to 2019-04-19/);
  assert.equal(await page.locator('#newer').count(), 0, 'no newer page than the newest');

  // Only the phase a run failed in is red: extract for a date without files (the rest was not
  // reached), transform for the reject gate (load and derive did their work).
  assert.equal(await colour('2019-05-31', 'extract'), RED);
  for (const phase of ['transform', 'load', 'derive']) {
    assert.equal(await cell('2019-05-31', phase).getAttribute('data-state'), 'upstream_failed', `05-31 ${phase}`);
    assert.notEqual(await colour('2019-05-31', phase), RED, `05-31 ${phase} is not red`);
  }
  assert.equal(await colour('2019-05-30', 'extract'), GREEN);
  assert.equal(await colour('2019-05-30', 'transform'), RED);
  assert.equal(await colour('2019-05-30', 'load'), GREEN);
  assert.equal(await colour('2019-05-30', 'derive'), GREEN);
  for (const phase of ['extract', 'transform', 'load', 'derive']) assert.equal(await colour('2019-06-02', phase), GREEN);
  await page.screenshot({ path: join(artifacts, 'grid-newest.png'), fullPage: true });

  // Older dates on request: the link, as a person would click it.
  await follow('#older');
  assert.match(page.url(), /\?before=2019-05-05/);
  dates = await shownDates();
  assert.equal(dates[0], '2019-04-20');
  assert.equal(dates.at(-1), '2019-05-04');
  assert.equal(await page.locator('#older').count(), 0, 'catch-up ran nothing older than 04-20');
  assert.equal(await colour('2019-04-20', 'extract'), RED);
  await page.screenshot({ path: join(artifacts, 'grid-older.png'), fullPage: true });
  await follow('#newer');
  assert.equal((await shownDates()).at(-1), '2019-06-03');

  // Refreshing: off by default, on by a link, and the page really reloads itself.
  assert.equal(await page.locator('meta[http-equiv="refresh"]').count(), 0);
  await page.goto(`${base}/?refresh=5`);
  assert.equal(await page.locator('meta[http-equiv="refresh"]').getAttribute('content'), '5');
  const reloaded = page.waitForEvent('load', { timeout: 15000 });
  await reloaded;
  assert.match(page.url(), /refresh=5/, 'the reloaded page keeps refreshing');
  await follow('#older');
  assert.match(page.url(), /before=2019-05-05.*refresh=5/, 'paging keeps the refresh');
  await follow('#refresh');
  assert.equal(await page.locator('meta[http-equiv="refresh"]').count(), 0, 'the link stops it');
  assert.match(page.url(), /before=2019-05-05/, 'and keeps the page');
  const badRefresh = await fetch(`${base}/?refresh=1`, bearer);
  assert.equal(badRefresh.status, 400, 'a refresh below 5 s is refused');

  console.log(`browser test: grid paging, refresh and phase marking checked; screenshots in ${artifacts}`);
  console.log('1 passed, 0 failed');
} catch (error) {
  const log = existsSync(join(work, 'serve.log')) ? readFileSync(join(work, 'serve.log'), 'utf8') : '';
  console.error(`serve's log, last lines:\n${log.split('\n').slice(-8).join('\n')}`);
  throw error;
} finally {
  if (browser) await browser.close();
  if (server) {
    server.kill('SIGTERM');
    await new Promise((resolve) => (server.exitCode !== null ? resolve() : server.on('exit', resolve)));
  }
  rmSync(work, { recursive: true, force: true });
}

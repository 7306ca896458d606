// Browser test of `d2d serve`: a real run (generated lake dates, the scheduler catching them up
// into SQLite), then Debian's chromium, headless, driven by playwright-core, loads `/` and
// `/report` and checks what a person would see: the grid's cells coloured by state, reject
// samples, the SVG bars matching `d2d report`, vehicle tracks with their breaks. The server
// requires a token: the browser gets the Basic challenge and answers it with the token as the
// password, the way a person would at the prompt. Screenshots go to the artefacts folder given as
// the second argument.
//
// usage: node serve_pages.test.mjs <path to d2d> <artifacts dir> <scripts dir>
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [d2d, artifacts, scripts] = process.argv.slice(2);
if (!d2d || !artifacts || !scripts) throw new Error('usage: serve_pages.test.mjs D2D ARTIFACTS SCRIPTS');
const CHROMIUM = '/usr/bin/chromium';
const FAKETIME = ['/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1', '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1']
  .find((path) => existsSync(path));
assert.ok(existsSync(CHROMIUM), 'chromium missing: run scripts/install-deps.sh');
assert.ok(FAKETIME, 'libfaketime missing: run scripts/install-deps.sh');
mkdirSync(artifacts, { recursive: true });

const work = mkdtempSync(join(tmpdir(), 'd2d-browser-'));
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
    '--vehicles', '12', '--breaks', '--bad-ratio', '0.003', '--seed', '5'], { stdio: 'ignore' });
  const port = Number(execFileSync('bash', [join(scripts, 'free-port.sh')]).toString().trim());
  const base = `http://127.0.0.1:${port}`;
  const warehouse = join(work, 'w.db');
  // The process clock says 2019-06-04 06:00 UTC: 2019-05-31 (no files: fails, no retries left)
  // and 2019-06-01..03 are due.
  server = spawn(d2d, ['serve', '--source', join(work, 'source'), '--lake', join(work, 'lake'),
    '--warehouse', warehouse, '--start-date', '2019-05-31', '--at', '02:00', '--tz', 'Europe/Berlin',
    '--retries', '0', '--port', String(port), '--quiet'], {
    env: { ...process.env, LD_PRELOAD: FAKETIME, FAKETIME: '@2019-06-04 06:00:00', FAKETIME_DONT_FAKE_MONOTONIC: '1',
      D2D_SERVE_TOKEN: TOKEN },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await eventually('the scheduler to catch up', async () => {
    const health = await (await fetch(`${base}/healthz`)).text();
    const metrics = await (await fetch(`${base}/metrics`, bearer)).text();
    return health.includes('scheduler: idle') && metrics.includes('d2d_runs{status="succeeded"} 3')
      && metrics.includes('d2d_runs{status="failed"} 1');
  }, 180);

  // Without the token: 401 and the challenge that makes a browser prompt (headless chromium
  // without credentials abandons the navigation instead, so this is asked with fetch).
  const refused = await fetch(`${base}/report`);
  assert.equal(refused.status, 401, 'the pages need the token');
  assert.equal(refused.headers.get('www-authenticate'), 'Basic realm="d2d"');
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 },
    httpCredentials: { username: 'ops', password: TOKEN } });
  const page = await context.newPage();

  // `/`: the grid, four dates x four phases, coloured like Airflow.
  await page.goto(`${base}/?date=2019-06-02`);
  const cells = page.locator('#grid span.cell[data-phase]');
  assert.equal(await cells.count(), 16, 'four lake dates x four phases');
  const colour = (date, phase) => page.locator(`#grid span.cell[data-date="${date}"][data-phase="${phase}"]`)
    .evaluate((el) => getComputedStyle(el).backgroundColor);
  for (const phase of ['extract', 'transform', 'load', 'derive']) {
    assert.equal(await colour('2019-06-02', phase), 'rgb(47, 158, 68)', `2019-06-02 ${phase} is green`);
  }
  // 2019-05-31 failed in extract (no files): only that phase is red, the others were not reached.
  assert.equal(await colour('2019-05-31', 'extract'), 'rgb(224, 49, 49)', '2019-05-31 extract is red');
  for (const phase of ['transform', 'load', 'derive']) {
    assert.equal(await page.locator(`#grid span.cell[data-date="2019-05-31"][data-phase="${phase}"]`)
      .getAttribute('data-state'), 'upstream_failed', `2019-05-31 ${phase} was not reached`);
  }
  const box = await page.locator('#grid span.cell[data-date="2019-06-03"][data-phase="load"]').boundingBox();
  assert.ok(box && box.width >= 16 && box.height >= 16, 'grid cells are drawn at full size');
  const runBars = page.locator('#grid span.runbar');
  assert.equal(await runBars.count(), 4);
  // Details of the selected date: counts, and reject reasons with sample lines.
  assert.match(await page.locator('#date-details h2').innerText(), /2019-06-02/);
  const rejectRows = page.locator('table.rejects tr[data-reason]');
  assert.ok(await rejectRows.count() > 0, 'reject reasons are listed');
  assert.ok(await page.locator('table.rejects pre.raw').first().isVisible(), 'a sample line is shown');
  await page.screenshot({ path: join(artifacts, 'status.png'), fullPage: true });

  // `/report`: one bar per period that had vehicles, longer for a longer average, the same
  // numbers as `d2d report --format json`.
  const answer = JSON.parse(execFileSync(d2d, ['report', '--warehouse', warehouse, '--format', 'json']).toString());
  const withVehicles = answer.operating_periods.filter((p) => p.avg_distance_m !== null);
  assert.ok(withVehicles.length >= 3);
  // The period whose vehicles took the most breaks makes the most telling drawing.
  let best = null;
  for (const period of withVehicles) {
    await page.goto(`${base}/report?period=${encodeURIComponent(period.operating_period_id)}`);
    const breaks = await page.locator('svg.track rect.break-interval').count();
    if (!best || breaks > best.breaks) best = { id: period.operating_period_id, breaks };
  }
  await page.goto(`${base}/report?period=${encodeURIComponent(best.id)}`);
  const bars = page.locator('#bars rect.bar');
  assert.equal(await bars.count(), withVehicles.length);
  const widths = {};
  for (const period of withVehicles) {
    const bar = page.locator(`#bars rect.bar[data-period="${period.operating_period_id}"]`);
    assert.ok(Math.abs(Number(await bar.getAttribute('data-avg-m')) - period.avg_distance_m) < 0.001);
    widths[period.operating_period_id] = (await bar.boundingBox()).width;
  }
  const longest = withVehicles.reduce((a, b) => (a.avg_distance_m > b.avg_distance_m ? a : b));
  const shortest = withVehicles.reduce((a, b) => (a.avg_distance_m < b.avg_distance_m ? a : b));
  assert.ok(widths[longest.operating_period_id] > widths[shortest.operating_period_id], 'bars scale with the average');
  // Tracks: one drawing per vehicle that took part, with counted stretches, and breaks shown.
  const selected = withVehicles.find((p) => p.operating_period_id === best.id);
  const tracks = page.locator('#tracks svg.track');
  assert.equal(await tracks.count(), Math.min(selected.vehicles, 60));
  assert.ok(await page.locator('#tracks polyline.counted-stretch').count() >= selected.vehicles);
  const trackBox = await tracks.first().boundingBox();
  assert.ok(trackBox.width > 200 && trackBox.height > 150, 'tracks are drawn');
  assert.ok(best.breaks > 0, 'some vehicle took a break in a drawn period');
  assert.ok(await page.locator('#tracks .break-mark, #tracks polyline.break-stretch').count() > 0, 'breaks are drawn on the tracks');
  await page.screenshot({ path: join(artifacts, 'report.png'), fullPage: true });
  console.log(`browser test: / and /report checked; screenshots in ${artifacts}`);
  console.log('1 passed, 0 failed');
} finally {
  if (browser) await browser.close();
  if (server) {
    server.kill('SIGTERM');
    await new Promise((resolve) => (server.exitCode !== null ? resolve() : server.on('exit', resolve)));
  }
  rmSync(work, { recursive: true, force: true });
}

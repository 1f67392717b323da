// The hosted checkout of the orchestration dialect in a real browser (Debian's Chromium, headless):
// a customer follows the intent's redirect_url, pays on the sandbox (approve, decline then approve,
// 3-D Secure), and lands back on the shop's return page with the intent id; the intent's status
// and money are then read through the API. Screenshots go to tests/console/screenshots/.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';
import { BACKENDS, rand, createClient, startServer, stopServer, verify, req } from '../api/lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const shots = join(here, 'screenshots');
const CHROMIUM = process.env.SPLITLEDGER_CHROMIUM || '/usr/bin/chromium';

// The shop: its return page shows the intent id it was given.
function shop() {
  const server = createServer((rq, rs) => {
    const u = new URL(rq.url, 'http://shop');
    rs.writeHead(200, { 'Content-Type': 'text/html' });
    rs.end(`<!doctype html><title>Shop</title><h1 id="thanks">Thank you</h1><p id="intent">${u.searchParams.get('intent_id') ?? ''}</p>`);
  });
  return new Promise((res) => server.listen(0, '127.0.0.1', () => res({ server, url: `http://127.0.0.1:${server.address().port}/return` })));
}

const backend = BACKENDS[0];  // the browser part does not depend on the database
describe('hosted checkout in Chromium', () => {
  const ctx = {};
  let browser, page;
  before(async () => {
    mkdirSync(shots, { recursive: true });
    ctx.shop = await shop();
    ctx.db = await backend.create();
    ctx.key = `key-co-${rand(16)}`;
    await createClient(ctx.db.url, `cl-co-${rand(4)}`, ctx.key);
    ctx.srv = await startServer(ctx.db.url);
    browser = await puppeteer.launch({
      executablePath: CHROMIUM, headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
    });
    page = await browser.newPage();
    await page.setViewport({ width: 420, height: 860 });  // a phone
  });
  after(async () => {
    try {
      if (browser) await browser.close();
      const r = await stopServer(ctx.srv);
      assert.equal(r.code, 0);
      const v = await verify(ctx.db.url);
      assert.equal(v.code, 0, v.stdout + v.stderr);
    } finally {
      ctx.shop.server.close();
      await ctx.db.drop();
    }
  });

  const create = async (extra = {}) => {
    const r = await req(ctx.srv.base, 'POST', '/api/intents', {
      headers: { Authorization: `Bearer ${ctx.key}` },
      body: { amount: 2599, currency: 'EUR', reference_id: `web-${rand(6)}`, purchaser_id: 'browser-buyer',
        return_url: ctx.shop.url, allow_remember_credentials: false, ...extra },
    });
    assert.equal(r.status, 201, r.text);
    return r.json;
  };
  const status = async (id) => (await req(ctx.srv.base, 'GET', `/api/intents/${id}`, { headers: { Authorization: `Bearer ${ctx.key}` } })).json;
  const click = async (selector) => {
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(selector)]);
  };

  it('approve: the customer pays and lands on the shop with the intent id', async () => {
    const intent = await create();
    await page.goto(intent.redirect_url, { waitUntil: 'load' });
    assert.equal(await page.$eval('#amount', (e) => e.textContent.trim()), '25.99 EUR');
    assert.equal(await page.$eval('#status', (e) => e.textContent), 'selection');
    await page.screenshot({ path: join(shots, 'checkout-sandbox.png'), fullPage: true });
    await click('#approve');
    assert.equal(page.url(), `${ctx.shop.url}?intent_id=${intent.id}`);
    assert.equal(await page.$eval('#intent', (e) => e.textContent), intent.id);
    const s = await status(intent.id);
    assert.equal(s.status, 'success');
    assert.equal(s.captured_amount, 2599);
  });

  it('decline, then approve: the page says it was declined and lets the customer try again', async () => {
    const intent = await create();
    await page.goto(intent.redirect_url, { waitUntil: 'load' });
    await click('#decline');
    assert.match(await page.$eval('#notice', (e) => e.textContent), /declined \(CardDeclined\)/);
    await page.screenshot({ path: join(shots, 'checkout-declined.png'), fullPage: true });
    await click('#approve');
    assert.equal(page.url(), `${ctx.shop.url}?intent_id=${intent.id}`);
    const s = await status(intent.id);
    assert.equal(s.status, 'success');
    assert.deepEqual(s.attempts.map((a) => a.status), ['failed', 'success']);
  });

  it('3-D Secure: the challenge page, then the shop; prefer_delay stays authorized for the merchant to capture', async () => {
    const intent = await create({ capture_mode: 'prefer_delay' });
    await page.goto(intent.redirect_url, { waitUntil: 'load' });
    await click('#three-ds');
    assert.equal(await page.$eval('#status', (e) => e.textContent), 'pending');
    await page.screenshot({ path: join(shots, 'checkout-3ds.png'), fullPage: true });
    await click('#challenge-approve');
    assert.equal(page.url(), `${ctx.shop.url}?intent_id=${intent.id}`);
    assert.equal((await status(intent.id)).status, 'authorized');
    // Back on the checkout link later: nothing to pay any more, a way back to the shop.
    await page.goto(intent.redirect_url, { waitUntil: 'load' });
    assert.equal(await page.$$eval('button', (b) => b.length), 0);
    assert.ok(await page.$('#back'));
  });

  it('a tampered link is refused without showing the intent', async () => {
    const intent = await create();
    const u = new URL(intent.redirect_url);
    u.searchParams.set('iauth', u.searchParams.get('iauth').slice(0, -2) + 'xx');
    const resp = await page.goto(u.toString(), { waitUntil: 'load' });
    assert.equal(resp.status(), 403);
    assert.doesNotMatch(await page.content(), /25\.99/);
  });
});

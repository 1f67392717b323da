// The web console (/console) in headless Chromium from Debian's packages, driven over the
// DevTools protocol (puppeteer-core, no browser download). After a money-flow scenario made
// through the API, an admin signs in and the pages show the same figures as the API and the
// `splitledger admin` reports; every page is screenshotted (tests/console/screenshots/, kept for
// people to look at). Also: no page without a session, a wrong password refused, cookie flags,
// CSRF refused, nothing loaded from elsewhere, sign-out.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';
import {
  BACKENDS, BIN, createClient, startServer, stopServer, verify, getToken, Api, makeSeller, rand, req,
} from '../api/lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const shots = join(here, 'screenshots');
const CHROMIUM = process.env.SPLITLEDGER_CHROMIUM || '/usr/bin/chromium';
const run = (args, input) => new Promise((res) => {
  const p = execFile(BIN, args, { timeout: 60_000 }, (err, stdout, stderr) =>
    res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  if (input !== undefined) { p.stdin.write(input); p.stdin.end(); }
});

const backend = BACKENDS[0];  // SQLite: the pages read through the same reports on both (admin_reports.test.mjs)
describe('web console in headless Chromium', () => {
  let db, srv, api, clientId, browser, page, seller, intentId, settlementId;
  const password = `pw-${rand(8)}-long enough`;
  before(async () => {
    mkdirSync(shots, { recursive: true });
    db = await backend.create();
    clientId = `console-${rand(3)}`;
    const apiKey = `key-${rand(12)}`;
    await createClient(db.url, clientId, apiKey);
    srv = await startServer(db.url);
    const t = await getToken(srv.base, clientId, apiKey);
    api = new Api(srv.base, clientId, t.json.access_token);
    // An intent captured, split, settled and funded: the seller's wallet gets 900, FEES 100.
    seller = await makeSeller(api);
    // A hook whose receiver is not there: its notifications wait in the outbox, with their errors.
    assert.equal((await api.v2('POST', '/hooks', { EventType: 'INTENT_CAPTURED', Url: 'http://127.0.0.1:9/hook' })).status, 200);
    const i = (await api.v3('POST', '/payins/intents', {
      Amount: 1000, Currency: 'EUR', PlatformFeesAmount: 100,
      ExternalData: { ExternalProcessingDate: 1728133765, ExternalProviderReference: `auth-${rand()}`, ExternalProviderName: 'Stripe' },
      LineItems: [{ Seller: { WalletId: seller.walletId, AuthorId: seller.userId, FeesAmount: 100, TransferDate: 1728133765 }, Sku: 'a', Quantity: 1, UnitAmount: 1000 }],
    })).json;
    intentId = i.Id;
    const ref = `cap-${rand()}`;
    const c = (await api.v3('POST', `/payins/intents/${i.Id}/captures`, { ExternalData: { ExternalProcessingDate: 1728133766, ExternalProviderReference: ref } })).json;
    await api.v3('POST', `/payins/intents/${i.Id}/splits`, { Splits: [{ LineItemId: c.LineItems[0].Id, SplitAmount: 1000 }] });
    const st = (await api.v3('POST', '/payins/intents/settlements', { FileName: 'f.csv' })).json;
    settlementId = st.SettlementId;
    const csv = ['ExternalProviderReference,ExternalTransactionType,ExternalTransactionStatus,ExternalProcessingDate,Amount,Currency',
      `${ref},PAYMENT,SETTLED,19-06-2025,1000,EUR`, ',,,,,', 'SettlementDate,20-06-2025,,,,', 'ExternalProviderName,Stripe,,,,',
      'TotalSettlementFeesAmount,0,,,,', 'TotalNetSettlementAmount,1000,,,,', 'SettlementCurrency,EUR,,,,'].join('\r\n') + '\r\n';
    assert.equal((await req(st.UploadUrl, 'PUT', '', { body: csv, headers: { 'Content-Type': 'text/csv' } })).status, 200);
    assert.equal((await api.v3('GET', `/payins/intents/settlements/${st.SettlementId}`)).json.Status, 'PENDING_FUNDS_RECEPTION');
    assert.equal((await run(['escrow', 'receive', '--db', db.url, '--client', clientId, '--currency', 'EUR', '--amount', '1000', '--reference', `wire-${rand()}`])).code, 0);
    const add = await run(['admin', 'user', 'add', '--db', db.url, '--name', 'alice'], `${password}\n`);
    assert.equal(add.code, 0, add.stderr);
    // Reports read the projection: wait until it holds everything.
    for (let k = 0; k < 200; k++) {
      if (/splitledger_projection_lag_records 0\n/.test(await (await fetch(`${srv.base}/metrics`)).text())) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    browser = await puppeteer.launch({
      executablePath: CHROMIUM, headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
    });
    page = await browser.newPage();
    await page.setViewport({ width: 1366, height: 900 });  // a laptop screen
  });
  after(async () => {
    try {
      if (browser) await browser.close();
      if (srv) {
        assert.equal((await stopServer(srv)).code, 0);
        const v = await verify(db.url);
        assert.equal(v.code, 0, v.stdout + v.stderr);
      }
    } finally { if (db) await db.drop(); }
  });
  const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  const figures = (name) => page.$$eval(`[data-figure="${name}"]`, (els) => els.map((e) => Number(e.dataset.value)));

  it('without a session every page leads to the sign-in form; a wrong password is refused', async () => {
    const r = await page.goto(`${srv.base}/console/clients/${clientId}/trial-balance`);
    assert.equal(new URL(page.url()).pathname, '/console/login');
    assert.equal(r.status(), 200);
    await shot('01-sign-in');
    await page.type('input[name=name]', 'alice');
    await page.type('input[name=password]', 'not the password');
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    assert.match(await page.$eval('[role=alert]', (e) => e.textContent), /Wrong name or password/);
  });

  it('signs in with a session cookie that is HttpOnly, Secure and SameSite=Strict', async () => {
    await page.type('input[name=name]', 'alice');
    await page.type('input[name=password]', password);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    assert.equal(new URL(page.url()).pathname, '/console');
    const cookie = (await page.cookies()).find((c) => c.name === 'sl_session');
    assert.ok(cookie, 'session cookie set');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.secure, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(cookie.path, '/console');
    assert.ok((await page.content()).includes(clientId));
    await shot('02-clients');
  });

  it('trial balance: the same totals as `splitledger admin trial-balance`, netting to zero', async () => {
    await page.goto(`${srv.base}/console/clients/${clientId}/trial-balance`);
    const cli = JSON.parse((await run(['admin', 'trial-balance', '--db', db.url, '--client', clientId, '--format', 'json'])).stdout);
    const eur = cli.totals.find((t) => t.currency === 'EUR');
    assert.deepEqual(await figures('debits'), [eur.debits]);
    assert.deepEqual(await figures('credits'), [eur.credits]);
    assert.deepEqual(await figures('balanced'), [1]);
    await shot('03-trial-balance');
  });

  it('wallet statement: closing balance equals the API\'s, movements add up, a balance chart', async () => {
    await page.goto(`${srv.base}/console/clients/${clientId}/wallets`);
    await shot('04-wallets');
    await Promise.all([page.waitForNavigation(), page.click(`a[href$="/wallets/${seller.walletId}/statement"]`)]);
    const apiBalance = (await api.v2('GET', `/wallets/${seller.walletId}`)).json.Balance.Amount;
    assert.equal(apiBalance, 900);
    assert.deepEqual(await figures('closing'), [apiBalance]);
    const amounts = await figures('amount');
    const [opening] = await figures('opening');
    assert.equal(opening + amounts.reduce((s, a) => s + a, 0), apiBalance);
    const points = await page.$eval('svg.chart', (s) => Number(s.dataset.points));
    assert.equal(points, amounts.length + 1, 'one point per movement, and the opening');
    assert.equal(await page.$eval('svg.chart polyline', (p) => p.getAttribute('points').split(' ').length), points);
    await shot('05-statement');
  });

  it('reconciliation: clean, then a planted difference with a drill-down to its journal entries', async () => {
    await page.goto(`${srv.base}/console/clients/${clientId}/reconcile`);
    assert.deepEqual(await figures('differences'), [0]);
    // Funds that no settlement was waiting for.
    const wire = `stray-${rand()}`;
    assert.equal((await run(['escrow', 'receive', '--db', db.url, '--client', clientId, '--currency', 'EUR', '--amount', '1', '--reference', wire])).code, 0);
    for (let k = 0; k < 200; k++) {
      if (/splitledger_projection_lag_records 0\n/.test(await (await fetch(`${srv.base}/metrics`)).text())) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    await page.goto(`${srv.base}/console/clients/${clientId}/reconcile`);
    assert.deepEqual(await figures('differences'), [1]);
    await shot('06-reconciliation');
    await Promise.all([page.waitForNavigation(), page.click(`a[href*="ref=${wire}"]`)]);
    assert.deepEqual(await figures('entries'), [1]);
    assert.match(await page.content(), /escrow\.receive/);
    await shot('07-journal');
  });

  it('settlements with their status and validation errors; hook deliveries with their state', async () => {
    // A file with a line that matches nothing: its validation errors are shown.
    const bad = (await api.v3('POST', '/payins/intents/settlements', { FileName: 'bad.csv' })).json;
    const csv = ['ExternalProviderReference,ExternalTransactionType,ExternalTransactionStatus,ExternalProcessingDate,Amount,Currency',
      'no-such-ref,PAYMENT,SETTLED,19-06-2025,5,EUR', ',,,,,', 'SettlementDate,20-06-2025,,,,', 'ExternalProviderName,Stripe,,,,',
      'TotalSettlementFeesAmount,0,,,,', 'TotalNetSettlementAmount,5,,,,', 'SettlementCurrency,EUR,,,,'].join('\r\n') + '\r\n';
    await req(bad.UploadUrl, 'PUT', '', { body: csv, headers: { 'Content-Type': 'text/csv' } });
    const apiBad = (await api.v3('GET', `/payins/intents/settlements/${bad.SettlementId}`)).json;
    const apiGood = (await api.v3('GET', `/payins/intents/settlements/${settlementId}`)).json;
    for (let k = 0; k < 200; k++) {
      if (/splitledger_projection_lag_records 0\n/.test(await (await fetch(`${srv.base}/metrics`)).text())) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    await page.goto(`${srv.base}/console/clients/${clientId}/settlements`);
    assert.deepEqual(await figures('settlements'), [2]);
    const status = (id) => page.$eval(`[data-settlement="${id}"] .status`, (e) => e.textContent);
    assert.equal(await status(settlementId), apiGood.Status);
    assert.equal(await status(bad.SettlementId), apiBad.Status);
    const errors = await page.$$eval('tr.verr', (rows) => rows.map((r) => r.textContent));
    assert.ok(errors.some((e) => e.includes('no-such-ref') && e.includes('MATCH_REF_NOT_FOUND')), JSON.stringify(errors));
    await shot('08-settlements');
    await page.goto(`${srv.base}/console/clients/${clientId}/deliveries`);
    const rows = await page.$$eval('tr[data-delivery]', (trs) => trs.map((r) => r.textContent));
    assert.ok(rows.some((t) => t.includes('INTENT_CAPTURED') && t.includes(intentId) && t.includes('127.0.0.1:9')), JSON.stringify(rows));
    await shot('09-deliveries');
  });

  it('verify on demand: its step while it runs, then its result', async () => {
    await page.goto(`${srv.base}/console/verify`);
    await Promise.all([page.waitForNavigation(), page.click('button.verify')]);
    await page.waitForSelector('[data-figure="verify-ok"]', { timeout: 60_000 });
    assert.deepEqual(await figures('verify-ok'), [1]);
    assert.match(await page.content(), /log records checked/);
    await shot('10-verify');
  });

  it('nothing is fetched from elsewhere, and a POST without the CSRF token is refused', async () => {
    const r = await page.goto(`${srv.base}/console/clients/${clientId}/trial-balance`);
    assert.match(r.headers()['content-security-policy'], /default-src 'none'/);
    const html = await page.content();
    assert.ok(!/<script|https?:\/\/(?!127\.0\.0\.1)/.test(html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '')), 'no script, no external URL');
    const cookie = (await page.cookies()).find((c) => c.name === 'sl_session');
    const forged = await fetch(`${srv.base}/console/logout`, {
      method: 'POST', redirect: 'manual', body: 'csrf=0000',
      headers: { Cookie: `sl_session=${cookie.value}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(forged.status, 403);
    const crossSite = await fetch(`${srv.base}/console/logout`, {
      method: 'POST', redirect: 'manual', body: `csrf=${await page.$eval('input[name=csrf]', (e) => e.value)}`,
      headers: { Cookie: `sl_session=${cookie.value}`, Origin: 'https://evil.example', 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(crossSite.status, 403, 'the right token from another origin');
    // Still signed in.
    await page.goto(`${srv.base}/console`);
    assert.equal(new URL(page.url()).pathname, '/console');
  });

  it('signs out: the session is gone, even for a copy of its cookie', async () => {
    const old = (await page.cookies()).find((c) => c.name === 'sl_session').value;
    await Promise.all([page.waitForNavigation(), page.click('form.user button')]);
    assert.equal(new URL(page.url()).pathname, '/console/login');
    await page.goto(`${srv.base}/console`);
    assert.equal(new URL(page.url()).pathname, '/console/login');
    for (const path of ['/console', `/console/clients/${clientId}/trial-balance`, '/console/verify']) {
      const r = await fetch(`${srv.base}${path}`, { redirect: 'manual', headers: { Cookie: `sl_session=${old}` } });
      assert.equal(r.status, 303, path);
      assert.equal(r.headers.get('location'), '/console/login');
    }
  });

  it('sign-in: an unknown name answers as a wrong password; a forged form is refused; guessing is paused', async () => {
    const form = async (name, pass, { nonce = 'n0nce', cookieNonce = 'n0nce' } = {}) => fetch(`${srv.base}/console/login`, {
      method: 'POST', redirect: 'manual', body: `csrf=${nonce}&name=${encodeURIComponent(name)}&password=${encodeURIComponent(pass)}`,
      headers: { Cookie: `sl_login=${cookieNonce}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    const unknown = await form('nobody', 'whatever');
    const wrong = await form('alice', 'whatever');
    assert.equal(unknown.status, 401);
    assert.equal(wrong.status, 401);
    const text = async (r) => (await r.text()).replace(/value="[0-9a-f]{64}"/g, '');
    assert.equal(await text(unknown), await text(wrong), 'the same page');
    assert.equal((await form('alice', password, { cookieNonce: 'other' })).status, 403, 'nonce not matching its cookie');
    for (let k = 0; k < 5; k++) await form('mallory', `guess-${k}`);
    assert.equal((await form('mallory', 'guess-6')).status, 429);
    // A proper sign-in still works for others.
    const ok = await form('alice', password);
    assert.equal(ok.status, 303);
  });

  it('a new password, or disabling the user, ends the user\'s open sessions', async () => {
    const signIn = async (name, pass) => {
      const r = await fetch(`${srv.base}/console/login`, {
        method: 'POST', redirect: 'manual', body: `csrf=n&name=${name}&password=${encodeURIComponent(pass)}`,
        headers: { Cookie: 'sl_login=n', 'Content-Type': 'application/x-www-form-urlencoded' },
      });
      const set = r.headers.get('set-cookie') || '';
      return { status: r.status, cookie: /sl_session=([0-9a-f]{64})/.exec(set)?.[1] };
    };
    const page1 = (cookie) => fetch(`${srv.base}/console`, { redirect: 'manual', headers: { Cookie: `sl_session=${cookie}` } });
    const bobPass = `bob-${rand(8)}-long enough`;
    assert.equal((await run(['admin', 'user', 'add', '--db', db.url, '--name', 'bob'], `${bobPass}\n`)).code, 0);
    const bob = await signIn('bob', bobPass);
    assert.equal(bob.status, 303);
    assert.equal((await page1(bob.cookie)).status, 200);
    assert.equal((await run(['admin', 'user', 'disable', '--db', db.url, '--name', 'bob'])).code, 0);
    assert.equal((await page1(bob.cookie)).status, 303, 'disabled: signed out');
    assert.equal((await signIn('bob', bobPass)).status, 401, 'and cannot sign in');
    assert.equal((await run(['admin', 'user', 'enable', '--db', db.url, '--name', 'bob'])).code, 0);
    const again = await signIn('bob', bobPass);
    assert.equal(again.status, 303);
    const newPass = `bob-new-${rand(8)}-long`;
    assert.equal((await run(['admin', 'user', 'add', '--db', db.url, '--name', 'bob'], `${newPass}\n`)).code, 0);
    assert.equal((await page1(again.cookie)).status, 303, 'new password: signed out');
    assert.equal((await signIn('bob', bobPass)).status, 401, 'the old password is gone');
    assert.equal((await signIn('bob', newPass)).status, 303);
  });
});

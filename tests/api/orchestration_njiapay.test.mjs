// The orchestration dialect driving the NjiaPay adapter against the local fake NjiaPay: the PSP's
// own hosted page, capture, cancel, refunds settled by the reconciler, a lost answer resolved by a
// sync, and a server killed while its capture was at the PSP: resolved after the restart, never
// sent twice, verify clean.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { BIN, BACKENDS, rand, createClient, startServer, stopServer, verify, req } from './lib.mjs';

const FAKE = resolve(dirname(BIN), 'fake-njiapay');
const LIB = resolve(dirname(BIN), '../lib');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function startFake(apiKey, secret) {
  const child = spawn(FAKE, ['--listen', '127.0.0.1:0', '--api-key', apiKey, '--webhook-secret', secret],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  for (let i = 0; i < 100 && !/listening/.test(out); i++) await sleep(50);
  const m = /"listening":"([^"]+)"/.exec(out);
  assert.ok(m, `fake-njiapay did not start: ${out}`);
  return { child, base: `http://${m[1]}` };
}

for (const backend of BACKENDS) {
  describe(`orchestration with the NjiaPay adapter [${backend.name}]`, () => {
    const ctx = {};
    const auth = () => ({ Authorization: `Bearer ${ctx.key}` });
    const create = (extra = {}) => req(ctx.base, 'POST', '/api/intents', {
      headers: auth(),
      body: {
        amount: 10000, currency: 'EUR', reference_id: `order-${rand(6)}`, purchaser_id: 'customer-1',
        return_url: 'https://shop.example/return', allow_remember_credentials: false, connection: 'njiapay', ...extra,
      },
    });
    const get = (id) => req(ctx.base, 'GET', `/api/intents/${id}`, { headers: auth() });
    const calls = async () => (await fetch(`${ctx.fake.base}/__fake/calls`)).json();
    const captures = (o) => Object.values(o).reduce((n, ops) => n + (typeof ops === 'object' ? ops.capture || 0 : 0), 0);
    async function waitStatus(id, want, ms = 20_000) {
      const deadline = Date.now() + ms;
      let last;
      while (Date.now() < deadline) {
        last = await get(id);
        if (last.status === 200 && want.includes(last.json.status)) return last.json;
        await sleep(200);
      }
      assert.fail(`intent ${id} never reached ${want}: ${last?.text}`);
    }
    // The customer's way through: our checkout → NjiaPay's page → back to us → the shop.
    async function pay(intent) {
      const u = new URL(intent.redirect_url);
      const r = await fetch(`${ctx.base}${u.pathname}`, {
        method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ iauth: u.searchParams.get('iauth'), outcome: 'pay' }).toString(),
      });
      await r.text();
      assert.equal(r.status, 303);
      const psp = r.headers.get('location');
      assert.ok(psp.startsWith(`${ctx.fake.base}/checkout/`), `sent to NjiaPay's page: ${psp}`);
      const played = await fetch(psp);
      assert.equal(played.status, 200, await played.text());
      const back = await fetch(`${ctx.base}${u.pathname}/return?iauth=${u.searchParams.get('iauth')}`, { redirect: 'manual' });
      await back.text();
      assert.equal(back.status, 303);
      return back.headers.get('location');
    }

    async function start(extraArgs = []) {
      ctx.srv = await startServer(ctx.db.url, ['--config', ctx.config, ...extraArgs]);
      ctx.base = ctx.srv.base;
    }

    before(async () => {
      ctx.dir = mkdtempSync(join(tmpdir(), 'splitledger-njia-'));
      const pspKey = `sk_test_${rand(8)}`;
      ctx.whsec = `whsec_${rand(8)}`;
      ctx.fake = await startFake(pspKey, ctx.whsec);
      ctx.config = join(ctx.dir, 'serve.json');
      writeFileSync(ctx.config, JSON.stringify({
        plugins: {
          secrets: { 'njiapay.key': pspKey, 'njiapay.whsec': ctx.whsec },
          adapters: [
            { name: 'sandbox', library: join(LIB, 'psp_sandbox.so'), environment: 'test' },
            { name: 'njiapay', library: join(LIB, 'psp_njiapay.so'), environment: 'test',
              config: { base_url: ctx.fake.base, api_key_secret: 'njiapay.key', webhook_secrets: ['njiapay.whsec'], timeout_ms: 1500 } },
          ],
        },
      }));
      ctx.db = await backend.create();
      ctx.client = `cl-nj-${rand(4)}`;
      ctx.key = `key-nj-${rand(16)}`;
      await createClient(ctx.db.url, ctx.client, ctx.key);
      await start();
    });
    after(async () => {
      try {
        const r = await stopServer(ctx.srv);
        assert.equal(r.code, 0, ctx.srv.log.slice(-2000));
        const v = await verify(ctx.db.url);
        assert.equal(v.code, 0, `verify: ${v.stdout}${v.stderr}`);
      } finally {
        ctx.fake.child.kill('SIGTERM');
        await ctx.db.drop();
        rmSync(ctx.dir, { recursive: true, force: true });
      }
    });

    it('pays on NjiaPay\'s own page, comes back, and ends success (immediate)', async () => {
      const c = await create();
      assert.equal(c.status, 201, c.text);
      assert.equal(c.json.connection, 'njiapay');
      const to = await pay(c.json);
      assert.equal(to, `https://shop.example/return?intent_id=${c.json.id}`);
      const g = (await get(c.json.id)).json;
      assert.equal(g.status, 'success');
      assert.equal(g.captured_amount, 10000);
      const n = await calls();
      const pspIds = Object.keys(n).filter((id) => n[id].create);
      assert.ok(pspIds.length >= 1);
    });

    it('prefer_delay: capture and cancel-authorization go through NjiaPay; a refund settles by sync', async () => {
      const c = await create({ capture_mode: 'prefer_delay' });
      await pay(c.json);
      assert.equal((await get(c.json.id)).json.status, 'authorized');
      const cap = await req(ctx.base, 'GET', `/api/v2/intents/${c.json.id}/capture`, { headers: auth() });
      assert.equal(cap.status, 200, cap.text);
      assert.equal(cap.json.status, 'success');
      const r = await req(ctx.base, 'POST', `/api/intents/${c.json.id}/refund`, { headers: auth(), body: { amount: 2500, reason: 'return' } });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.status, 'pending', 'NjiaPay answers a refund pending');
      const deadline = Date.now() + 20_000;
      let g;
      do {
        await sleep(200);
        g = (await get(c.json.id)).json;
      } while (g.refunds[0].status !== 'success' && Date.now() < deadline);
      assert.equal(g.refunds[0].status, 'success');
      assert.equal(g.refunded_amount, 2500);

      const d = await create({ capture_mode: 'prefer_delay' });
      await pay(d.json);
      const x = await req(ctx.base, 'GET', `/api/v2/intents/${d.json.id}/cancel-authorization`, { headers: auth() });
      assert.equal(x.status, 200, x.text);
      assert.equal(x.json.intent_status, 'canceled');
      assert.equal(x.json.attempt_status, 'canceled');
    });

    it('a customer who never comes back: NjiaPay\'s webhook, deduplicated, is confirmed by a sync', async () => {
      const c = await create();
      const u = new URL(c.json.redirect_url);
      const r = await fetch(`${ctx.base}${u.pathname}`, {
        method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ iauth: u.searchParams.get('iauth'), outcome: 'pay' }).toString(),
      });
      await r.text();
      const before = (await (await fetch(`${ctx.fake.base}/__fake/webhooks`)).json()).length;
      await (await fetch(r.headers.get('location'))).text();  // pays on NjiaPay's page, closes the tab
      assert.equal((await get(c.json.id)).json.status, 'pending');
      const hooks = await (await fetch(`${ctx.fake.base}/__fake/webhooks`)).json();
      assert.equal(hooks.length, before + 1);
      const hook = hooks.at(-1);
      const post = (body, signature, connection = 'njiapay') => req(ctx.base, 'POST', `/psp/${connection}/webhooks`,
        { body, headers: { 'Njiapay-Signature': signature, 'Content-Type': 'application/json' } });
      const tampered = await post(hook.body.replace('"success"', '"failed"'), hook.signature);
      assert.equal(tampered.status, 401, tampered.text);
      assert.equal((await post(hook.body, hook.signature, 'nope')).status, 404);
      const ok = await post(hook.body, hook.signature);
      assert.equal(ok.status, 200, ok.text);
      assert.deepEqual(ok.json, { received: 1, duplicates: 0, unknown: 0 });
      const done = await waitStatus(c.json.id, ['success'], 10_000);
      assert.equal(done.captured_amount, 10000);
      const again = await post(hook.body, hook.signature);
      assert.deepEqual(again.json, { received: 1, duplicates: 1, unknown: 0 });
      // The events received are durable: after a restart the redelivery is still a duplicate.
      assert.equal((await stopServer(ctx.srv)).code, 0);
      await start();
      const afterRestart = await post(hook.body, hook.signature);
      assert.equal(afterRestart.status, 200, afterRestart.text);
      assert.deepEqual(afterRestart.json, { received: 1, duplicates: 1, unknown: 0 });
    });

    it('a declined card at NjiaPay is a failed attempt, never a held authorization', async () => {
      const c = await create({ amount: 10002 });
      const to = await pay(c.json);
      assert.match(to, /declined=1$/);
      const g = (await get(c.json.id)).json;
      assert.equal(g.status, 'selection');
      assert.equal(g.attempts.at(-1).status, 'failed');
    });

    it('a capture whose answer is lost answers 202 and is confirmed by a sync, sent once', async () => {
      const c = await create({ capture_mode: 'prefer_delay' });
      await pay(c.json);
      const before = await calls();
      await fetch(`${ctx.fake.base}/__fake/delay`, { method: 'POST', body: JSON.stringify({ path: 'capture', ms: 2500 }) });
      const cap = await req(ctx.base, 'GET', `/api/v2/intents/${c.json.id}/capture`, { headers: auth() });
      assert.equal(cap.status, 202, cap.text);
      assert.match(cap.json.detail, /being confirmed/);
      assert.equal(cap.json.status, 'authorized');
      const done = await waitStatus(c.json.id, ['success']);
      assert.equal(done.captured_amount, 10000);
      const after = await calls();
      assert.equal(captures(after) - captures(before), 1, 'the capture reached NjiaPay once');
    });

    it('SIGKILL while the capture is at NjiaPay: after the restart the reconciler finds it, never charged twice', async () => {
      const c = await create({ capture_mode: 'prefer_delay' });
      await pay(c.json);
      const before = await calls();
      await fetch(`${ctx.fake.base}/__fake/delay`, { method: 'POST', body: JSON.stringify({ path: 'capture', ms: 1500 }) });
      const pending = req(ctx.base, 'GET', `/api/v2/intents/${c.json.id}/capture`, { headers: auth() }).catch((e) => e);
      // Recorded, sent, not answered yet: the capture has arrived at NjiaPay, which holds it.
      const arrivals = before.__delayed_arrivals;
      const deadline = Date.now() + 10_000;
      while ((await calls()).__delayed_arrivals === arrivals && Date.now() < deadline) await sleep(20);
      ctx.srv.child.kill('SIGKILL');
      await ctx.srv.exited;
      await pending;
      await sleep(2000);  // NjiaPay performs the capture nobody is waiting for any more
      await start();
      const done = await waitStatus(c.json.id, ['success']);
      assert.equal(done.captured_amount, 10000);
      const after = await calls();
      assert.equal(captures(after) - captures(before), 1, 'one capture at NjiaPay');
      // The ledger agrees: a restart and verify are clean (after()).
      const again = await req(ctx.base, 'GET', `/api/v2/intents/${c.json.id}/capture`, { headers: auth() });
      assert.equal(again.status, 422);
    });
  });
}

// Outgoing webhooks of the orchestration dialect: endpoints added with `splitledger webhook add`
// (through the running server), NjiaPay's envelope, `Njiapay-Signature` checked here with an
// independent HMAC, secret rotation (one entry per active secret), a receiver that fails first
// and recovers (retries with backoff, in order per event type), snake_case naming, the delivery
// log through the API and the CLI, and a message abandoned past its retry window.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { execFile } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, BACKENDS, rand, createClient, startServer, stopServer, verify, req } from './lib.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const cli = (args) => new Promise((res) => {
  execFile(BIN, args, { timeout: 60_000 }, (err, stdout, stderr) => res({ code: err ? err.code ?? 1 : 0, stdout, stderr }));
});

// A merchant's receiver: records every delivery; answers 500 to the first `failFirst` of a path.
function receiver() {
  const got = [];
  const fails = new Map();
  const server = createServer((rq, rs) => {
    const chunks = [];
    rq.on('data', (c) => chunks.push(c));
    rq.on('end', () => {
      const raw = Buffer.concat(chunks);
      const left = fails.get(rq.url) ?? 0;
      got.push({ path: rq.url, headers: rq.headers, raw, answered: left > 0 ? 500 : 200 });
      if (left > 0) fails.set(rq.url, left - 1);
      rs.writeHead(left > 0 ? 500 : 200);
      rs.end();
    });
  });
  return new Promise((res) => server.listen(0, '127.0.0.1', () => res({
    server, got, fails, url: (path) => `http://127.0.0.1:${server.address().port}${path}`,
  })));
}

// The independent verifier: every v0 entry is an HMAC-SHA256 of the raw body under some secret.
function signedBy(delivery, secret) {
  const want = createHmac('sha256', secret).update(delivery.raw).digest();
  return String(delivery.headers['njiapay-signature']).split(',').some((entry) => {
    const hex = entry.trim().replace(/^v0=/, '');
    const have = Buffer.from(hex, 'hex');
    return have.length === want.length && timingSafeEqual(have, want);
  });
}

for (const backend of BACKENDS) {
  describe(`orchestration webhooks [${backend.name}]`, () => {
    const ctx = {};
    const auth = () => ({ Authorization: `Bearer ${ctx.key}` });
    const delivered = (path) => ctx.rx.got.filter((d) => d.path === path && d.answered === 200);
    async function waitFor(pred, what, ms = 20_000) {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline) {
        const v = await pred();
        if (v) return v;
        await sleep(100);
      }
      assert.fail(`timed out waiting for ${what}`);
    }
    async function payIntent(extra = {}) {
      const c = await req(ctx.base, 'POST', '/api/intents', {
        headers: auth(),
        body: { amount: 4200, currency: 'EUR', reference_id: `wh-${rand(6)}`, purchaser_id: 'buyer-9',
          return_url: 'https://shop.example/r', allow_remember_credentials: false, ...extra },
      });
      assert.equal(c.status, 201, c.text);
      const u = new URL(c.json.redirect_url);
      const r = await fetch(`${ctx.base}${u.pathname}`, {
        method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ iauth: u.searchParams.get('iauth'), outcome: 'approve' }).toString(),
      });
      await r.text();
      assert.equal(r.status, 303);
      return c.json;
    }

    before(async () => {
      ctx.rx = await receiver();
      ctx.dir = mkdtempSync(join(tmpdir(), 'splitledger-wh-'));
      ctx.config = join(ctx.dir, 'serve.json');
      writeFileSync(ctx.config, JSON.stringify({
        webhook_retry_first_ms: 200, webhook_retry_max_ms: 800, webhook_retry_for_seconds: 4, webhook_poll_ms: 50,
      }));
      ctx.db = await backend.create();
      ctx.client = `cl-wh-${rand(4)}`;
      ctx.key = `key-wh-${rand(16)}`;
      await createClient(ctx.db.url, ctx.client, ctx.key);
      ctx.srv = await startServer(ctx.db.url, ['--config', ctx.config]);
      ctx.base = ctx.srv.base;
    });
    after(async () => {
      try {
        const r = await stopServer(ctx.srv);
        assert.equal(r.code, 0, ctx.srv.log.slice(-2000));
        const v = await verify(ctx.db.url);
        assert.equal(v.code, 0, `verify: ${v.stdout}${v.stderr}`);
      } finally {
        ctx.rx.server.close();
        await ctx.db.drop();
        rmSync(ctx.dir, { recursive: true, force: true });
      }
    });

    it('webhook add asks the running server; the secret is printed once, never listed', async () => {
      ctx.s1 = `whsec_first_${rand(8)}`;
      const r = await cli(['webhook', 'add', '--db', ctx.db.url, '--client', ctx.client, '--url', ctx.rx.url('/hooks'), '--secret', ctx.s1]);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.equal(out.secret, ctx.s1);
      assert.equal(out.endpoints.length, 1);
      assert.equal(out.endpoints[0].url, ctx.rx.url('/hooks'));
      const list = await req(ctx.base, 'GET', '/api/webhooks', { headers: auth() });
      assert.equal(list.status, 200);
      assert.equal(list.json.endpoints.length, 1);
      assert.doesNotMatch(list.text, new RegExp(ctx.s1));
      const bad = await cli(['webhook', 'add', '--db', ctx.db.url, '--client', ctx.client, '--url', 'ftp://x', '--secret', ctx.s1]);
      assert.notEqual(bad.code, 0);
      const generated = await req(ctx.base, 'POST', '/api/webhooks', { headers: auth(), body: { url: ctx.rx.url('/snake'), naming: 'snake' } });
      assert.equal(generated.status, 201, generated.text);
      assert.match(generated.json.secret, /^whsec_[0-9a-f]{48}$/);
      ctx.snakeSecret = generated.json.secret;
      // An endpoint of the live environment never hears of test payments (checked below).
      const live = await cli(['webhook', 'add', '--db', ctx.db.url, '--client', ctx.client, '--url', ctx.rx.url('/live'), '--environment', 'live']);
      assert.equal(live.code, 0, live.stderr);
      assert.match(JSON.parse(live.stdout).secret, /^whsec_/);
      assert.equal(list.json.endpoints.length, 1, 'a test key lists the test endpoints');
    });

    it('a receiver that fails first gets every event again, signed, in order, the envelope as NjiaPay\'s', async () => {
      ctx.rx.fails.set('/hooks', 2);
      const intent = await payIntent();
      const events = await waitFor(() => {
        const mine = delivered('/hooks').map((d) => ({ d, j: JSON.parse(d.raw) })).filter((x) => x.j.content.intent_id === intent.id);
        return mine.length >= 2 ? mine : null;
      }, 'two StatusChange deliveries');
      assert.deepEqual(events.map((e) => e.j.content.status), ['pending', 'success'], 'in order');
      for (const { d, j } of events) {
        assert.equal(j.type, 'StatusChange');
        assert.match(j.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        assert.deepEqual(Object.keys(j.content).sort(), ['amount', 'currency', 'intent_id', 'purchaser_id', 'reference_id', 'status']);
        assert.equal(j.content.amount, 4200);
        assert.equal(j.content.purchaser_id, 'buyer-9');
        assert.equal(d.headers['content-type'], 'application/json');
        assert.ok(signedBy(d, ctx.s1), 'signed with the endpoint secret');
        assert.ok(!signedBy(d, 'whsec_someone_else'), 'not by any other');
        assert.ok(d.headers['njiapay-event-id']);
      }
      const failed = ctx.rx.got.filter((d) => d.path === '/hooks' && d.answered === 500);
      assert.equal(failed.length, 2);
      assert.equal(failed[0].raw.toString(), events[0].d.raw.toString(), 'a retry sends the same bytes');
      // The delivery log says so, through the API and the CLI.
      const log = await req(ctx.base, 'GET', `/api/webhooks/deliveries?intent_id=${intent.id}`, { headers: auth() });
      assert.equal(log.status, 200, log.text);
      const first = log.json.deliveries.filter((x) => x.endpoint_id === log.json.deliveries[0].endpoint_id).at(-1);
      const hooksLog = log.json.deliveries.filter((x) => x.type === 'StatusChange');
      assert.ok(hooksLog.every((x) => x.delivery === 'delivered'), log.text);
      assert.ok(hooksLog.some((x) => x.attempts === 3), `one delivery took three attempts: ${log.text}`);
      assert.ok(first);
      const c = await cli(['webhook', 'deliveries', '--db', ctx.db.url, '--client', ctx.client, '--intent', intent.id]);
      assert.equal(c.code, 0, c.stderr);
      assert.equal(JSON.parse(c.stdout).deliveries.length, log.json.deliveries.length);
      // The snake_case endpoint got the same events in its own spelling.
      const snake = await waitFor(() => {
        const mine = delivered('/snake').map((d) => ({ d, j: JSON.parse(d.raw) })).filter((x) => x.j.content.intent_id === intent.id);
        return mine.length >= 2 ? mine : null;
      }, 'snake deliveries');
      assert.ok(snake.every((x) => x.j.type === 'status_change' && signedBy(x.d, ctx.snakeSecret)));
    });

    it('rotation: both secrets sign until a newer one pushes the oldest out; Cancelation and Refund events', async () => {
      ctx.s2 = `whsec_second_${rand(8)}`;
      const r = await cli(['webhook', 'add', '--db', ctx.db.url, '--client', ctx.client, '--url', ctx.rx.url('/hooks'), '--secret', ctx.s2]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).endpoints.filter((e) => e.url === ctx.rx.url('/hooks'))[0].active_secrets.length, 2);
      const held = await payIntent({ capture_mode: 'prefer_delay' });
      const cancel = await req(ctx.base, 'GET', `/api/v2/intents/${held.id}/cancel-authorization`, { headers: auth() });
      assert.equal(cancel.status, 200, cancel.text);
      const cx = await waitFor(() => delivered('/hooks').find((d) => {
        const j = JSON.parse(d.raw);
        return j.type === 'Cancelation' && j.content.intent_id === held.id;
      }), 'the Cancelation');
      assert.equal(JSON.parse(cx.raw).content.status, 'canceled');
      assert.equal(String(cx.headers['njiapay-signature']).split(',').length, 2);
      assert.ok(signedBy(cx, ctx.s1) && signedBy(cx, ctx.s2), 'old and new secret both sign');

      const paid = await payIntent();
      const refund = await req(ctx.base, 'POST', `/api/intents/${paid.id}/refund`, { headers: auth(), body: { amount: 1000, reason: 'return' } });
      assert.equal(refund.status, 201, refund.text);
      const rf = await waitFor(() => delivered('/hooks').find((d) => {
        const j = JSON.parse(d.raw);
        return j.type === 'Refund' && j.content.intent_id === paid.id;
      }), 'the Refund');
      const j = JSON.parse(rf.raw);
      assert.equal(j.content.type, 'partial');
      assert.equal(j.content.amount, 1000);
      assert.equal(j.content.status, 'success');

      // Re-adding the URL without a secret changes the naming only: no silent rotation.
      const same = await cli(['webhook', 'add', '--db', ctx.db.url, '--client', ctx.client, '--url', ctx.rx.url('/hooks')]);
      assert.equal(same.code, 0, same.stderr);
      const after = JSON.parse(same.stdout);
      assert.equal(after.secret, undefined, 'no new secret');
      assert.equal(after.endpoints.find((e) => e.url === ctx.rx.url('/hooks')).active_secrets.length, 2);
      const s3 = `whsec_third_${rand(8)}`;
      await cli(['webhook', 'add', '--db', ctx.db.url, '--client', ctx.client, '--url', ctx.rx.url('/hooks'), '--secret', s3]);
      const later = await payIntent();
      const d = await waitFor(() => delivered('/hooks').find((x) => JSON.parse(x.raw).content.intent_id === later.id), 'a delivery after the third secret');
      assert.ok(signedBy(d, s3) && signedBy(d, ctx.s2));
      assert.ok(!signedBy(d, ctx.s1), 'the oldest secret no longer signs');
    });

    it('a receiver that never answers 2xx: the message is abandoned after its retry window, others flow', async () => {
      ctx.rx.fails.set('/down', 1_000_000);
      const add = await req(ctx.base, 'POST', '/api/webhooks', { headers: auth(), body: { url: ctx.rx.url('/down'), secret: `whsec_down_${rand(8)}` } });
      assert.equal(add.status, 201);
      const intent = await payIntent();
      await waitFor(async () => {
        const log = await req(ctx.base, 'GET', `/api/webhooks/deliveries?intent_id=${intent.id}`, { headers: auth() });
        const down = log.json.deliveries.filter((x) => x.endpoint_id === add.json.endpoints[0].id);
        return down.length > 0 && down.every((x) => x.delivery === 'abandoned') ? down : null;
      }, 'abandoned deliveries', 30_000);
      assert.ok(delivered('/hooks').some((x) => JSON.parse(x.raw).content.intent_id === intent.id));
      assert.equal(ctx.rx.got.filter((d) => d.path === '/live').length, 0, 'the live endpoint heard nothing of test payments');
      const removed = await cli(['webhook', 'remove', '--db', ctx.db.url, '--client', ctx.client, '--url', ctx.rx.url('/down')]);
      assert.equal(removed.code, 0, removed.stderr);
      assert.ok(!JSON.parse(removed.stdout).endpoints.some((e) => e.url === ctx.rx.url('/down')));
    });
  });
}

// Hooks (one per EventType) and GET /events (echo-api §6.4), and their delivery from the durable
// outbox: a local receiver that fails its first calls gets every notification once it recovers,
// in order per resource, across a server restart; a hook failing too often turns INVALID.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BACKENDS, suite, createClient, startServer, stopServer, verify, getToken, Api, rand,
  makeSeller, createIntent, assertV3Error,
} from './lib.mjs';

const is2xx = (r, what) => { assert.equal(r.status, 200, `${what}: ${r.text}`); return r.json; };
const v2Error = (r, status) => {
  assert.equal(r.status, status, r.text);
  assert.ok(r.json && 'errors' in r.json, `v2 error body: ${r.text}`);
};

suite('hooks and events', (ctx) => {
  let seller;
  before(async () => { seller = await makeSeller(ctx.api); });

  it('hooks: create, one per EventType, get, update (read-only fields ignored), list sorted', async () => {
    const a = is2xx(await ctx.api.v2('POST', '/hooks', { EventType: 'INTENT_CAPTURED', Url: 'http://127.0.0.1:9/a', Tag: 't1' }), 'create');
    assert.match(a.Id, /^hook_m_/);
    assert.equal(a.Status, 'ENABLED');
    assert.equal(a.Validity, 'VALID');
    assert.equal(a.EventType, 'INTENT_CAPTURED');
    v2Error(await ctx.api.v2('POST', '/hooks', { EventType: 'INTENT_CAPTURED', Url: 'http://127.0.0.1:9/b' }), 400);
    v2Error(await ctx.api.v2('POST', '/hooks', { EventType: 'INTENT_REFUNDED', Url: 'ftp://x' }), 400);
    v2Error(await ctx.api.v2('POST', '/hooks', { EventType: 'lower case', Url: 'http://x' }), 400);
    v2Error(await ctx.api.v2('POST', '/hooks', { Url: 'http://x' }), 400);
    const got = is2xx(await ctx.api.v2('GET', `/hooks/${a.Id}`), 'get');
    assert.deepEqual(got, a);
    const upd = is2xx(await ctx.api.v2('PUT', `/hooks/${a.Id}`, { Url: 'http://127.0.0.1:9/c', Status: 'DISABLED', Validity: 'INVALID', EventType: 'X' }), 'update');
    assert.equal(upd.Url, 'http://127.0.0.1:9/c');
    assert.equal(upd.Status, 'DISABLED');
    assert.equal(upd.Validity, 'VALID', 'Validity is read-only');
    assert.equal(upd.EventType, 'INTENT_CAPTURED', 'EventType is read-only');
    assert.equal(upd.Tag, 't1');
    v2Error(await ctx.api.v2('PUT', `/hooks/${a.Id}`, { Status: 'MAYBE' }), 400);
    v2Error(await ctx.api.v2('GET', '/hooks/hook_m_nope'), 404);
    await new Promise((r) => setTimeout(r, 1100));  // CreationDate has a one-second grain
    const b = is2xx(await ctx.api.v2('POST', '/hooks', { EventType: 'INTENT_REFUNDED', Url: 'https://example.invalid/h' }), 'create b');
    const desc = await ctx.api.v2('GET', '/hooks?sort=CreationDate:DESC&per_page=10');
    assert.equal(desc.status, 200, desc.text);
    assert.deepEqual(desc.json.map((h) => h.Id), [b.Id, a.Id]);
    assert.ok(desc.json[0].CreationDate > desc.json[1].CreationDate);
    assert.equal(desc.headers.get('x-number-of-items'), '2');
    const asc = is2xx(await ctx.api.v2('GET', '/hooks'), 'list');
    assert.deepEqual(asc.map((h) => h.Id), [a.Id, b.Id]);
    v2Error(await ctx.api.v2('GET', '/hooks?sort=Nope:DESC'), 400);
    // Created under an Idempotency-Key: the stored response is the hook.
    const key = `hook-${rand(8)}`;
    const c = is2xx(await ctx.api.v2('POST', '/hooks', { EventType: 'SPLIT_CREATED', Url: 'http://127.0.0.1:9/s' }, { 'Idempotency-Key': key }), 'create c');
    const stored = is2xx(await ctx.api.v2('GET', `/responses/${key}`), 'stored');
    assert.equal(stored.Resource.Id, c.Id, JSON.stringify(stored));
    assert.equal(stored.Resource.EventType, 'SPLIT_CREATED');
  });

  it('events: every transition recorded, filtered by type and date, sorted, paginated', async () => {
    const i = await createIntent(ctx.api, seller, [{ UnitAmount: 1000, Quantity: 1 }]);
    const c = await ctx.api.v3('POST', `/payins/intents/${i.Id}/captures`, {});
    assert.equal(c.status, 200, c.text);
    const r = await ctx.api.v3('POST', `/payins/intents/${i.Id}/refunds`, { ExternalData: { ExternalProcessingDate: 1, ExternalProviderReference: `r-${rand()}` } });
    assert.equal(r.status, 200, r.text);
    const all = is2xx(await ctx.api.v2('GET', '/events?per_page=100'), 'events');
    const mine = all.filter((e) => e.ResourceId === i.Id).map((e) => e.EventType);
    assert.deepEqual(mine, ['INTENT_AUTHORIZED', 'INTENT_CAPTURED', 'INTENT_REFUNDED']);
    const typed = is2xx(await ctx.api.v2('GET', '/events?EventType=INTENT_REFUNDED&per_page=100'), 'typed');
    assert.ok(typed.length >= 1 && typed.every((e) => e.EventType === 'INTENT_REFUNDED'));
    const desc = is2xx(await ctx.api.v2('GET', '/events?Sort=Date:DESC&per_page=100'), 'desc');
    assert.equal(desc[0].ResourceId, i.Id);
    assert.equal(desc[0].EventType, 'INTENT_REFUNDED');
    const page = await ctx.api.v2('GET', '/events?per_page=1&page=2');
    assert.equal(page.status, 200);
    assert.equal(page.json.length, 1);
    assert.equal(Number(page.headers.get('x-number-of-items')), all.length);
    const future = is2xx(await ctx.api.v2('GET', `/events?AfterDate=${Math.floor(Date.now() / 1000) + 3600}`), 'after');
    assert.equal(future.length, 0);
    const past = is2xx(await ctx.api.v2('GET', '/events?BeforeDate=1000'), 'before');
    assert.equal(past.length, 0);
    v2Error(await ctx.api.v2('GET', '/events?AfterDate=soon'), 400);
    v2Error(await ctx.api.v2('GET', '/events?Sort=Date:SIDEWAYS'), 400);
  });
});

// A receiver that answers 500 while `failing` (or to the first `failFirst` calls), 200 otherwise.
function receiver() {
  const got = [];
  const state = { failing: false, failFirst: 0, calls: 0 };
  const srv = createServer((req, res) => {
    state.calls++;
    const u = new URL(req.url, 'http://x');
    const fail = state.failing || state.calls <= state.failFirst;
    if (!fail) got.push({ path: u.pathname, type: u.searchParams.get('EventType'), id: u.searchParams.get('RessourceId'), date: Number(u.searchParams.get('Date')) });
    res.statusCode = fail ? 500 : 200;
    res.end();
  });
  return new Promise((r) => srv.listen(0, '127.0.0.1', () => r({ srv, got, state, url: `http://127.0.0.1:${srv.address().port}` })));
}

const waitFor = async (cond, what, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

for (const backend of BACKENDS) {
  describe(`hook delivery [${backend.name}]`, () => {
    let db, srv, api, rcv, dir, config, clientId, apiKey;
    const start = async () => {
      srv = await startServer(db.url, ['--config', config]);
      const t = await getToken(srv.base, clientId, apiKey);
      assert.equal(t.status, 200, t.text);
      api = new Api(srv.base, clientId, t.json.access_token);
    };
    before(async () => {
      db = await backend.create();
      dir = mkdtempSync(join(tmpdir(), 'sl-hooks-'));
      config = join(dir, 'config.json');
      writeFileSync(config, JSON.stringify({ hook_poll_ms: 30, hook_retry_delays_ms: [100, 100, 100, 100, 100, 100, 100, 100], hook_max_failures: 6 }));
      clientId = `cl-${rand(4)}`;
      apiKey = `key-${rand(16)}`;
      await createClient(db.url, clientId, apiKey);
      rcv = await receiver();
      await start();
    });
    after(async () => {
      try {
        if (srv) {
          const r = await stopServer(srv);
          assert.equal(r.code, 0, srv.log.slice(-2000));
          const v = await verify(db.url);
          assert.equal(v.code, 0, v.stdout + v.stderr);
        }
      } finally {
        rcv?.srv.close();
        rmSync(dir, { recursive: true, force: true });
        await db?.drop();
      }
    });

    it('failing first calls, then every notification arrives, in order per resource, across a restart', async () => {
      const seller = await makeSeller(api);
      for (const type of ['INTENT_AUTHORIZED', 'INTENT_CAPTURED']) {
        is2xx(await api.v2('POST', '/hooks', { EventType: type, Url: `${rcv.url}/hook` }), `hook ${type}`);
      }
      rcv.state.failFirst = 3;
      const ids = [];
      for (let k = 0; k < 3; ++k) {
        const i = await createIntent(api, seller, [{ UnitAmount: 100 + k, Quantity: 1 }]);
        is2xx(await api.v3('POST', `/payins/intents/${i.Id}/captures`, {}), 'capture');
        ids.push(i.Id);
      }
      await waitFor(() => rcv.got.length >= 6, 'six notifications');
      for (const id of ids) {
        const seq = rcv.got.filter((g) => g.id === id).map((g) => g.type);
        assert.deepEqual(seq, ['INTENT_AUTHORIZED', 'INTENT_CAPTURED'], `order for ${id}`);
      }
      assert.ok(rcv.got.every((g) => g.path === '/hook' && g.date > 0));

      // The receiver goes down; events keep happening; the server restarts; then it recovers.
      rcv.state.failing = true;
      const i = await createIntent(api, seller, [{ UnitAmount: 77, Quantity: 1 }]);
      is2xx(await api.v3('POST', `/payins/intents/${i.Id}/captures`, {}), 'capture');
      await waitFor(() => rcv.state.calls >= 10, 'failed attempts');
      const r = await stopServer(srv);
      assert.equal(r.code, 0);
      await start();
      rcv.state.failing = false;
      await waitFor(() => rcv.got.filter((g) => g.id === i.Id).length === 2, 'delivery after the restart');
      assert.deepEqual(rcv.got.filter((g) => g.id === i.Id).map((g) => g.type), ['INTENT_AUTHORIZED', 'INTENT_CAPTURED']);
      const hooks = is2xx(await api.v2('GET', '/hooks'), 'hooks');
      assert.ok(hooks.every((h) => h.Validity === 'VALID' && h.Status === 'ENABLED'), JSON.stringify(hooks));
    });

    it('a hook failing hook_max_failures times in a row turns INVALID and DISABLED; enabling revives it', async () => {
      const seller = await makeSeller(api);
      const dead = await receiver();
      dead.state.failing = true;
      const h = is2xx(await api.v2('POST', '/hooks', { EventType: 'INTENT_REFUNDED', Url: `${dead.url}/x` }), 'hook');
      for (let k = 0; k < 3; ++k) {
        const i = await createIntent(api, seller, [{ UnitAmount: 50, Quantity: 1 }]);
        is2xx(await api.v3('POST', `/payins/intents/${i.Id}/captures`, {}), 'capture');
        is2xx(await api.v3('POST', `/payins/intents/${i.Id}/refunds`, { ExternalData: { ExternalProcessingDate: 1, ExternalProviderReference: `r-${rand()}` } }), 'refund');
      }
      await waitFor(async () => is2xx(await api.v2('GET', `/hooks/${h.Id}`), 'get').Validity === 'INVALID', 'INVALID');
      const got = is2xx(await api.v2('GET', `/hooks/${h.Id}`), 'get');
      assert.equal(got.Status, 'DISABLED');
      const calls = dead.state.calls;
      assert.ok(calls >= 6, `${calls} attempts`);
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(dead.state.calls, calls, 'no attempt after INVALID');
      const revived = is2xx(await api.v2('PUT', `/hooks/${h.Id}`, { Status: 'ENABLED' }), 'enable');
      assert.equal(revived.Validity, 'VALID');
      dead.srv.close();
    });
  });
}

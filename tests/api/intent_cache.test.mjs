// The writer's bounded intent cache (docs/adr/0006-bounded-intent-cache.md): with
// --intent-cache 1 nearly every intent leaves memory once the tables hold it, and every request
// must see it exactly as before: reads, captures, refunds, a mixed basket found by its PSP
// reference, unknown ids — also after a restart.
import { it, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  suite, makeSeller, createIntent, intentBody, externalData, startServer, stopServer, Api,
  getToken,
} from './lib.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

suite('intent cache', (ctx) => {
  let seller;
  const metric = async (name) => {
    const m = await (await fetch(`${ctx.base}/metrics`)).text();
    const found = new RegExp(`^${name} (\\d+)$`, 'm').exec(m);
    assert.ok(found, `${name} in /metrics`);
    return Number(found[1]);
  };
  // Trimming happens between batches, for intents the tables hold: wait for the projection.
  const caughtUp = async () => {
    for (let i = 0; i < 400; i++) {
      if (await metric('splitledger_projection_lag_records') === 0) return;
      await sleep(25);
    }
    assert.fail('the projection did not catch up');
  };
  const get = async (id) => {
    const r = await ctx.api.v3('GET', `/payins/intents/${id}`);
    assert.equal(r.status, 200, r.text);
    return r.json;
  };
  before(async () => { seller = await makeSeller(ctx.api); });

  it('/metrics counts the rows the projection wrote into each table, and their time', async () => {
    const labelled = async (name, table) => {
      const m = await (await fetch(`${ctx.base}/metrics`)).text();
      assert.match(m, new RegExp(`^# TYPE ${name} counter$`, 'm'));
      const found = new RegExp(`^${name}\\{table="${table}"\\} ([0-9.e+-]+)$`, 'm').exec(m);
      return found ? Number(found[1]) : 0;
    };
    await caughtUp();
    const intents = await labelled('splitledger_projection_rows_total', 'intents');
    const lines = await labelled('splitledger_projection_rows_total', 'intent_line_items');
    const seconds = await labelled('splitledger_projection_table_seconds_total', 'intent_line_items');
    await createIntent(ctx.api, seller, [
      { UnitAmount: 1000, Quantity: 1, FeesAmount: 100 },
      { UnitAmount: 500, Quantity: 2, FeesAmount: 50 },
    ]);
    await caughtUp();
    assert.equal(await labelled('splitledger_projection_rows_total', 'intents'), intents + 1);
    assert.equal(await labelled('splitledger_projection_rows_total', 'intent_line_items'), lines + 2);
    assert.ok(await labelled('splitledger_projection_table_seconds_total', 'intent_line_items') > seconds,
      'the statements took some time');
  });

  it('intents dropped from memory read back identically, change and are found by reference', async () => {
    const made = [];
    for (let i = 0; i < 6; i++) {
      made.push(await createIntent(ctx.api, seller, [
        { UnitAmount: 1000 + i, Quantity: 1, FeesAmount: 100 },
        { UnitAmount: 500, Quantity: 2, FeesAmount: 50 },
      ]));
    }
    await caughtUp();
    // One more command runs a batch, which trims: at most the bound (1) plus what it touched.
    const first = await get(made[0].Id);
    assert.deepEqual(first, made[0]);
    assert.ok(await metric('splitledger_intents_cached') <= 2);
    const readsBefore = await metric('splitledger_intent_reads_total');
    assert.ok(readsBefore >= 1, 'the first intent was read back');

    for (const [i, intent] of made.entries()) {
      await caughtUp();
      const reads = await metric('splitledger_intent_reads_total');
      assert.deepEqual(await get(intent.Id), intent, 'GET of a dropped intent');
      // The batches before touched only the previous intent, and the bound is 1: this one was
      // read back (the first may still be the one held).
      if (i > 0) assert.ok(await metric('splitledger_intent_reads_total') > reads, `intent ${i} read back`);
      await caughtUp();
      const cap = await ctx.api.v3('POST', `/payins/intents/${intent.Id}/captures`, {});
      assert.equal(cap.status, 200, cap.text);
      assert.equal(cap.json.Status, 'CAPTURED');
      await caughtUp();
      const refund = await ctx.api.v3('POST', `/payins/intents/${intent.Id}/refunds`, {
        Amount: 300, ExternalData: externalData(),
        LineItems: [{ Id: intent.LineItems[0].Id, Amount: 300 }],
      });
      assert.equal(refund.status, 200, refund.text);
      await caughtUp();
      const after = await get(intent.Id);
      assert.equal(after.LineItems[0].RefundedAmount, 300);
      assert.equal(after.LineItems[1].CapturedAmount, 1000);
      assert.equal(after.Refunds.length, 1);
      assert.equal(after.Refunds[0].Id, refund.json.Refund.Id);
    }
    // A mixed basket: the new lines join the dropped intent that holds the PSP reference.
    const basket = await createIntent(ctx.api, seller, [{ UnitAmount: 700, Quantity: 1, FeesAmount: 70 }]);
    await caughtUp();
    await get(made[0].Id);  // evicts the basket's intent from the cache (bound 1)
    await caughtUp();
    const more = await ctx.api.v3('POST', '/payins/intents',
      intentBody(seller, [{ UnitAmount: 300, Quantity: 1, FeesAmount: 30 }],
        { ref: basket.ExternalData.ExternalProviderReference }));
    assert.equal(more.status, 200, more.text);
    assert.equal(more.json.Id, basket.Id, 'added to the intent with that reference');
    assert.equal(more.json.LineItems.length, 2);
    assert.equal(more.json.Amount, 1000);
    // Unknown ids stay unknown (the filter of stored ids answers without a read).
    const unknown = await ctx.api.v3('GET', '/payins/intents/int_00000000-0000-7000-8000-000000000000');
    assert.equal(unknown.status, 404, unknown.text);
    assert.ok(await metric('splitledger_intent_reads_total') > readsBefore);

    // After a restart (load in chunks, cache bounded from the start) nothing changed.
    await caughtUp();
    const snapshot = [];
    for (const intent of [...made, basket]) snapshot.push(await get(intent.Id));
    assert.equal((await stopServer(ctx.srv)).code, 0);
    ctx.srv = await startServer(ctx.db.url, ['--intent-cache', '1']);
    ctx.base = ctx.srv.base;
    const t = await getToken(ctx.base, ctx.clientId, ctx.apiKey);
    assert.equal(t.status, 200, t.text);
    ctx.api = new Api(ctx.base, ctx.clientId, t.json.access_token);
    assert.ok(await metric('splitledger_intents_cached') <= 1);
    for (const before of snapshot) {
      await caughtUp();
      assert.deepEqual(await get(before.Id), before, 'after a restart');
    }
  });
}, { serverArgs: ['--intent-cache', '1'] });

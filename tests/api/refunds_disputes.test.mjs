// V3.0 refunds and their reversals (§8.4), disputes and their decisions (§8.5): amounts per line,
// the fee rule (pro rata from running totals, like partial cancels), statuses, NextActions, the
// action objects of the responses, and every refusal in the V3 error format.
import { it, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  suite, makeSeller, createIntent, assertV3Error,
} from './lib.mjs';

const ext = (tag = 'x') => ({ ExternalProcessingDate: 1727788165, ExternalProviderReference: `${tag}-${Math.random()}` });
const byId = (intent, id) => intent.LineItems.find((l) => l.Id === id);

suite('refunds and disputes', (ctx) => {
  let seller;
  before(async () => { seller = await makeSeller(ctx.api); });
  const v3 = (...a) => ctx.api.v3(...a);
  const ok = (r) => { assert.equal(r.status, 200, r.text); return r.json; };
  const get = async (id) => ok(await v3('GET', `/payins/intents/${id}`));
  const partial = (lines, extra = {}) => ({
    Amount: lines.reduce((s, l) => s + l.Amount, 0), ExternalData: ext('p'), LineItems: lines, ...extra,
  });
  // Two lines: 1000 (fee 100) and 500 (fee 50), fully captured.
  const captured = async () => {
    const i = await createIntent(ctx.api, seller, [
      { UnitAmount: 1000, Quantity: 1, FeesAmount: 100 }, { UnitAmount: 500, Quantity: 1, FeesAmount: 50 },
    ]);
    const c = ok(await v3('POST', `/payins/intents/${i.Id}/captures`, { ExternalData: ext('cap') }));
    return { intent: c, l1: c.LineItems[0].Id, l2: c.LineItems[1].Id, captureId: c.Capture.Id };
  };

  it('full refund: every line refunded, fees gone, REFUNDED with REVERSE_REFUND and Refund.Id', async () => {
    const { intent, l1, l2 } = await captured();
    const r = ok(await v3('POST', `/payins/intents/${intent.Id}/refunds`, { ExternalData: ext('ref') }));
    assert.equal(r.Status, 'REFUNDED');
    assert.equal(r.NextActions, 'REVERSE_REFUND');
    assert.match(r.Refund.Id, /^int_refund_/);
    assert.equal(r.AvailableAmountToSplit, 0);
    assert.equal(byId(r, l1).RefundedAmount, 1000);
    assert.equal(byId(r, l2).RefundedAmount, 500);
    assert.equal(byId(r, l1).CapturedAmount, 1000, 'captured stays what was captured');
    assert.equal(r.PlatformFeesAmount, 0, 'a wholly refunded line keeps no fee');
    const g = await get(intent.Id);
    assert.equal(g.Refunds.length, 1);
    assert.equal(g.Refunds[0].Id, r.Refund.Id);
    assert.equal(g.Refunds[0].Amount, 1500);
    assert.equal(g.Refunds[0].Status, 'REFUNDED');
    const again = await v3('POST', `/payins/intents/${intent.Id}/refunds`, { ExternalData: ext('ref') });
    assertV3Error(again, 400);
  });

  it('partial refund: fee pro rata from running totals, status kept until all is refunded', async () => {
    const { intent, l1, l2 } = await captured();
    const r1 = ok(await v3('POST', `/payins/intents/${intent.Id}/refunds`, partial([{ Id: l1, Amount: 333 }])));
    assert.equal(r1.Status, 'CAPTURED');
    assert.equal(byId(r1, l1).RefundedAmount, 333);
    assert.equal(byId(r1, l1).Seller.FeesAmount, 67, '100 − floor(100·333/1000)');
    assert.equal(r1.AvailableAmountToSplit, 1500 - 333);
    const r2 = ok(await v3('POST', `/payins/intents/${intent.Id}/refunds`, partial([{ Id: l1, Amount: 333 }])));
    assert.equal(byId(r2, l1).Seller.FeesAmount, 34, '100 − floor(100·666/1000)');
    // More than what is left on the line: refused, nothing changes.
    const over = await v3('POST', `/payins/intents/${intent.Id}/refunds`, partial([{ Id: l1, Amount: 335 }]));
    assertV3Error(over, 400);
    const r3 = ok(await v3('POST', `/payins/intents/${intent.Id}/refunds`, partial([{ Id: l1, Amount: 334 }, { Id: l2, Amount: 500 }])));
    assert.equal(r3.Status, 'REFUNDED');
    assert.equal(r3.PlatformFeesAmount, 0, 'the whole line refunded removes exactly its whole fee');
  });

  it('partial refund with a stated fee part; bad fee parts refused', async () => {
    const { intent, l1 } = await captured();
    const r = ok(await v3('POST', `/payins/intents/${intent.Id}/refunds`, partial([{ Id: l1, Amount: 500, FeesAmount: 10 }])));
    assert.equal(byId(r, l1).Seller.FeesAmount, 90);
    const big = await v3('POST', `/payins/intents/${intent.Id}/refunds`, partial([{ Id: l1, Amount: 100, FeesAmount: 91 }]));
    assertV3Error(big, 400);
    const sum = await v3('POST', `/payins/intents/${intent.Id}/refunds`, partial([{ Id: l1, Amount: 100, FeesAmount: 5 }], { PlatformFeesAmount: 6 }));
    assertV3Error(sum, 400);
    const top = ok(await v3('POST', `/payins/intents/${intent.Id}/refunds`, partial([{ Id: l1, Amount: 100 }], { PlatformFeesAmount: 7 })));
    assert.equal(byId(top, l1).Seller.FeesAmount, 83);
  });

  it('refund refusals: before capture, unknown line, Amount ≠ Σ lines, no ExternalData, unknown intent', async () => {
    const i = await createIntent(ctx.api, seller, [{ UnitAmount: 1000, Quantity: 1 }]);
    assertV3Error(await v3('POST', `/payins/intents/${i.Id}/refunds`, { ExternalData: ext() }), 400);
    const { intent, l1 } = await captured();
    assertV3Error(await v3('POST', `/payins/intents/${intent.Id}/refunds`, partial([{ Id: 'int_li_nope', Amount: 1 }])), 400);
    assertV3Error(await v3('POST', `/payins/intents/${intent.Id}/refunds`, { ...partial([{ Id: l1, Amount: 10 }]), Amount: 11 }), 400);
    assertV3Error(await v3('POST', `/payins/intents/${intent.Id}/refunds`, {}), 400);
    assertV3Error(await v3('POST', `/payins/intents/${intent.Id}/refunds`, { ExternalData: { ExternalProcessingDate: 1 } }), 400);
    assertV3Error(await v3('POST', `/payins/intents/${intent.Id}/refunds`, 'not json'), 400);
    assertV3Error(await v3('POST', '/payins/intents/int_nope/refunds', { ExternalData: ext() }), 404);
    const g = await get(intent.Id);
    assert.equal(g.Refunds.length, 0, 'no refusal left a refund behind');
  });

  it('reversal: full gives amounts and fees back exactly; partial is bounded by the refund', async () => {
    const { intent, l1, l2 } = await captured();
    const r = ok(await v3('POST', `/payins/intents/${intent.Id}/refunds`, { ExternalData: ext() }));
    const refundId = r.Refund.Id;
    const p = ok(await v3('POST', `/payins/intents/${intent.Id}/refunds/${refundId}/reverse`, partial([{ Id: l1, Amount: 400 }])));
    assert.equal(p.Status, 'REFUND_REVERSED');
    assert.equal(p.NextActions, 'REFUND, DISPUTE');
    assert.equal(byId(p, l1).RefundedAmount, 600);
    assert.equal(byId(p, l1).Seller.FeesAmount, 40, 'fee back pro rata: 100 − floor(100·600/1000)');
    assert.equal(p.AvailableAmountToSplit, 400);
    const over = await v3('POST', `/payins/intents/${intent.Id}/refunds/${refundId}/reverse`, partial([{ Id: l1, Amount: 601 }]));
    assertV3Error(over, 400);
    const f = ok(await v3('POST', `/payins/intents/${intent.Id}/refunds/${refundId}/reverse`, { ExternalData: ext() }));
    assert.equal(byId(f, l1).RefundedAmount, 0);
    assert.equal(byId(f, l2).RefundedAmount, 0);
    assert.equal(f.PlatformFeesAmount, 150, 'every fee the refund took is back');
    assert.equal(f.AvailableAmountToSplit, 1500);
    const g = await get(intent.Id);
    assert.equal(g.Refunds[0].Status, 'REFUND_REVERSED');
    assertV3Error(await v3('POST', `/payins/intents/${intent.Id}/refunds/${refundId}/reverse`, { ExternalData: ext() }), 400);
    assertV3Error(await v3('POST', `/payins/intents/${intent.Id}/refunds/int_refund_nope/reverse`, { ExternalData: ext() }), 404);
    // Refundable again after the reversal.
    const again = ok(await v3('POST', `/payins/intents/${intent.Id}/refunds`, partial([{ Id: l2, Amount: 500 }])));
    assert.equal(byId(again, l2).RefundedAmount, 500);
  });

  it('full dispute then decisions: DEFENDED keeps the money out, DISPUTED_WON gives it back', async () => {
    const { intent, l1, captureId } = await captured();
    const d = ok(await v3('POST', `/payins/intents/${intent.Id}/captures/${captureId}/disputes`, { ExternalData: ext('d') }));
    assert.equal(d.Status, 'DISPUTED');
    assert.equal(d.NextActions, 'DEFEND, WIN_DISPUTE, LOSE_DISPUTE');
    assert.match(d.Dispute.Id, /^int_dispute_/);
    assert.equal(d.AvailableAmountToSplit, 0);
    assert.equal(byId(d, l1).DisputedAmount, 1000);
    assert.equal(d.PlatformFeesAmount, 150, 'disputes leave fees alone');
    const path = `/payins/intents/${intent.Id}/captures/${captureId}/disputes/${d.Dispute.Id}/decision`;
    const def = ok(await v3('PUT', path, { Decision: 'DEFENDED' }));
    assert.equal(def.Id, intent.Id);
    assert.equal(def.Decision, 'DEFENDED');
    assert.equal(def.Status, 'DEFENDED');
    assert.equal(def.AvailableAmountToSplit, 0);
    assertV3Error(await v3('PUT', path, { Decision: 'DEFENDED' }), 400);
    const won = ok(await v3('PUT', path.replace('/captures/', '/capture/'), { Decision: 'DISPUTED_WON' }));
    assert.equal(won.Decision, 'DISPUTED_WON');
    assert.equal(won.Status, 'DISPUTED_WON');
    assert.equal(won.AvailableAmountToSplit, 1500);
    assert.equal(byId(won, l1).DisputedAmount, 0);
    assertV3Error(await v3('PUT', path, { Decision: 'DISPUTED_LOST' }), 400);
    const g = await get(intent.Id);
    assert.equal(g.Disputes[0].Status, 'DISPUTED_WON');
    assert.equal(g.Disputes[0].CaptureId, captureId);
  });

  it('partial dispute via /capture/, then lost; refusals', async () => {
    const { intent, l1, l2, captureId } = await captured();
    const base = `/payins/intents/${intent.Id}/capture/${captureId}/disputes`;
    const d = ok(await v3('POST', base, partial([{ Id: l1, Amount: 300 }])));
    assert.equal(d.Status, 'CAPTURED', 'a partial dispute keeps the status');
    assert.equal(byId(d, l1).DisputedAmount, 300);
    assert.equal(d.AvailableAmountToSplit, 1200);
    // The line can't be refunded past what the dispute holds.
    assertV3Error(await v3('POST', `/payins/intents/${intent.Id}/refunds`, partial([{ Id: l1, Amount: 701 }])), 400);
    assertV3Error(await v3('POST', base, partial([{ Id: l1, Amount: 701 }])), 400);
    assertV3Error(await v3('POST', `/payins/intents/${intent.Id}/captures/int_capture_nope/disputes`, { ExternalData: ext() }), 404);
    assertV3Error(await v3('PUT', `${base}/int_dispute_nope/decision`, { Decision: 'DEFENDED' }), 404);
    assertV3Error(await v3('PUT', `${base}/${d.Dispute.Id}/decision`, { Decision: 'MAYBE' }), 400);
    assertV3Error(await v3('PUT', `${base}/${d.Dispute.Id}/decision`, {}), 400);
    const lost = ok(await v3('PUT', `${base}/${d.Dispute.Id}/decision`, { Decision: 'DISPUTED_LOST' }));
    assert.equal(lost.Decision, 'DISPUTED_LOST');
    assert.equal(lost.Status, 'CAPTURED');
    assert.equal(byId(lost, l1).DisputedAmount, 300, 'a lost dispute keeps the money out');
    assert.equal(lost.AvailableAmountToSplit, 1200);
    // The rest of the capture can still be disputed in full.
    const rest = ok(await v3('POST', base, { ExternalData: ext() }));
    assert.equal(rest.Status, 'DISPUTED');
    assert.equal(byId(rest, l1).DisputedAmount, 1000);
    assert.equal(byId(rest, l2).DisputedAmount, 500);
  });
});

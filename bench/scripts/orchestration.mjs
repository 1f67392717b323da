#!/usr/bin/env node
// Orchestrated payments end to end beside Echo intents, in one run on one server (SQLite):
//   node bench/scripts/orchestration.mjs [FLOWS] [CONCURRENCY]      (defaults: 400, 8)
// An orchestrated flow is create → hosted checkout "approve" (the sandbox adapter authorises
// through the loader and the host executor; four durable commits: the create, the attempt's
// record, its outcome, and the capture's two) → capture through the PSP. The baseline flow is an
// Echo intent create + full capture (two commits, no PSP). Prints one JSON line with both rates,
// their latencies and the ratio. A flow counts only once its capture answered 200.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = process.env.SPLITLEDGER_BIN || join(root, 'build/bin/splitledger');
const FLOWS = Number(process.argv[2] || 400);
const CONC = Number(process.argv[3] || 8);

const port = await new Promise((res) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); }); });
const dir = mkdtempSync(join(tmpdir(), 'splitledger-orch-bench-'));
const db = `sqlite:${join(dir, 'db.sqlite')}`;
const key = `key-bench-${Date.now()}`;
execFileSync(BIN, ['client', 'create', '--id', 'bench', '--api-key', key, '--db', db]);
const srv = spawn(BIN, ['serve', '--listen', `127.0.0.1:${port}`, '--db', db, '--log-level', 'warn'], { stdio: 'ignore' });
const base = `http://127.0.0.1:${port}`;
for (let i = 0; i < 200; i++) {
  try { if ((await fetch(`${base}/healthz`)).ok) break; } catch { /* starting */ }
  await new Promise((r) => setTimeout(r, 50));
}
const must = async (r, want) => { const t = await r.text(); if (r.status !== want) throw new Error(`${r.status} ${t}`); return t ? JSON.parse(t) : null; };
const token = (await must(await fetch(`${base}/v2.01/oauth/token`, { method: 'POST', headers: { Authorization: 'Basic ' + Buffer.from(`bench:${key}`).toString('base64'), 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' }), 200)).access_token;
const auth = { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' };

let n = 0;
async function orchestrated() {
  const c = await must(await fetch(`${base}/api/intents`, { method: 'POST', headers: auth, body: JSON.stringify({ amount: 10000, currency: 'EUR', reference_id: `o-${n++}-${Math.random()}`, purchaser_id: 'bench-buyer', return_url: 'https://shop.example/r', capture_mode: 'prefer_delay' }) }), 201);
  const u = new URL(c.redirect_url);
  const r = await fetch(`${base}${u.pathname}`, { method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `iauth=${u.searchParams.get('iauth')}&outcome=approve` });
  await r.text();
  if (r.status !== 303) throw new Error(`checkout ${r.status}`);
  await must(await fetch(`${base}/api/v2/intents/${c.id}/capture`, { headers: auth }), 200);
}
async function echo() {
  const body = { Amount: 10000, Currency: 'EUR', PlatformFeesAmount: 0, ExternalData: { ExternalProcessingDate: 1728133765, ExternalProviderReference: `e-${n++}-${Math.random()}`, ExternalMerchantReference: 'm', ExternalProviderName: 'Stripe', ExternalProviderPaymentMethod: 'PAYPAL' }, LineItems: [{ Seller: { AuthorId: 'a', WalletId: 'FEES_EUR', FeesAmount: 0 }, Sku: 's', Quantity: 1, UnitAmount: 10000 }] };
  const h = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
  const i = await must(await fetch(`${base}/V3.0/bench/payins/intents`, { method: 'POST', headers: h, body: JSON.stringify(body) }), 200);
  await must(await fetch(`${base}/V3.0/bench/payins/intents/${i.Id}/captures`, { method: 'POST', headers: h, body: JSON.stringify({ ExternalData: body.ExternalData }) }), 200);
}
async function run(flow) {
  const lat = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONC }, async () => {
    while (next < FLOWS) {
      next++;
      const s = performance.now();
      await flow();
      lat.push(performance.now() - s);
    }
  }));
  const secs = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  const q = (p) => Math.round(lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] * 10) / 10;
  return { flows: lat.length, flows_per_s: Math.round((lat.length / secs) * 10) / 10, p50_ms: q(0.5), p99_ms: q(0.99) };
}
try {
  await run(echo);  // warm-up of both paths
  const baseline = await run(echo);
  const orch = await run(orchestrated);
  console.log(JSON.stringify({ flows: FLOWS, concurrency: CONC, echo_create_capture: baseline, orchestrated_create_authorize_capture: orch, ratio: Math.round((orch.flows_per_s / baseline.flows_per_s) * 100) / 100 }));
} finally {
  srv.kill('SIGTERM');
  await new Promise((r) => srv.on('exit', r));
  rmSync(dir, { recursive: true, force: true });
}

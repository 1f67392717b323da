// Builds the release-0.1 fixture the upgrade test opens: a database written by the 0.1 binary
// through its own API, and every response 0.1 gave (expected.json).
//
//   node tests/upgrade/make_fixture.mjs BIN_0_1 DB_URL OUT_JSON
//
// BIN_0_1 is `splitledger` built from commit bb80ade (release 0.1); DB_URL a fresh database.
// The committed fixture came from (see README.md beside this file):
//   sqlite:   node make_fixture.mjs $BIN sqlite:$PWD/release-0.1/db.sqlite release-0.1/expected.json
//   postgres: node make_fixture.mjs $BIN postgresql://…/fixture release-0.1/expected-pg.json
//             pg_dump --no-owner --no-privileges … > release-0.1/postgres.sql
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// lib.mjs reads SPLITLEDGER_BIN when it loads: set it first.
process.env.SPLITLEDGER_BIN = process.argv[2];
const {
  startServer, stopServer, createClient, getToken, Api, naturalOwner, naturalPayer, legalOwner,
  intentBody, rand,
} = await import('../api/lib.mjs');
const [,, , dbUrl, outJson] = process.argv;
const out = { calls: [] };
const idem = () => `fixture-${rand(8)}`;

// Tokens issued with a ten-year lifetime, so that the upgrade test can still present one.
const config = join(mkdtempSync(join(tmpdir(), 'fixture-')), 'config.json');
writeFileSync(config, JSON.stringify({ token_ttl_seconds: 315360000 }));
const srv = await startServer(dbUrl, ['--config', config]);
try {
  await createClient(dbUrl, 'shop', 'shop-secret-key-0001');
  await createClient(dbUrl, 'other', 'other-secret-key-0001');
  const tok = await getToken(srv.base, 'shop', 'shop-secret-key-0001');
  const api = new Api(srv.base, 'shop', tok.json.access_token);
  out.token = tok.json.access_token;
  const call = async (dialect, method, path, body, headers) => {
    const r = await api[dialect](method, path, body, headers);
    out.calls.push({ dialect, method, path, body, headers, status: r.status, text: r.text });
    if (r.status >= 500) throw new Error(`${method} ${path}: ${r.status} ${r.text}`);
    return r;
  };
  const owner = (await call('v2', 'POST', '/users/natural', naturalOwner(), { 'Idempotency-Key': idem() })).json;
  const payer = (await call('v2', 'POST', '/users/natural', naturalPayer({ Tag: 'buyer', IncomeRange: '2' }))).json;
  const legal = (await call('v2', 'POST', '/users/legal', legalOwner({ Tag: 'company' }))).json;
  await call('v2', 'PUT', `/users/natural/${payer.Id}`, { Occupation: 'baker', PhoneNumber: '+33100000000' });
  const w1 = (await call('v2', 'POST', '/wallets', { Owners: [owner.Id], Description: 'shop EUR', Currency: 'EUR', Tag: 't1' }, { 'Idempotency-Key': idem() })).json;
  // 0.1 listed this wallet among the payer's wallets: its Description is the payer's id.
  const w2 = (await call('v2', 'POST', '/wallets', { Owners: [owner.Id], Description: payer.Id, Currency: 'EUR' })).json;
  const w3 = (await call('v2', 'POST', '/wallets', { Owners: [legal.Id], Description: 'gbp', Currency: 'GBP' })).json;
  await call('v2', 'PUT', `/wallets/${w3.Id}`, { Tag: 'renamed' });
  await call('v2', 'PUT', '/clients', { PlatformType: 'MARKETPLACE', TechEmails: ['tech@shop.example'], HeadquartersAddress: { AddressLine1: '1 rue de la Paix', City: 'Paris', PostalCode: '75002', Country: 'FR' } });
  const seller = { userId: owner.Id, walletId: w1.Id };
  const i1 = (await call('v3', 'POST', '/payins/intents', intentBody(seller, [{ UnitAmount: 1000, FeesAmount: 100 }, { UnitAmount: 2500, Quantity: 2, FeesAmount: 250 }]), { 'Idempotency-Key': idem() })).json;
  await call('v3', 'POST', `/payins/intents/${i1.Id}/cancel`, { Amount: 1000, LineItems: [{ Id: i1.LineItems[1].Id, Amount: 1000 }] });
  await call('v3', 'POST', `/payins/intents/${i1.Id}/captures`, { Amount: 400, Currency: 'EUR', LineItems: [{ Id: i1.LineItems[0].Id, Amount: 400 }] }, { 'Idempotency-Key': idem() });
  await call('v3', 'POST', `/payins/intents/${i1.Id}/captures`, '');
  const i2 = (await call('v3', 'POST', '/payins/intents', intentBody(seller, [{ UnitAmount: 700, FeesAmount: 7 }], { ref: 'basket-1' }))).json;
  await call('v3', 'POST', '/payins/intents', intentBody(seller, [{ UnitAmount: 300, FeesAmount: 3 }], { ref: 'basket-1' }));
  await call('v3', 'POST', `/payins/intents/${i2.Id}/cancel`, '');
  const gbpSeller = { userId: legal.Id, walletId: w3.Id };
  await call('v3', 'POST', '/payins/intents', intentBody(gbpSeller, [{ UnitAmount: 5000, FeesAmount: 500 }], { currency: 'GBP' }));
  // A refused request with a key: 0.1 stored its 400.
  await call('v3', 'POST', '/payins/intents', { ...intentBody(seller, [{ UnitAmount: 10 }]), Amount: 11 }, { 'Idempotency-Key': idem() });
  // What an upgrade must read back the same.
  out.reads = [];
  const read = async (dialect, path) => {
    const r = await api[dialect]('GET', path);
    out.reads.push({ dialect, path, status: r.status, text: r.text });
  };
  for (const u of [owner, payer, legal]) await read('v2', `/users/${u.Id}`);
  for (const w of [w1, w2, w3]) await read('v2', `/wallets/${w.Id}`);
  for (const u of [owner, payer, legal]) await read('v2', `/users/${u.Id}/wallets`);
  await read('v2', '/clients');
  await read('v2', '/clients/wallets');
  for (const c of out.calls) {
    if (c.headers && c.headers['Idempotency-Key']) await read('v2', `/responses/${c.headers['Idempotency-Key']}`);
  }
  for (const id of new Set([i1.Id, i2.Id])) await read('v3', `/payins/intents/${id}`);
  out.ids = { owner: owner.Id, payer: payer.Id, legal: legal.Id, w1: w1.Id, w2: w2.Id, w3: w3.Id, i1: i1.Id, i2: i2.Id };
} finally {
  await stopServer(srv);
}
writeFileSync(outJson, JSON.stringify(out, null, 1) + '\n');
console.log(`fixture: ${out.calls.length} calls, ${out.reads.length} reads → ${outJson}`);

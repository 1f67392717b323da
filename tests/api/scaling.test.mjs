// Scale-out by platform client (docs/scaling.md): two shards — two databases on one PostgreSQL,
// each with its own writer — and one shard map. A client's requests sent to the other shard are
// forwarded to its own, where its objects live; a second writer for a shard is refused.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BACKENDS, BIN, createClient, startServer, stopServer, verify, freePort, rand, getToken, req,
  naturalOwner,
} from './lib.mjs';

const run = (cmd, args) => new Promise((res) => execFile(cmd, args, { timeout: 60_000 }, (err, stdout, stderr) =>
  res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })));

for (const backend of BACKENDS.filter((b) => b.name === 'postgresql')) {
  describe('two shards on one PostgreSQL', () => {
    let dir, db1, db2, s1, s2;
    const A = { id: `shard-a-${rand(3)}`, key: `key-${rand(12)}` };
    const B = { id: `shard-b-${rand(3)}`, key: `key-${rand(12)}` };
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'splitledger-shards-'));
      db1 = await backend.create();
      db2 = await backend.create();
      await createClient(db1.url, A.id, A.key);
      await createClient(db2.url, B.id, B.key);
      const [p1, p2] = [await freePort(), await freePort()];
      const map = join(dir, 'shards.json');
      writeFileSync(map, JSON.stringify({
        shards: { 'eu-1': `http://127.0.0.1:${p1}`, 'eu-2': `http://127.0.0.1:${p2}` },
        clients: { [A.id]: 'eu-1', [B.id]: 'eu-2' },
      }));
      s1 = await startServer(db1.url, ['--shard', 'eu-1', '--shard-map', map], { port: p1 });
      s2 = await startServer(db2.url, ['--shard', 'eu-2', '--shard-map', map], { port: p2 });
    });
    after(async () => {
      try {
        for (const [srv, db] of [[s1, db1], [s2, db2]]) {
          if (!srv) continue;
          assert.equal((await stopServer(srv)).code, 0);
          const v = await verify(db.url);
          assert.equal(v.code, 0, v.stdout + v.stderr);
        }
      } finally {
        for (const db of [db1, db2]) if (db) await db.drop();
        if (dir) rmSync(dir, { recursive: true, force: true });
      }
    });

    it('each shard logs its name', () => {
      assert.match(s1.log, /"shard":"eu-1"/);
      assert.match(s2.log, /"shard":"eu-2"/);
    });

    it('a client\'s requests sent to the other shard are served by its own, where its objects live', async () => {
      // The token endpoint and the dialects, through shard eu-1, for a client of eu-2.
      const t = await getToken(s1.base, B.id, B.key);
      assert.equal(t.status, 200, t.text);
      assert.equal(t.headers.get('x-splitledger-shard'), 'eu-2');
      const user = await req(s1.base, 'POST', `/v2.01/${B.id}/users/natural`, { token: t.json.access_token, body: naturalOwner() });
      assert.equal(user.status, 200, user.text);
      assert.equal(user.headers.get('x-splitledger-shard'), 'eu-2');
      assert.ok(user.headers.get('x-ratelimit'), 'rate-limit headers once, from the shard answering the client');
      const onShard2 = await req(s2.base, 'GET', `/v2.01/${B.id}/users/${user.json.Id}`, { token: t.json.access_token });
      assert.equal(onShard2.status, 200);
      assert.equal(onShard2.headers.get('x-splitledger-shard'), null, 'served locally');
      // Errors come back as the owning shard wrote them.
      const missing = await req(s1.base, 'GET', `/v2.01/${B.id}/users/user_m_nope`, { token: t.json.access_token });
      assert.equal(missing.status, 404);
      assert.equal(missing.json.Type, 'ressource_not_found');
      // The row is in shard 2's database only.
      const count = async (db) => (await run('psql', [db.url, '-tAc', `SELECT count(*) FROM users WHERE id = '${user.json.Id}'`])).stdout.trim();
      assert.equal(await count(db2), '1');
      assert.equal(await count(db1), '0');
      // A's requests: served by eu-1 directly, and through eu-2.
      const ta = await getToken(s2.base, A.id, A.key);
      assert.equal(ta.status, 200);
      const direct = await req(s1.base, 'GET', `/v2.01/${A.id}/clients`, { token: ta.json.access_token });
      assert.equal(direct.status, 200);
      assert.equal(direct.json.ClientId, A.id);
      const via2 = await req(s2.base, 'GET', `/v2.01/${A.id}/clients`, { token: ta.json.access_token });
      assert.equal(via2.status, 200);
      assert.equal(via2.headers.get('x-splitledger-shard'), 'eu-1');
      // A request forwarded once more (maps that disagree) is refused, not bounced forever.
      const loop = await req(s1.base, 'GET', `/v2.01/${B.id}/clients`, { token: t.json.access_token, headers: { 'X-Splitledger-Forwarded-By': 'eu-2' } });
      assert.equal(loop.status, 421);
      // A settlement of B created through eu-1: its upload URL is public (eu-1's address, as
      // the client called it) and the upload reaches eu-2, which holds the settlement.
      const st = await req(s1.base, 'POST', `/V3.0/${B.id}/payins/intents/settlements`, { token: t.json.access_token, body: { FileName: 'f.csv' } });
      assert.equal(st.status, 200, st.text);
      assert.ok(st.json.UploadUrl.startsWith(s1.base), st.json.UploadUrl);
      const csv = 'ExternalProviderReference,ExternalTransactionType,ExternalTransactionStatus,ExternalProcessingDate,Amount,Currency\r\n' +
        'nope,PAYMENT,SETTLED,19-06-2025,100,EUR\r\nSettlementDate,20-06-2025\r\nExternalProviderName,Stripe\r\n' +
        'TotalSettlementFeesAmount,0\r\nTotalNetSettlementAmount,100\r\nSettlementCurrency,EUR\r\n';
      const up = await req(st.json.UploadUrl, 'PUT', '', { body: csv, headers: { 'Content-Type': 'text/csv' } });
      assert.equal(up.status, 200, up.text);
      assert.equal(up.headers.get('x-splitledger-shard'), 'eu-2');
      const wrong = await req(st.json.UploadUrl.replace(/token=[^&]+/, 'token=0000'), 'PUT', '', { body: csv, headers: { 'Content-Type': 'text/csv' } });
      assert.equal(wrong.status, 403, 'a wrong token is refused by every shard');
    });

    it('a second writer for a shard is refused', async () => {
      const port = await freePort();
      const second = await run(BIN, ['serve', '--db', db1.url, '--listen', `127.0.0.1:${port}`]);
      assert.equal(second.code, 2, second.stdout + second.stderr);
      assert.match(second.stdout + second.stderr, /in use by another splitledger writer/);
      // The first one still serves.
      assert.equal((await fetch(`${s1.base}/healthz`)).status, 200);
    });

    it('a shard map that does not name this server, or names an unknown shard, stops the start', async () => {
      const bad = join(dir, 'bad.json');
      writeFileSync(bad, JSON.stringify({ shards: { 'eu-1': 'http://x' }, clients: { c: 'eu-9' } }));
      const r = await run(BIN, ['serve', '--db', `sqlite:${dir}/x.db`, '--listen', '127.0.0.1:0', '--shard', 'eu-1', '--shard-map', bad]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /unknown shard/);
      const r2 = await run(BIN, ['serve', '--db', `sqlite:${dir}/x.db`, '--listen', '127.0.0.1:0', '--shard', 'eu-3', '--shard-map', join(dir, 'shards.json')]);
      assert.equal(r2.code, 2);
      assert.match(r2.stderr, /not in "shards"/);
    });
  });
}

// `splitledger rebuild`: the log is the record, the tables can be made again from it. A database
// file lost beside its intact log comes back whole, through the real binary; a rebuild next to a
// running server is refused (it would write beside the lease holder).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { BACKENDS, BIN, startServer, stopServer, createClient, getToken, req, rand, naturalPayer } from './lib.mjs';

const sqlite = BACKENDS.find((b) => b.name === 'sqlite');
const run = (args) => new Promise((res) => {
  execFile(BIN, args, { timeout: 60_000 }, (err, stdout, stderr) => {
    res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
  });
});

describe('rebuild [sqlite]', () => {
  let db; let srv; let clientId; let apiKey;
  before(async () => {
    db = await sqlite.create();
    clientId = `cl-rb-${rand(4)}`;
    apiKey = `key-${rand(16)}`;
    await createClient(db.url, clientId, apiKey);
  });
  after(async () => { if (srv) await stopServer(srv); await db.drop(); });

  it('refuses beside a running server, then rebuilds a lost database file from its log', async () => {
    srv = await startServer(db.url);
    const t = await getToken(srv.base, clientId, apiKey);
    const token = t.json.access_token;
    const u = await req(srv.base, 'POST', `/v2.01/${clientId}/users/natural`, { token, body: naturalPayer({ Tag: 'kept' }) });
    assert.equal(u.status, 200, u.text);
    const w = await req(srv.base, 'POST', `/v2.01/${clientId}/wallets`, {
      token, body: { Owners: [u.json.Id], Currency: 'EUR', Description: 'rebuilt' },
    });
    assert.equal(w.status, 200, w.text);

    const busy = await run(['rebuild', '--db', db.url]);
    assert.equal(busy.code, 2, `rebuild beside a server: ${busy.stdout}${busy.stderr}`);
    assert.match(busy.stderr, /in use by another splitledger writer/);

    assert.equal((await stopServer(srv)).code, 0);
    srv = undefined;
    const path = db.url.slice('sqlite:'.length);
    for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });

    const rebuilt = await run(['rebuild', '--db', db.url]);
    assert.equal(rebuilt.code, 0, `${rebuilt.stdout}${rebuilt.stderr}`);
    assert.match(rebuilt.stdout, /verify: no difference/);

    srv = await startServer(db.url);
    const t2 = await getToken(srv.base, clientId, apiKey);
    assert.equal(t2.status, 200, 'the client and its key came back from the log');
    const again = await req(srv.base, 'GET', `/v2.01/${clientId}/users/${u.json.Id}`, { token: t2.json.access_token });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.json.Tag, 'kept');
    const wallet = await req(srv.base, 'GET', `/v2.01/${clientId}/wallets/${w.json.Id}`, { token: t2.json.access_token });
    assert.equal(wallet.status, 200, wallet.text);
    assert.equal(wallet.json.Description, 'rebuilt');
  });
});

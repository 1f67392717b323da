// `serve` loads the PSP adapters named in its config: good ones are loaded, bad ones are refused
// with a reason, and the service runs either way (docs/plugins.md §6).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { BIN, startServer, stopServer } from './lib.mjs';

const LIB = resolve(dirname(BIN), '../lib');

test('serve loads good adapters, refuses bad ones, and keeps serving', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'splitledger-plugins-'));
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({
    plugins: {
      secrets: { 'sandbox.whsec': { env: 'SPLITLEDGER_TEST_SANDBOX_WHSEC' } },
      adapters: [
        { name: 'sandbox', library: join(LIB, 'psp_sandbox.so'), config: { webhook_secrets: ['sandbox.whsec'] } },
        { name: 'short', library: join(LIB, 'misuse_short_table.so') },
        { name: 'needs_secret', library: join(LIB, 'psp_sandbox.so'), config: { webhook_secrets: ['absent'] } },
        { name: 'missing', library: join(dir, 'nope.so') },
      ],
    },
  }));
  process.env.SPLITLEDGER_TEST_SANDBOX_WHSEC = 'whsec_from_env_0123456789';
  const srv = await startServer(`sqlite:${join(dir, 'db.sqlite')}`, ['--config', config]);
  try {
    const r = await fetch(`${srv.base}/healthz`);
    assert.equal(r.status, 200);
    const lines = srv.log.split('\n').filter(Boolean).map((l) => { try { return JSON.parse(l); } catch { return {}; } });
    const byName = (msg, name) => lines.find((l) => l.msg === msg && l.name === name);
    assert.ok(byName('adapter loaded', 'sandbox'), srv.log);
    assert.match(byName('adapter refused', 'short').error, /function table of \d+ bytes/);
    assert.match(byName('adapter refused', 'needs_secret').error, /webhook_secrets: secret 'absent' is not configured/);
    assert.match(byName('adapter refused', 'missing').error, /plugin file not found/);
    assert.ok(!srv.log.includes('whsec_from_env_0123456789'), 'a secret reached the log');
  } finally {
    await stopServer(srv);
    rmSync(dir, { recursive: true, force: true });
  }
});

// The Debian package (docs/operations.md, "Packages"): `cpack -G DEB` in the build directory of
// the binary under test, the package unpacked into a throwaway root with `dpkg-deb -x`, then the
// installed binary run with the packaged configuration (its database and listening address
// overridden by flags, as an operator would in a container) and its bundled adapter checked with
// the installed `plugin check`.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BIN, freePort } from './lib.mjs';

const buildDir = dirname(dirname(BIN));

describe('the .deb package', () => {
  let work, root, deb;
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'splitledger-deb-'));
    execFileSync('cpack', ['-G', 'DEB', '-B', work], { cwd: buildDir, stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
    deb = readdirSync(work).find((f) => f.endsWith('.deb'));
    assert.ok(deb, `cpack made a .deb in ${work}: ${readdirSync(work).join(', ')}`);
    deb = join(work, deb);
    root = join(work, 'root');
    execFileSync('dpkg-deb', ['-x', deb, root]);
  });
  after(() => { if (work) rmSync(work, { recursive: true, force: true }); });

  it('names its dependencies, scripts and conffile', () => {
    const info = execFileSync('dpkg-deb', ['-I', deb]).toString();
    assert.match(info, /Package: splitledger/);
    assert.match(info, /Version: \d+\.\d+\.\d+/);
    assert.match(info, /Depends:.*libpoco/i, info);
    assert.match(info, /Depends:.*libsoci/i, info);
    assert.match(info, /Depends:.*adduser/, info);
    for (const script of ['postinst', 'prerm', 'postrm', 'conffiles']) assert.match(info, new RegExp(`\\b${script}\\b`), info);
    const conffiles = execFileSync('dpkg-deb', ['-e', deb, join(work, 'control')]) && readFileSync(join(work, 'control', 'conffiles'), 'utf8');
    assert.equal(conffiles.trim(), '/etc/splitledger/splitledger.json');
    const postinst = readFileSync(join(work, 'control', 'postinst'), 'utf8');
    assert.match(postinst, /adduser --system/);
    assert.match(postinst, /\/var\/lib\/splitledger/);
  });

  it('installs the binary, the adapters, the SDK header, the unit and the configuration', () => {
    for (const f of ['usr/bin/splitledger', 'usr/lib/splitledger/adapters/psp_sandbox.so',
      'usr/lib/splitledger/adapters/psp_njiapay.so', 'usr/include/splitledger/psp_adapter.h',
      'usr/include/splitledger/psp_adapter.hpp', 'lib/systemd/system/splitledger.service',
      'etc/splitledger/splitledger.json', 'usr/share/doc/splitledger/README.md',
      'usr/share/doc/splitledger/docs/operations.md']) {
      assert.ok(existsSync(join(root, f)), `${f} in the package`);
    }
    assert.ok(statSync(join(root, 'usr/bin/splitledger')).mode & 0o111, 'executable');
    const unit = readFileSync(join(root, 'lib/systemd/system/splitledger.service'), 'utf8');
    assert.match(unit, /^User=splitledger$/m);
    assert.match(unit, /^ExecStart=\/usr\/bin\/splitledger serve --config \/etc\/splitledger\/splitledger.json$/m);
    assert.match(unit, /^StateDirectory=splitledger$/m);
    const config = JSON.parse(readFileSync(join(root, 'etc/splitledger/splitledger.json'), 'utf8'));
    assert.equal(config.db, 'sqlite:/var/lib/splitledger/splitledger.db');
  });

  it('the installed binary serves with the packaged configuration and loads the bundled adapter', async () => {
    const bin = join(root, 'usr/bin/splitledger');
    const check = execFileSync(bin, ['plugin', 'check', join(root, 'usr/lib/splitledger/adapters/psp_sandbox.so')], { timeout: 120_000 }).toString();
    assert.match(check, /\d+ passed, 0 failed/, check);
    const port = await freePort();
    const child = spawn(bin, ['serve', '--config', join(root, 'etc/splitledger/splitledger.json'),
      '--db', `sqlite:${join(work, 'db.sqlite')}`, '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout.on('data', (d) => { log += d; });
    child.stderr.on('data', (d) => { log += d; });
    try {
      let up = false;
      for (let i = 0; i < 200 && !up; i++) {
        try { up = (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200; } catch { await new Promise((r) => setTimeout(r, 50)); }
      }
      assert.ok(up, `the installed binary answers /healthz:\n${log}`);
      const client = execFileSync(bin, ['client', 'create', '--id', 'pkg-client', '--db', `sqlite:${join(work, 'db.sqlite')}`]).toString();
      assert.match(client, /"ClientId":"pkg-client"/);
    } finally {
      child.kill('SIGTERM');
      const code = await new Promise((r) => child.on('exit', (c) => r(c)));
      assert.equal(code, 0, log);
    }
  });
});

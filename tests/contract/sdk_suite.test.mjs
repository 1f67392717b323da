// The official Mangopay Node SDK's OWN mocha tests (node_modules/mangopay4-nodejs-sdk/test/services/
// PayIns.js, Settlements.js, Hooks.js), run unmodified as a child process against the real
// `splitledger serve` on loopback, once per backend (SQLite; PostgreSQL when SPLITLEDGER_TEST_PG_URL
// is set). Only the groups of SDK tests that need nothing beyond our surface (token, users, wallets,
// the Echo intent routes, settlements, hooks) are run, each selected with a mocha --grep.
//
// How the SDK is pointed at the server: its test/main.js builds `new mangopay({clientId:
// 'sdk-unit-tests', clientApiKey: 'cqFf…'})` with no baseUrl; sdk_base_url.cjs (mocha --require)
// sets the SDK's default baseUrl to SPLITLEDGER_SDK_BASE_URL before main.js loads. The client
// `sdk-unit-tests` with that fixed key is created in each fresh database before the server starts.
//
// Each enabled group is one node:test `it`, with one subtest per SDK test title (so a failure names
// the SDK test and shows why: the mocha error, the hook that timed out, the server's non-2xx
// answers and the SDK's stderr). Per group it also asserts that mocha saw exactly the expected
// number of tests (a --dry-run, so a changed SDK or a wrong grep fails loudly), that nothing failed
// or was skipped, and that no request of the group hit an unknown route or got a 5xx (some SDK
// assertions pass on an error body: Mangopay errors carry an `Id`).
//
// Set SPLITLEDGER_SDK_GROUPS=refunds,splits (names from GROUPS below, or "all") to run other groups
// ad hoc, e.g. while a feature is being built, without enabling them for everybody.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BACKENDS, createClient, startServer, stopServer, verify, getToken, req,
} from '../api/lib.mjs';

// ------------------------------------------------------------------ the groups that run
// The groups the binary supports today. To enable a group once its routes land, add its name here
// (the definitions are in GROUPS just below; nothing else to change).
//   (every group of the reference is enabled)
const ENABLED = ['intents', 'refunds', 'disputes', 'splits', 'settlements', 'hooks'];

// Every group of SDK tests that needs only our surface (docs: /work/shared/reference/
// mangopay-sdk-echo-tests.md). grep: mocha --grep on full titles (case-sensitive); expect: how many
// SDK tests it selects; seed: run against the server before the group (the suite assumes state).
const GROUPS = {
  intents: {
    file: 'PayIns.js', expect: 9,
    grep: '^PayIns PayIn Intent (Create intent authorization|Create (full|partial) capture|Get intent|Cancel intent) ',
  },
  refunds: {
    file: 'PayIns.js', expect: 4,
    grep: '^PayIns PayIn Intent (Create intent (full|partial) refund|(Fully|Partially) reverse intent refund) ',
  },
  disputes: {
    file: 'PayIns.js', expect: 3,
    grep: '^PayIns PayIn Intent (Create (full|partial) intent dispute|Update intent dispute outcome) ',
  },
  splits: {
    file: 'PayIns.js', expect: 6,
    grep: '^PayIns PayIn Intent (Create splits|(Execute|Reverse|Get|Update) split) ',
  },
  settlements: { file: 'Settlements.js', expect: 6, grep: '^Settlements ' },
  hooks: { file: 'Hooks.js', expect: 5, grep: '^Hooks ', seed: seedHooks },
};

// ------------------------------------------------------------------ settings
const here = dirname(fileURLToPath(import.meta.url));
const SDK_TESTS = join(here, 'node_modules/mangopay4-nodejs-sdk/test/services');
const MOCHA = join(here, 'node_modules/mocha/bin/mocha');
const BASE_URL_HOOK = join(here, 'sdk_base_url.cjs');
const CLIENT_ID = 'sdk-unit-tests';                                   // test/main.js
const API_KEY = 'cqFfFrWfCcb7UadHNxx2C9Lo6Djw8ZduLi7J9USTmu8bhxxpju';  // test/main.js
const MOCHA_TIMEOUT_MS = 10_000;   // per SDK test or hook (mocha 9 ignores test/mocha.opts)
const CHILD_TIMEOUT_MS = 120_000;  // the whole mocha run of one group

const selected = (() => {
  const env = process.env.SPLITLEDGER_SDK_GROUPS;
  const names = !env ? ENABLED : env.trim() === 'all' ? Object.keys(GROUPS) : env.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) if (!GROUPS[n]) throw new Error(`unknown SDK test group ${JSON.stringify(n)}; known: ${Object.keys(GROUPS).join(', ')}`);
  return names.map((name) => ({ name, ...GROUPS[name] }));
})();

// ------------------------------------------------------------------ mocha as a child process
// Runs mocha on one SDK test file with a grep; resolves {code, signal, timedOut, stdout, stderr,
// report} where report is the JSON reporter's output (undefined if mocha wrote none).
function runMocha(group, { baseUrl, dryRun = false }) {
  const dir = mkdtempSync(join(tmpdir(), 'splitledger-sdk-mocha-'));
  const out = join(dir, 'report.json');
  const args = [MOCHA, '--no-config', '--no-package', '--require', BASE_URL_HOOK,
    '--timeout', String(MOCHA_TIMEOUT_MS), '--exit', '--reporter', 'json', '--reporter-option', `output=${out}`,
    '--grep', group.grep, ...(dryRun ? ['--dry-run'] : []), join(SDK_TESTS, group.file)];
  return new Promise((res) => {
    const child = spawn(process.execPath, args, {
      cwd: here, stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SPLITLEDGER_SDK_BASE_URL: baseUrl },
    });
    let stdout = ''; let stderr = ''; let timedOut = false;
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, CHILD_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      let report;
      try { if (existsSync(out)) report = JSON.parse(readFileSync(out, 'utf8')); } catch { report = undefined; }
      rmSync(dir, { recursive: true, force: true });
      res({ code, signal, timedOut, stdout, stderr, report });
    });
  });
}

const tail = (s, n = 3000) => (s.length > n ? `…${s.slice(-n)}` : s);
const describeRun = (r) => `mocha exit ${r.code}${r.signal ? ` (${r.signal})` : ''}${r.timedOut ? `, killed after ${CHILD_TIMEOUT_MS} ms` : ''}`
  + `\n--- mocha stderr:\n${tail(r.stderr) || '(empty)'}\n--- mocha stdout:\n${tail(r.stdout, 1500) || '(empty)'}`;

// The SDK tests a group selects, from a mocha --dry-run (same as the real run, nothing executed);
// cached per group.
const plans = new Map();
async function plan(group) {
  if (!plans.has(group.name)) {
    const r = await runMocha(group, { baseUrl: 'http://127.0.0.1:9', dryRun: true });
    assert.ok(r.report && r.code === 0, `mocha --dry-run of ${group.file} --grep '${group.grep}' failed: ${describeRun(r)}`);
    plans.set(group.name, r.report.tests.map((t) => ({ title: t.title, fullTitle: t.fullTitle })));
  }
  return plans.get(group.name);
}

// The server's request log lines ({"msg":"request","method","route","status"}) in a slice of its log.
function requestsIn(logSlice) {
  const out = [];
  for (const line of logSlice.split('\n')) {
    try { const j = JSON.parse(line); if (j.msg === 'request') out.push(j); } catch { /* not JSON or cut */ }
  }
  return out;
}

// ------------------------------------------------------------------ seeding
// Hooks.js assumes an account that already holds two hooks created at different seconds, one of
// them USER_KYC_REGULAR: "Get All" asserts hooks[0].CreationDate > hooks[1].CreationDate with
// sort=CreationDate:DESC, and "Create User Kyc Regular" calls done() twice when it has to create
// that hook. Seeding also proves the server has the hook routes at all: "Hooks Create" passes on a
// 404 error body, which carries an Id.
async function seedHooks(base) {
  const t = await getToken(base, CLIENT_ID, API_KEY);
  assert.equal(t.status, 200, `seed hooks: token: ${t.text}`);
  const post = async (EventType) => {
    const r = await req(base, 'POST', `/v2.01/${CLIENT_ID}/hooks`, { token: t.json.access_token, body: { EventType, Url: 'http://test.com/seed' } });
    assert.equal(r.status, 200, `seed hooks: POST /v2.01/${CLIENT_ID}/hooks ${EventType} (does the server have the hook routes?): ${r.text}`);
    assert.equal(typeof r.json?.CreationDate, 'number', `seed hooks: CreationDate in ${r.text}`);
    return r.json;
  };
  const first = await post('PAYIN_NORMAL_CREATED');
  // CreationDate is in whole seconds: wait for the next one.
  while (Math.floor(Date.now() / 1000) <= first.CreationDate) await new Promise((r) => setTimeout(r, 50));
  const second = await post('USER_KYC_REGULAR');
  assert.ok(second.CreationDate > first.CreationDate,
    `seed hooks: the two hooks must have different CreationDates (server clock?): ${first.CreationDate}, ${second.CreationDate}`);
}

// ------------------------------------------------------------------ the suites
for (const backend of BACKENDS) {
  describe(`Mangopay Node SDK's own test suite [${backend.name}]`, () => {
    let db; let srv;
    before(async () => {
      db = await backend.create();
      await createClient(db.url, CLIENT_ID, API_KEY);
      srv = await startServer(db.url);
    });
    after(async () => {
      try {
        if (srv) {
          const r = await stopServer(srv);
          assert.equal(r.code, 0, `serve exit on SIGTERM: ${JSON.stringify(r)}\n${tail(srv.log, 2000)}`);
          const v = await verify(db.url);
          assert.equal(v.code, 0, `verify --db: ${v.stdout}${v.stderr}`);
        }
      } finally { if (db) await db.drop(); }
    });

    for (const group of selected) {
      it(`${group.name}: the ${group.expect} SDK tests of ${group.file} matching /${group.grep}/`, { timeout: CHILD_TIMEOUT_MS + 60_000 }, async (t) => {
        const expected = await plan(group);
        assert.equal(expected.length, group.expect,
          `${group.file} --grep '${group.grep}' selects ${expected.length} SDK tests, expected ${group.expect}:\n${expected.map((e) => e.fullTitle).join('\n')}`);

        const logStart = srv.log.length;
        if (group.seed) await group.seed(srv.base);
        const run = await runMocha(group, { baseUrl: srv.base });
        await new Promise((r) => setTimeout(r, 100));  // let the server's last request lines arrive
        const requests = requestsIn(srv.log.slice(logStart));
        const counts = new Map();
        for (const q of requests.filter((x) => x.status >= 300)) {
          const k = `${q.method} ${q.route} → ${q.status}`;
          counts.set(k, (counts.get(k) ?? 0) + 1);
        }
        const answers = `server's non-2xx answers during this group: ${counts.size ? '' : '(none)'}`
          + [...counts].map(([k, n]) => `\n  ${k}${n > 1 ? ` (×${n})` : ''}`).join('');
        const context = `${answers}\n${describeRun(run)}`;
        assert.ok(run.report, `mocha wrote no JSON report: ${context}`);

        const { passes = [], failures = [], pending = [] } = run.report;
        const passed = new Map();
        for (const p of passes) passed.set(p.fullTitle, (passed.get(p.fullTitle) ?? 0) + 1);
        const hookFailures = failures.filter((f) => /^"(before|after) (all|each)" hook/.test(f.title));
        const why = (f) => `${f.fullTitle}: ${f.err?.message ?? JSON.stringify(f.err)}`;

        // One subtest per SDK test title (PayIns.js has two "PayIn Intent" suites with the same
        // titles: those count together).
        const wanted = new Map();
        for (const e of expected) {
          const w = wanted.get(e.fullTitle) ?? { title: e.title, n: 0 };
          w.n += 1;
          wanted.set(e.fullTitle, w);
        }
        for (const [fullTitle, { title, n }] of wanted) {
          await t.test(`${fullTitle}${n > 1 ? ` (×${n})` : ''}`, () => {
            const got = passed.get(fullTitle) ?? 0;
            if (got === n) return;
            const own = failures.filter((f) => f.fullTitle === fullTitle);
            const parent = fullTitle.slice(0, fullTitle.length - title.length).trim();
            const hooks = hookFailures.filter((f) => f.fullTitle.startsWith(parent) && f.title.includes(`hook for "${title}"`));
            const reasons = [...own, ...hooks].map(why);
            assert.fail(`SDK test "${fullTitle}" passed ${got} of ${n} time(s).\n`
              + (reasons.length ? `mocha:\n${reasons.join('\n')}` : `it did not run; hook failures in this run:\n${hookFailures.map(why).join('\n') || '(none)'}`)
              + `\n${answers}\n(mocha's stderr, with the SDK's log of error bodies, is in the group's failure)`);
          });
        }

        assert.equal(failures.length, 0, `mocha failures (tests or hooks):\n${failures.map(why).join('\n')}\n${context}`);
        assert.equal(pending.length, 0, `pending SDK tests: ${pending.map((p) => p.fullTitle).join(', ')}`);
        assert.equal(passes.length, group.expect, `passes: ${passes.length}, expected ${group.expect}\n${context}`);
        assert.ok(!run.timedOut && run.code === 0, `mocha run: ${context}`);
        const unknown = requests.filter((q) => q.route === 'unmatched');
        assert.equal(unknown.length, 0, `requests to routes the server does not know (the SDK tests use only our surface):\n${context}`);
        const fivexx = requests.filter((q) => q.status >= 500);
        assert.equal(fivexx.length, 0, `5xx answers:\n${context}\n--- server log:\n${tail(srv.log.slice(logStart))}`);
      });
    }
  });
}

// The OpenAPI 3.1 documents (docs/openapi) against the routing tables, both ways: every route
// the binary has (`splitledger routes`) is documented with its method, and every documented
// operation is a route. The server serves the documents it was built with at /openapi/….
import { it, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN, suite } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

const routes = () => new Promise((res, rej) => {
  execFile(BIN, ['routes'], (err, stdout) => (err ? rej(err) : res(stdout.trim().split('\n').map((l) => JSON.parse(l)))));
});

// "METHOD /path" for every operation of a document, the path's first segment normalised to the
// dialect prefix the routes use.
const operations = (doc) => {
  const out = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const m of METHODS) if (item[m]) out.push(`${m.toUpperCase()} ${path}`);
  }
  return out;
};

suite('openapi', (ctx) => {
  let listed;
  before(async () => { listed = (await routes()).map((r) => `${r.method} ${r.path}`); });

  it('the documents are OpenAPI 3.1 with an operationId and a 200 response per operation', async () => {
    for (const name of ['echo-v2.json', 'echo-v3.json', 'orchestration.json']) {
      const doc = JSON.parse(readFileSync(resolve(here, '../../docs/openapi', name), 'utf8'));
      assert.equal(doc.openapi, '3.1.0', name);
      assert.ok(doc.info?.title && doc.info?.version, `${name} info`);
      const ids = new Set();
      for (const [path, item] of Object.entries(doc.paths)) {
        for (const m of METHODS) {
          if (!item[m]) continue;
          const op = item[m];
          assert.ok(op.operationId, `${name} ${m} ${path}: operationId`);
          assert.ok(!ids.has(op.operationId), `${name}: operationId ${op.operationId} twice`);
          ids.add(op.operationId);
          assert.ok(op.responses?.['200'] || op.responses?.['201'] || op.responses?.['303'],
            `${name} ${m} ${path}: a success response`);
          for (const p of path.match(/\{[A-Za-z]+\}/g) ?? []) {
            const declared = [...(item.parameters ?? []), ...(op.parameters ?? [])]
              .some((x) => x.in === 'path' && `{${x.name}}` === p);
            assert.ok(declared, `${name} ${m} ${path}: path parameter ${p} declared`);
          }
        }
      }
    }
  });

  it('every route is documented, and every documented operation is a route', async () => {
    const docs = ['echo-v2.json', 'echo-v3.json', 'orchestration.json']
      .flatMap((n) => operations(JSON.parse(readFileSync(resolve(here, '../../docs/openapi', n), 'utf8'))));
    const undocumented = listed.filter((r) => !docs.includes(r));
    const unknown = docs.filter((d) => !listed.includes(d));
    assert.deepEqual(undocumented, [], 'routes missing from docs/openapi');
    assert.deepEqual(unknown, [], 'documented operations that are not routes');
    assert.ok(listed.length >= 45, `${listed.length} routes`);
  });

  it('serve returns the documents it was built with, without credentials', async () => {
    for (const [path, file] of [['/openapi/v2.json', 'echo-v2.json'], ['/openapi/v3.json', 'echo-v3.json'],
      ['/openapi/orchestration.json', 'orchestration.json']]) {
      const r = await fetch(ctx.base + path);
      assert.equal(r.status, 200, path);
      assert.match(r.headers.get('content-type'), /application\/json/);
      assert.deepEqual(await r.json(), JSON.parse(readFileSync(resolve(here, '../../docs/openapi', file), 'utf8')));
    }
    assert.equal((await fetch(`${ctx.base}/openapi/v9.json`)).status, 404);
  });
});

// Loaded with `mocha --require` before the SDK's own test files, by sdk_suite.test.mjs.
//
// Why: the SDK's test/main.js builds `new mangopay({clientId: 'sdk-unit-tests', clientApiKey: …})`
// without a baseUrl, so it would talk to https://api.sandbox.mangopay.com. We run those test files
// unmodified, so instead of editing them we change the SDK's default: the Api constructor
// (lib/api.js) merges `require('./config')` (lib/config.js, `baseUrl` defaults to the sandbox)
// under the options it is given and sets `axios.defaults.baseURL = config.baseUrl`. Node caches
// modules by path, so the object patched here is the very object lib/api.js reads when main.js
// runs `new mangopay(…)` later. Every SDK request (oauth token included) is relative to that URL.
//
// SPLITLEDGER_SDK_BASE_URL must be set (e.g. http://127.0.0.1:PORT); without it we refuse to run
// rather than let the suite reach the real sandbox.
'use strict';
const base = process.env.SPLITLEDGER_SDK_BASE_URL;
if (!base || !/^http:\/\/(127\.0\.0\.1|localhost|\[::1\]):\d+$/.test(base)) {
  throw new Error(`sdk_base_url.cjs: SPLITLEDGER_SDK_BASE_URL must be a loopback http URL, got ${JSON.stringify(base)}`);
}
const config = require('mangopay4-nodejs-sdk/lib/config');
config.baseUrl = base;

// Contract test: the official Mangopay Node SDK (mangopay4-nodejs-sdk, pinned in package.json),
// unmodified, with its baseUrl pointed at `splitledger serve`. Runs on SQLite, and on PostgreSQL
// when SPLITLEDGER_TEST_PG_URL is set.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import {
  BACKENDS, createClient, startServer, stopServer, verify, rand,
} from '../api/lib.mjs';

const require = createRequire(import.meta.url);
const mangopay = require('mangopay4-nodejs-sdk');

const naturalUser = () => ({
  FirstName: 'John NodejsSDK', LastName: 'Doe NodejsSDK', Email: 'john.doe@sample.org',
  Address: { AddressLine1: '4101 Reservoir Rd NW', AddressLine2: '', City: 'Washington', Region: 'District of Columbia', PostalCode: '20007', Country: 'US' },
  Birthday: 188301600, Nationality: 'FR', CountryOfResidence: 'FR', Occupation: 'programmer', IncomeRange: 3,
  PersonType: 'NATURAL', TermsAndConditionsAccepted: true,
});
const legalUser = () => ({
  Name: 'MartixSampleOrg_NodejsSDK', Email: 'mail@test.com', LegalPersonType: 'BUSINESS',
  HeadquartersAddress: { AddressLine1: '4101 Reservoir Rd NW', AddressLine2: '', City: 'Washington', Region: 'District of Columbia', PostalCode: '20007', Country: 'US' },
  LegalRepresentativeFirstName: 'John NodejsSDK', LegalRepresentativeLastName: 'Doe NodejsSDK', LegalRepresentativeEmail: 'john.doe@sample.org',
  LegalRepresentativeAddress: { AddressLine1: '4101 Reservoir Rd NW', AddressLine2: '', City: 'Washington', Region: 'District of Columbia', PostalCode: '20007', Country: 'US' },
  LegalRepresentativeBirthday: 188301600, LegalRepresentativeNationality: 'FR', LegalRepresentativeCountryOfResidence: 'FR',
  CompanyNumber: '123456789', PersonType: 'LEGAL', TermsAndConditionsAccepted: true,
});
const externalData = () => ({
  ExternalProcessingDate: 1728133765, ExternalProviderReference: String(Math.random()),
  ExternalMerchantReference: 'Order-xyz-' + rand(4), ExternalProviderName: 'Stripe', ExternalProviderPaymentMethod: 'PAYPAL',
});
const omit = (o, ...keys) => Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
// The SDK rejects with the parsed error body; turn that into a value for assertions.
const failure = async (p) => { try { await p; } catch (e) { return e; } assert.fail('expected the SDK call to fail'); };

for (const backend of BACKENDS) {
  describe(`Mangopay Node SDK contract [${backend.name}]`, () => {
    let db, srv, api, clientId, apiKey, john, matrix, wallet;
    before(async () => {
      db = await backend.create();
      clientId = `sdk-${rand(4)}`;
      apiKey = `cqFfFrWfCcb7UadHNxx2C9Lo6Djw8ZduLi7J9USTmu8bhxxpju`;
      await createClient(db.url, clientId, apiKey);
      srv = await startServer(db.url);
      api = new mangopay({ clientId, clientApiKey: apiKey, baseUrl: srv.base, errorHandler: () => {} });
    });
    after(async () => {
      try {
        if (srv) {
          const r = await stopServer(srv);
          assert.equal(r.code, 0, `serve exit on SIGTERM: ${JSON.stringify(r)}`);
          const v = await verify(db.url);
          assert.equal(v.code, 0, `verify: ${v.stdout}${v.stderr}`);
        }
      } finally { if (db) await db.drop(); }
    });

    it('Tokens: authorize twice gives different tokens; a bad key gives invalid_client', async () => {
      const a = await api.authorize();
      const b = await api.authorize();
      assert.ok(a.access_token && b.access_token);
      assert.notEqual(a.access_token, b.access_token);
      assert.ok(a.expires_in > 60);
      assert.equal(api.buildOauthUrl ? api.buildOauthUrl().endsWith('/v2.01/oauth/token') : true, true);
      const bad = new mangopay({ clientId, clientApiKey: 'wrong-key', baseUrl: srv.base, errorHandler: () => {} });
      const err = await failure(bad.authorize());
      assert.equal(err.error, 'invalid_client', JSON.stringify(err));
    });

    it('Users: natural create / get / getNatural / update', async () => {
      const sent = naturalUser();
      john = await api.Users.create(sent);
      assert.ok(john.Id);
      assert.equal(john.PersonType, 'NATURAL');
      assert.equal(john.FirstName, 'John NodejsSDK');
      assert.equal(john.UserCategory, 'OWNER');
      const got = await api.Users.get(john.Id);
      const plain = JSON.parse(JSON.stringify(john));
      for (const [k, v] of Object.entries(omit(plain, 'Address', 'data'))) assert.deepEqual(got[k], v, `field ${k}`);
      const nat = await api.Users.getNatural(john.Id);
      assert.equal(nat.Id, john.Id);
      john.LastName += ' - CHANGED';
      const upd = await api.Users.update(john);
      assert.equal(upd.LastName, 'Doe NodejsSDK - CHANGED');
      const err = await failure(api.Users.getLegal(john.Id));
      assert.ok(err.errors, `getLegal on a natural user: ${JSON.stringify(err)}`);
    });

    it('Users: legal create / get / getLegal', async () => {
      matrix = await api.Users.create(legalUser());
      assert.ok(matrix.Id);
      assert.equal(matrix.PersonType, 'LEGAL');
      assert.equal(matrix.UserCategory, 'OWNER');
      const got = await api.Users.get(matrix.Id);
      assert.equal(got.Id, matrix.Id);
      assert.equal(got.Name, 'MartixSampleOrg_NodejsSDK');
      const leg = await api.Users.getLegal(matrix.Id);
      assert.equal(leg.LegalPersonType, 'BUSINESS');
      const err = await failure(api.Users.getNatural(matrix.Id));
      assert.ok(err.errors, `getNatural on a legal user: ${JSON.stringify(err)}`);
      const empty = await failure(api.Users.create({ PersonType: 'LEGAL' }));
      assert.ok(empty.errors, `empty legal user: ${JSON.stringify(empty)}`);
    });

    it('Wallets: create / get / update (Description vs description) / getTransactions', async () => {
      wallet = await api.Wallets.create({ Owners: [john.Id], Currency: 'EUR', Description: 'WALLET IN EUR' });
      assert.ok(wallet.Id);
      assert.equal(wallet.Balance.Amount, 0);
      assert.equal(wallet.Currency, 'EUR');
      assert.equal(wallet.Owners[0], john.Id);
      const got = await api.Wallets.get(wallet.Id);
      assert.equal(got.Id, wallet.Id);
      assert.equal(got.CreationDate, wallet.CreationDate);
      // as the SDK test "Save" does: the merged object, with a lower-case description too
      wallet.Description = 'New description to test';
      wallet.description = 'New description to test - lower';
      const saved = await api.Wallets.update(wallet);
      assert.equal(saved.Description, 'New description to test - lower');
      const full = await api.Wallets.getTransactions(wallet.Id, { resolveWithFullResponse: true, parameters: { page: 1, per_page: 10 } });
      assert.equal(full.status, 200);
      assert.ok(Array.isArray(full.body));
      assert.ok(full.headers['x-number-of-pages'] !== undefined && full.headers['x-number-of-items'] !== undefined, 'pagination headers');
      const list = await api.Wallets.getTransactions(wallet.Id);
      assert.ok(Array.isArray(list));
    });

    let intent;
    it('PayIns: intent create (SDK test fixture) / get', async () => {
      intent = await api.PayIns.createPayInIntentAuthorization({
        Amount: 1000, Currency: 'EUR', ExternalData: externalData(), Buyer: { Id: john.Id },
        LineItems: [{ Seller: { WalletId: wallet.Id, AuthorId: john.Id, TransferDate: 1728133765 }, Sku: 'item-123456', Quantity: 1, UnitAmount: 1000 }],
      });
      assert.ok(intent.Id);
      assert.equal(intent.Status, 'AUTHORIZED');
      assert.ok(intent.LineItems[0].Id);
      const got = await api.PayIns.getPayInIntent(intent.Id);
      assert.equal(got.Id, intent.Id);
      assert.equal(got.Status, intent.Status);
    });

    it('PayIns: full capture → CAPTURED with Capture.Id', async () => {
      const c = await api.PayIns.createPayInIntentFullCapture(intent.Id, { ExternalData: externalData() });
      assert.equal(c.Status, 'CAPTURED');
      assert.ok(c.Capture?.Id);
      assert.ok(c.LineItems[0].Id);
      assert.equal(c.LineItems[0].TotalLineItemAmount, 1000);
      assert.equal(c.AvailableAmountToSplit, 1000);
      const got = await api.PayIns.getPayInIntent(intent.Id);
      assert.equal(got.Status, 'CAPTURED');
    });

    it('PayIns: partial captures (600 of 1000 → PARTIALLY_CAPTURED, then 400 → CAPTURED)', async () => {
      const i = await api.PayIns.createPayInIntentAuthorization({
        Amount: 1000, Currency: 'EUR', ExternalData: externalData(),
        LineItems: [{ Seller: { WalletId: wallet.Id, AuthorId: john.Id }, Sku: 'item-1', Quantity: 1, UnitAmount: 1000 }],
      });
      const p1 = await api.PayIns.createPayInIntentPartialCapture(i.Id, {
        Amount: 600, Currency: 'EUR', ExternalData: externalData(), LineItems: [{ Id: i.LineItems[0].Id, Amount: 600 }],
      });
      assert.equal(p1.Status, 'PARTIALLY_CAPTURED');
      assert.ok(p1.Capture?.Id);
      const over = await failure(api.PayIns.createPayInIntentPartialCapture(i.Id, {
        Amount: 401, Currency: 'EUR', ExternalData: externalData(), LineItems: [{ Id: i.LineItems[0].Id, Amount: 401 }],
      }));
      assert.equal(over.Type, 'param_error', JSON.stringify(over));
      assert.ok(over.Errors, JSON.stringify(over));
      const p2 = await api.PayIns.createPayInIntentPartialCapture(i.Id, {
        Amount: 400, Currency: 'EUR', ExternalData: externalData(), LineItems: [{ Id: i.LineItems[0].Id, Amount: 400 }],
      });
      assert.equal(p2.Status, 'CAPTURED');
      const got = await api.PayIns.getPayInIntent(i.Id);
      assert.equal(got.Status, 'CAPTURED');
      assert.equal(got.LineItems[0].CapturedAmount, 1000);
    });

    it('PayIns: full cancel → CANCELLED', async () => {
      const i = await api.PayIns.createPayInIntentAuthorization({
        Amount: 1000, Currency: 'EUR', ExternalData: externalData(),
        LineItems: [{ Seller: { WalletId: wallet.Id, AuthorId: john.Id }, Sku: 'item-2', Quantity: 1, UnitAmount: 1000 }],
      });
      const c = await api.PayIns.fullCancelPayInIntent(i.Id, { ExternalData: { ExternalProcessingDate: 1728133765, ExternalProviderReference: 'cancel' } });
      assert.equal(c.Status, 'CANCELLED');
      assert.ok(c.Cancel?.Id);
      const got = await api.PayIns.getPayInIntent(i.Id);
      assert.equal(got.Status, 'CANCELLED');
    });

    it('PayIns: partial cancel (fee pro rata), then capture of the rest', async () => {
      const i = await api.PayIns.createPayInIntentAuthorization({
        Amount: 1500, Currency: 'EUR', PlatformFeesAmount: 150, ExternalData: externalData(),
        LineItems: [
          { Seller: { WalletId: wallet.Id, AuthorId: john.Id, FeesAmount: 100 }, Sku: 'a', Quantity: 1, UnitAmount: 1000 },
          { Seller: { WalletId: wallet.Id, AuthorId: john.Id, FeesAmount: 50 }, Sku: 'b', Quantity: 1, UnitAmount: 500 },
        ],
      });
      const [l1, l2] = i.LineItems.map((l) => l.Id);
      const c = await api.PayIns.partialCancelPayInIntent(i.Id, { Amount: 333, Currency: 'EUR', LineItems: [{ Id: l1, Amount: 333 }] });
      assert.equal(c.Status, 'AUTHORIZED');
      assert.ok(c.Cancel?.Id);
      const got = await api.PayIns.getPayInIntent(i.Id);
      const line1 = got.LineItems.find((l) => l.Id === l1);
      assert.equal(line1.CancelledAmount ?? line1.CanceledAmount, 333);
      assert.equal(line1.Seller.FeesAmount, 67);
      assert.equal(got.PlatformFeesAmount, 117);
      const cap = await api.PayIns.createPayInIntentPartialCapture(i.Id, {
        Amount: 1167, Currency: 'EUR', ExternalData: externalData(), LineItems: [{ Id: l1, Amount: 667 }, { Id: l2, Amount: 500 }],
      });
      assert.equal(cap.Status, 'CAPTURED');
      const late = await failure(api.PayIns.partialCancelPayInIntent(i.Id, { Amount: 1, LineItems: [{ Id: l2, Amount: 1 }] }));
      assert.equal(late.Type, 'param_error', JSON.stringify(late));
    });

    it('Clients: get / update / client wallets / by funds type / one / transactions', async () => {
      const client = await api.Clients.get();
      assert.equal(client.ClientId, clientId);
      assert.ok(client.Licensor);
      const upd = await api.Clients.update({ PrimaryButtonColour: '#afafaf', PrimaryThemeColour: '#bababa', HeadquartersPhoneNumber: '+33123456789' });
      assert.equal(upd.PrimaryButtonColour, '#afafaf');
      assert.equal(upd.PrimaryThemeColour, '#bababa');
      assert.equal(upd.HeadquartersPhoneNumber, '+33123456789');
      const all = await api.Clients.getClientWallets();
      assert.ok(Array.isArray(all) && all.length >= 2, JSON.stringify(all));
      assert.ok(all.some((w) => w.Id === 'FEES_EUR') && all.some((w) => w.Id === 'CREDIT_EUR'));
      const fees = await api.Clients.getClientWalletsByFundsType('FEES');
      assert.ok(fees.length >= 1 && fees.every((w) => w.FundsType === 'FEES'));
      const one = await api.Clients.getClientWallet('FEES', 'EUR');
      assert.equal(one.Id, 'FEES_EUR');
      assert.equal(one.Balance.Currency, 'EUR');
      const tx = await api.Clients.getClientWalletTransactions(all[0].FundsType, all[0].Currency);
      assert.ok(Array.isArray(tx));
      // Empty until splits move fees into FEES_<CUR> (a later issue); the SDK's own suite seeds one.
      assert.equal(tx.length, 0, `clientWallets[0] (${all[0].Id}) has no transaction yet`);
    });

    it('Rate limits: the SDK parsed 4 windows from the headers', async () => {
      await api.Clients.get();
      assert.ok(Array.isArray(api.rateLimits) && api.rateLimits.length === 4, JSON.stringify(api.rateLimits));
      assert.deepEqual(api.rateLimits.map((r) => r.minutesInterval), [15, 30, 60, 1440]);
      for (const r of api.rateLimits) { assert.ok(r.callsMade > 0); assert.ok(r.callsRemaining > 0); }
    });

    it('Idempotency: withIdempotency + Idempotency.get', async () => {
      const key = `sdk-${rand(10)}`;
      const w = await api.Wallets.create({ Owners: [matrix.Id], Currency: 'EUR', Description: 'idem' }, { headers: { 'Idempotency-Key': key } });
      const resp = await api.Idempotency.get(key);
      assert.equal(resp.StatusCode, '200');
      assert.equal(resp.Resource.Id, w.Id);
    });
  });
}

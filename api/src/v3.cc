// V3.0 Echo intents (echo-api §7, §8.1–8.3, §10.1–10.4): create (incl. mixed basket), get,
// captures, cancel. Parsing and validation run on the worker thread; the ledger operation and
// the rendering (needed inside for idempotency records) run in one sequencer command.
// Every amount shown comes from DeriveIntent (the ledger), not from the Intent struct.
#include <cstring>

#include "dialects.h"
#include "splitledger/core/ids.h"
#include "splitledger/core/intent.h"
#include "splitledger/ledger/intent_ops.h"

namespace splitledger::api {
namespace {

constexpr const char* kProviders[] = {
    "ADYEN", "BANKART", "BBVA", "BRAINTREE", "BUCKAROO", "CAIXA", "CETELEM", "CHECKOUT",
    "HIPAY", "INGENICO", "KLARNA", "MANGOPAY", "MARKETPAY", "MINSAIT_PAYMENTS", "MOLLIE",
    "MONEXT", "NUVEI", "ONEY", "PAYLINE", "PAYPAL", "PAYPLUG", "PPRO", "RAPYD", "REDSYS",
    "SEQURA", "SIPS", "STRIPE", "WORLDLINE", "WORLDPAY"};

// Sentence-case display name of a supported provider ("stripe" → "Stripe"), or empty.
std::string ProviderDisplayName(std::string_view name) {
  for (const char* p : kProviders) {
    if (IEquals(name, p)) {
      std::string out = ToLower(p);
      out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
      return out;
    }
  }
  return {};
}

void BindExternal(Binder& b, const JValue& obj, bool create, ExternalData* out) {
  const std::string path = "ExternalData";
  out->present = true;
  if (auto v = b.Int(obj, "ExternalProcessingDate", create, path)) out->processing_date = *v;
  if (auto v = b.Str(obj, "ExternalProviderReference", create, path)) out->provider_reference = *v;
  if (auto v = b.Str(obj, "ExternalMerchantReference", false, path)) out->merchant_reference = *v;
  if (auto v = b.Str(obj, "ExternalProviderPaymentMethod", false, path)) out->payment_method = *v;
  if (auto v = b.Str(obj, "ExternalProviderName", create, path)) {
    std::string display = ProviderDisplayName(*v);
    if (display.empty()) {
      b.Add(path + ".ExternalProviderName", "Unsupported ExternalProviderName '" + *v + "'.");
    } else {
      out->provider_name = display;
    }
  }
}

// --- rendering -------------------------------------------------------------------------------

void WriteExternal(JWriter& w, const ExternalData& e) {
  w.StartObject();
  WKey(w, "ExternalProcessingDate");
  if (e.present) w.Int64(e.processing_date); else w.Null();
  WKey(w, "ExternalProviderReference"); WStrOrNull(w, e.provider_reference);
  WKey(w, "ExternalMerchantReference"); WStrOrNull(w, e.merchant_reference);
  WKey(w, "ExternalProviderName"); WStrOrNull(w, e.provider_name);
  WKey(w, "ExternalProviderPaymentMethod"); WStrOrNull(w, e.payment_method);
  w.EndObject();
}

void WriteIntent(JWriter& w, const ledger::Book& book, const Intent& in, const char* action_key,
                 const std::string& action_id) {
  ledger::IntentFigures fig = ledger::DeriveIntent(book, in);
  w.StartObject();
  WKey(w, "Id"); WStr(w, in.id);
  WKey(w, "Amount"); w.Int64(fig.amount);
  WKey(w, "AvailableAmountToSplit"); w.Int64(fig.available_to_split);
  WKey(w, "UnfundedAmount"); w.Int64(in.unfunded_amount);
  WKey(w, "Currency"); WStr(w, in.currency);
  WKey(w, "PlatformFeesAmount"); w.Int64(fig.platform_fees);
  WKey(w, "Status"); WStr(w, IntentStatusName(in.status));
  if (const char* next = IntentNextActions(in.status)) {
    WKey(w, "NextActions"); WStr(w, next);
  }
  WKey(w, "ExternalData"); WriteExternal(w, in.external);
  WKey(w, "Buyer");
  if (in.buyer_id.empty()) {
    w.Null();
  } else {
    w.StartObject(); WKey(w, "Id"); WStr(w, in.buyer_id); w.EndObject();
  }
  WKey(w, "LineItems");
  w.StartArray();
  for (size_t i = 0; i < in.lines.size(); ++i) {
    const LineItem& l = in.lines[i];
    const ledger::LineFigures& f = fig.lines[i];
    w.StartObject();
    WKey(w, "Id"); WStr(w, l.id);
    WKey(w, "Seller");
    w.StartObject();
    WKey(w, "AuthorId"); WStrOrNull(w, l.input.seller.author_id);
    WKey(w, "WalletId"); WStrOrNull(w, l.input.seller.wallet_id);
    WKey(w, "FeesAmount"); w.Int64(f.fee);
    WKey(w, "TransferDate");
    if (l.input.seller.transfer_date) w.Int64(*l.input.seller.transfer_date); else w.Null();
    w.EndObject();
    WKey(w, "Sku"); WStrOrNull(w, l.input.sku);
    WKey(w, "Name"); WStrOrNull(w, l.input.name);
    WKey(w, "Description"); WStrOrNull(w, l.input.description);
    WKey(w, "Category"); WStrOrNull(w, l.input.category);
    WKey(w, "Quantity"); w.Int64(l.input.quantity);
    WKey(w, "UnitAmount"); w.Int64(l.input.unit_amount);
    WKey(w, "TaxAmount"); w.Int64(l.input.tax_amount);
    WKey(w, "DiscountAmount"); w.Int64(l.input.discount_amount);
    WKey(w, "ShippingAddress");
    if (l.input.shipping_address_json.empty()) w.Null(); else WRaw(w, l.input.shipping_address_json);
    WKey(w, "TotalLineItemAmount"); w.Int64(f.total);
    WKey(w, "CapturedAmount"); w.Int64(f.captured);
    WKey(w, "RefundedAmount"); w.Int64(l.refunded);
    WKey(w, "DisputedAmount"); w.Int64(l.disputed);
    WKey(w, "SplitAmount"); w.Int64(l.split);
    WKey(w, "CancelledAmount"); w.Int64(f.cancelled);
    WKey(w, "CanceledAmount"); w.Int64(f.cancelled);
    WKey(w, "UnfundedSellerAmount"); w.Int64(0);
    w.EndObject();
  }
  w.EndArray();
  WKey(w, "Captures");
  w.StartArray();
  for (const ActionRecord& a : in.actions) {
    if (a.kind != ActionKind::kCapture) continue;
    w.StartObject();
    WKey(w, "Id"); WStr(w, a.id);
    WKey(w, "CreationDate"); w.Int64(a.created_at);
    WKey(w, "ExecutionDate"); w.Int64(a.created_at);
    WKey(w, "Amount"); w.Int64(a.amount);
    WKey(w, "Status"); WStr(w, a.status);
    WKey(w, "LineItems");
    w.StartArray();
    for (const ActionLine& al : a.lines) {
      w.StartObject();
      WKey(w, "Id"); WStr(w, al.line_index < in.lines.size() ? in.lines[al.line_index].id : "");
      WKey(w, "Amount"); w.Int64(al.amount);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  WKey(w, "Refunds"); w.StartArray(); w.EndArray();
  WKey(w, "Disputes"); w.StartArray(); w.EndArray();
  WKey(w, "Splits"); w.StartArray(); w.EndArray();
  WKey(w, "SettlementId"); w.Null();
  WKey(w, "CreationDate"); w.Int64(in.created_at);
  WKey(w, "ExecutionDate"); w.Int64(in.execution_date != 0 ? in.execution_date : in.created_at);
  if (action_key != nullptr) {
    WKey(w, action_key);
    w.StartObject(); WKey(w, "Id"); WStr(w, action_id); w.EndObject();
  }
  w.EndObject();
}

std::string RenderIntent(const ledger::Book& book, const Intent& in, const char* action_key = nullptr,
                         const std::string& action_id = {}) {
  rapidjson::StringBuffer sb;
  JWriter w(sb);
  WriteIntent(w, book, in, action_key, action_id);
  return std::string(sb.GetString(), sb.GetSize());
}

Reply V3Error(const ApiError& e) { return ErrorReply(Dialect::kV3, e); }
Reply V3Status(const Status& st) { return ErrorReply(Dialect::kV3, ErrorFromStatus(st)); }

// --- create ----------------------------------------------------------------------------------

Reply Create(App& app, Request& req) {
  rapidjson::Document d;
  if (Status st = ParseJsonObject(req.body, &d); !st.ok()) return V3Status(st);
  Binder b;
  CreateIntentInput in;
  in.amount = b.Amount(d, "Amount", true);
  if (auto cur = b.Str(d, "Currency", true)) {
    if (FindCurrency(*cur) == nullptr) b.Add("Currency", "Unknown currency '" + *cur + "'.");
    in.currency = *cur;
  }
  in.platform_fees = b.Amount(d, "PlatformFeesAmount", false);
  if (auto v = b.Amount(d, "UnfundedAmount", false)) in.unfunded_amount = *v;
  if (const JValue* ext = b.Obj(d, "ExternalData", true)) BindExternal(b, *ext, true, &in.external);
  if (const JValue* buyer = b.Obj(d, "Buyer", false)) {
    if (auto v = b.Str(*buyer, "Id", false, "Buyer")) in.buyer_id = *v;
  }
  if (const JValue* lines = b.Arr(d, "LineItems", true)) {
    if (lines->Size() == 0) b.Add("LineItems", "At least one line item is required.");
    if (lines->Size() > kMaxLineItems) {
      b.Add("LineItems", "A maximum of " + std::to_string(kMaxLineItems) + " line items can be created per Intent.");
    } else {
      for (rapidjson::SizeType i = 0; i < lines->Size(); ++i) {
        const JValue& li = (*lines)[i];
        std::string path = "LineItems[" + std::to_string(i) + "]";
        if (!li.IsObject()) {
          b.Add(path, "A line item must be an object.");
          continue;
        }
        LineItemInput l;
        if (const JValue* s = b.Obj(li, "Seller", true, path)) {
          std::string sp = path + ".Seller";
          if (auto v = b.Str(*s, "AuthorId", false, sp)) l.seller.author_id = *v;
          if (auto v = b.Str(*s, "WalletId", false, sp)) l.seller.wallet_id = *v;
          if (auto v = b.Amount(*s, "FeesAmount", false, sp)) l.seller.fees_amount = *v;
          if (auto v = b.Int(*s, "TransferDate", false, sp)) l.seller.transfer_date = *v;
          if (l.seller.author_id.empty() && l.seller.wallet_id.empty()) {
            b.Add(sp, "At least one of Seller.AuthorId and Seller.WalletId is required.");
          }
        }
        if (auto v = b.Str(li, "Sku", true, path)) l.sku = *v;
        if (auto v = b.Str(li, "Name", false, path)) l.name = *v;
        if (auto v = b.Str(li, "Description", false, path)) l.description = *v;
        if (auto v = b.Str(li, "Category", false, path)) l.category = *v;
        if (auto v = b.Amount(li, "Quantity", true, path)) {
          if (*v < 1) b.Add(path + ".Quantity", "The Quantity field must be at least 1.");
          l.quantity = *v;
        }
        if (auto v = b.Amount(li, "UnitAmount", true, path)) l.unit_amount = *v;
        if (auto v = b.Amount(li, "TaxAmount", false, path)) l.tax_amount = *v;
        if (auto v = b.Amount(li, "DiscountAmount", false, path)) l.discount_amount = *v;
        if (const JValue* a = b.Obj(li, "ShippingAddress", false, path)) l.shipping_address_json = ToJson(*a);
        in.lines.push_back(std::move(l));
      }
    }
  }
  if (!b.ok()) return V3Error(ParamError(b.errors()));

  const std::string& client = req.client_id;
  return RunCommand(app, req, [&](ledger::CommandContext& ctx) -> Reply {
    ledger::State& st = ctx.state();
    // Seller wallets must be wallets of this client in the intent's currency (or its own
    // FEES_/CREDIT_ wallets for 1P items).
    for (size_t i = 0; i < in.lines.size(); ++i) {
      const std::string& wid = in.lines[i].seller.wallet_id;
      if (wid.empty()) continue;
      std::string field = "LineItems[" + std::to_string(i) + "].Seller.WalletId";
      if (wid == "FEES_" + in.currency || wid == "CREDIT_" + in.currency) continue;
      const ledger::Document* doc = st.FindDocument("wallet", wid);
      if (doc == nullptr || doc->client_id != client) return V3Error(ParamError(field, "Wallet not found."));
      if (doc->body.find("\"Currency\":\"" + in.currency + "\"") == std::string::npos) {
        return V3Error(ParamError(field, "The wallet currency differs from the Intent currency."));
      }
    }
    auto r = ledger::CreateIntent(st, client, in, req.now_ms);
    if (!r.ok()) return V3Status(r.status());
    EnsureClientCurrency(st, client, in.currency, req.now_ms / 1000);
    if (!r->added_to_existing) st.AddEvent(client, "INTENT_AUTHORIZED", r->intent->id, req.now_ms / 1000);
    return JsonReply(RenderIntent(st.book(), *r->intent));
  });
}

// --- capture / cancel ------------------------------------------------------------------------

bool BindAction(const std::string& body, bool cancel, ActionInput* out, FieldErrors* errors,
                Status* parse_error) {
  bool blank = true;
  for (char c : body) {
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') { blank = false; break; }
  }
  if (blank) return true;  // full action
  rapidjson::Document d;
  if (Status st = ParseJsonObject(body, &d); !st.ok()) {
    *parse_error = st;
    return false;
  }
  Binder b;
  if (const JValue* ext = b.Obj(d, "ExternalData", false)) BindExternal(b, *ext, false, &out->external);
  const JValue* lines = b.Arr(d, "LineItems", false);
  if (lines != nullptr) {
    out->partial = true;
    out->amount = b.Amount(d, "Amount", false);
    if (auto cur = b.Str(d, "Currency", false)) {
      if (FindCurrency(*cur) == nullptr) b.Add("Currency", "Unknown currency '" + *cur + "'.");
      out->currency = *cur;
    }
    out->platform_fees = b.Amount(d, "PlatformFeesAmount", false);
    if (cancel && !out->platform_fees) out->platform_fees = b.Amount(d, "PlatformFees", false);
    if (lines->Size() == 0) b.Add("LineItems", "At least one line item is required.");
    if (lines->Size() > kMaxLineItems) {
      b.Add("LineItems", "At most " + std::to_string(kMaxLineItems) + " line items are allowed.");
    } else {
      for (rapidjson::SizeType i = 0; i < lines->Size(); ++i) {
        const JValue& li = (*lines)[i];
        std::string path = "LineItems[" + std::to_string(i) + "]";
        if (!li.IsObject()) {
          b.Add(path, "A line item must be an object.");
          continue;
        }
        LineAmountInput l;
        if (auto v = b.Str(li, "Id", true, path)) l.line_item_id = *v;
        if (auto v = b.Amount(li, "Amount", true, path)) l.amount = *v;
        if (cancel) {
          l.fees_amount = b.Amount(li, "FeesAmount", false, path);
          if (!l.fees_amount) {
            if (const JValue* s = b.Obj(li, "Seller", false, path)) {
              l.fees_amount = b.Amount(*s, "FeesAmount", false, path + ".Seller");
            }
          }
        }
        out->lines.push_back(std::move(l));
      }
    }
  }
  if (!b.ok()) {
    *errors = b.errors();
    return false;
  }
  return true;
}

Reply Action(App& app, Request& req, const std::string& intent_id, bool cancel) {
  ActionInput in;
  FieldErrors errors;
  Status parse_error;
  if (!BindAction(req.body, cancel, &in, &errors, &parse_error)) {
    if (!parse_error.ok()) return V3Status(parse_error);
    return V3Error(ParamError(std::move(errors)));
  }
  const std::string& client = req.client_id;
  return RunCommand(app, req, [&](ledger::CommandContext& ctx) -> Reply {
    ledger::State& st = ctx.state();
    auto r = cancel ? ledger::CancelIntent(st, client, intent_id, in, req.now_ms)
                    : ledger::CaptureIntent(st, client, intent_id, in, req.now_ms);
    if (!r.ok()) return V3Status(r.status());
    if (!cancel) st.AddEvent(client, "INTENT_CAPTURED", intent_id, req.now_ms / 1000);
    return JsonReply(RenderIntent(st.book(), *r->intent, cancel ? "Cancel" : "Capture", r->action_id));
  });
}

Reply Get(App& app, Request& req, const std::string& intent_id) {
  const std::string& client = req.client_id;
  return RunCommand(app, req, [&](ledger::CommandContext& ctx) -> Reply {
    const Intent* in = ctx.state().FindIntent(client, intent_id);
    if (in == nullptr) return V3Error(NotFoundError("IntentId", "Intent not found"));
    return JsonReply(RenderIntent(ctx.state().book(), *in));
  });
}

Reply MethodNotAllowed() {
  ApiError e;
  e.status = 405;
  e.type = "method_not_allowed";
  e.message = "The requested method is not allowed on this resource";
  return V3Error(e);
}

}  // namespace

Reply HandleV3(App& app, Request& req) {
  const auto& s = req.segs;
  if (s.size() < 2 || !IEquals(s[0], "payins") || !IEquals(s[1], "intents")) {
    return V3Error(NotFoundError("Path", "Unknown route"));
  }
  const std::string& m = req.method;
  if (s.size() == 2) {
    req.route = "/V3.0/{ClientId}/payins/intents";
    return m == "POST" ? Create(app, req) : MethodNotAllowed();
  }
  if (s.size() == 3) {
    req.route = "/V3.0/{ClientId}/payins/intents/{IntentId}";
    return m == "GET" ? Get(app, req, s[2]) : MethodNotAllowed();
  }
  if (s.size() == 4 && IEquals(s[3], "captures")) {
    req.route = "/V3.0/{ClientId}/payins/intents/{IntentId}/captures";
    return m == "POST" ? Action(app, req, s[2], false) : MethodNotAllowed();
  }
  if (s.size() == 4 && IEquals(s[3], "cancel")) {
    req.route = "/V3.0/{ClientId}/payins/intents/{IntentId}/cancel";
    return m == "POST" ? Action(app, req, s[2], true) : MethodNotAllowed();
  }
  return V3Error(NotFoundError("Path", "Unknown route"));
}

}  // namespace splitledger::api

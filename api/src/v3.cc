// V3.0 Echo intents (echo-api §7, §8.1–8.5, §10.1–10.4, §10.6–10.7): create (incl. mixed
// basket), get, captures, cancel, refunds and their reversals, disputes and their decisions. Translators only: JSON → command (ids chosen here), outcome → JSON.
#include <charconv>
#include <cstring>

#include "dialects.h"
#include "splitledger/core/ids.h"
#include "splitledger/core/intent.h"
#include "echo.h"
#include "settlements.h"

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

// Which ExternalData fields a request must carry (§7.3): all three on create; the date and the
// reference on refunds, reversals and disputes; none on captures and cancels.
enum class ExternalNeeds { kNothing, kDateAndReference, kAll };

void BindExternal(Binder& b, const JValue& obj, ExternalNeeds needs, ExternalData* out) {
  const std::string path = "ExternalData";
  const bool create = needs == ExternalNeeds::kAll;
  const bool dated = needs != ExternalNeeds::kNothing;
  out->present = true;
  if (auto v = b.Int(obj, "ExternalProcessingDate", dated, path)) out->processing_date = *v;
  if (auto v = b.Str(obj, "ExternalProviderReference", dated, path)) out->provider_reference = *v;
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


Reply IntentReply(const Request& req, const service::Outcome& o) {
  if (!o.ok()) return RequestError(Dialect::kV3, req, o);
  return IntentSnapshotReply(Dialect::kV3, std::get<service::IntentSnapshot>(o.value));
}

// --- create ----------------------------------------------------------------------------------

Answer Create(App& app, Request& req) {
  rapidjson::Document d;
  if (Status st = ParseJsonObject(req.body, &d); !st.ok()) return RefuseRequest(app, Dialect::kV3, req, st);
  Binder b;
  CreateIntentInput in;
  in.amount = b.Amount(d, "Amount", true);
  if (auto cur = b.Str(d, "Currency", true)) {
    if (FindCurrency(*cur) == nullptr) b.Add("Currency", "Unknown currency '" + *cur + "'.");
    in.currency = *cur;
  }
  in.platform_fees = b.Amount(d, "PlatformFeesAmount", false);
  if (auto v = b.Amount(d, "UnfundedAmount", false)) in.unfunded_amount = *v;
  if (const JValue* ext = b.Obj(d, "ExternalData", true)) BindExternal(b, *ext, ExternalNeeds::kAll, &in.external);
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
  if (!b.ok()) return RefuseRequest(app, Dialect::kV3, req, Status::Invalid("invalid"), b.errors());

  service::CreateIntent cmd;
  cmd.intent_id = NewId(id_prefix::kIntent, req.now_ms);
  for (size_t i = 0; i < in.lines.size(); ++i) cmd.line_ids.push_back(NewId(id_prefix::kLineItem, req.now_ms));
  *cmd.input = std::move(in);
  return Deferred{std::move(cmd), IntentReply};
}

// --- captures, cancels, refunds, reversals, disputes -----------------------------------------

// What an action body may carry beyond `{Amount, Currency, ExternalData, LineItems[{Id, Amount}]}`.
enum class ActionBody {
  kCapture,    // ExternalData optional
  kCancel,     // fee parts (PlatformFees / PlatformFeesAmount, line FeesAmount); ExternalData optional
  kRefund,     // fee parts; ExternalData required (date and reference)
  kReverse,    // ExternalData required
  kDispute,    // ExternalData required
};

bool BindAction(const std::string& body, ActionBody kind, ActionInput* out, FieldErrors* errors,
                Status* parse_error) {
  const bool fee_parts = kind == ActionBody::kCancel || kind == ActionBody::kRefund;
  const bool needs_external =
      kind == ActionBody::kRefund || kind == ActionBody::kReverse || kind == ActionBody::kDispute;
  bool blank = true;
  for (char c : body) {
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') { blank = false; break; }
  }
  if (blank && !needs_external) return true;  // full action
  rapidjson::Document d;
  if (Status st = ParseJsonObject(blank ? std::string("{}") : body, &d); !st.ok()) {
    *parse_error = st;
    return false;
  }
  Binder b;
  if (const JValue* ext = b.Obj(d, "ExternalData", needs_external)) {
    BindExternal(b, *ext, needs_external ? ExternalNeeds::kDateAndReference : ExternalNeeds::kNothing,
                 &out->external);
  }
  const JValue* lines = b.Arr(d, "LineItems", false);
  if (lines != nullptr) {
    out->partial = true;
    out->amount = b.Amount(d, "Amount", false);
    if (auto cur = b.Str(d, "Currency", false)) {
      if (FindCurrency(*cur) == nullptr) b.Add("Currency", "Unknown currency '" + *cur + "'.");
      out->currency = *cur;
    }
    if (fee_parts) {
      out->platform_fees = b.Amount(d, "PlatformFeesAmount", false);
      if (!out->platform_fees) out->platform_fees = b.Amount(d, "PlatformFees", false);
    }
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
        if (fee_parts) {
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

// Binds the body as `kind` and runs the command `make(input)` builds.
template <class Make>
Answer Action(App& app, Request& req, ActionBody kind, Make make) {
  ActionInput in;
  FieldErrors errors;
  Status parse_error;
  if (!BindAction(req.body, kind, &in, &errors, &parse_error)) {
    if (!parse_error.ok()) return RefuseRequest(app, Dialect::kV3, req, parse_error);
    return RefuseRequest(app, Dialect::kV3, req, Status::Invalid("invalid"), errors);
  }
  return Deferred{make(std::move(in)), IntentReply};
}

Answer Capture(App& app, Request& req) {
  return Action(app, req, ActionBody::kCapture, [&](ActionInput in) {
    return service::CaptureIntent{req.params[0], std::move(in), NewId(id_prefix::kCapture, req.now_ms)};
  });
}
Answer Cancel(App& app, Request& req) {
  return Action(app, req, ActionBody::kCancel, [&](ActionInput in) {
    return service::CancelIntent{req.params[0], std::move(in), NewId(id_prefix::kCancel, req.now_ms)};
  });
}
Answer Refund(App& app, Request& req) {
  return Action(app, req, ActionBody::kRefund, [&](ActionInput in) {
    return service::RefundIntent{req.params[0], std::move(in), NewId(id_prefix::kRefund, req.now_ms)};
  });
}
Answer ReverseRefund(App& app, Request& req) {
  return Action(app, req, ActionBody::kReverse, [&](ActionInput in) {
    return service::ReverseRefund{req.params[0], req.params[1], std::move(in),
                                  NewId(id_prefix::kRefundReversal, req.now_ms)};
  });
}
Answer Dispute(App& app, Request& req) {
  return Action(app, req, ActionBody::kDispute, [&](ActionInput in) {
    return service::DisputeCapture{req.params[0], req.params[1], std::move(in),
                                   NewId(id_prefix::kDispute, req.now_ms)};
  });
}

Answer Decide(App& app, Request& req) {
  rapidjson::Document d;
  if (Status st = ParseJsonObject(req.body, &d); !st.ok()) return RefuseRequest(app, Dialect::kV3, req, st);
  Binder b;
  service::DecideDispute cmd{req.params[0], req.params[1], req.params[2]};
  if (auto v = b.Str(d, "Decision", true)) {
    if (auto decision = ParseDisputeDecision(*v)) {
      cmd.decision = *decision;
    } else {
      b.Add("Decision", "Decision must be one of DEFENDED, DISPUTED_WON, DISPUTED_LOST.");
    }
  }
  if (!b.ok()) return RefuseRequest(app, Dialect::kV3, req, Status::Invalid("invalid"), b.errors());
  return Deferred{std::move(cmd), IntentReply};
}

Answer Get(App&, Request& req) { return Deferred{service::GetIntent{req.params[0]}, IntentReply}; }

// --- splits (§10.5) ---------------------------------------------------------------------------

// An amount given as a JSON integer or a numeric string (the SDK's typings say string).
std::optional<Amount> AmountOrString(Binder& b, const JValue& obj, const char* name, bool required,
                                     const std::string& path = {}) {
  auto it = obj.FindMember(name);
  if (it != obj.MemberEnd() && it->value.IsString()) {
    std::string text(it->value.GetString(), it->value.GetStringLength());
    int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty() || v < 0) {
      b.Add((path.empty() ? "" : path + ".") + name, std::string(name) + " must be an integer amount.");
      return std::nullopt;
    }
    return v;
  }
  return b.Amount(obj, name, required, path);
}

Reply SplitReply(const Request& req, const service::Outcome& o) {
  if (!o.ok()) return RequestError(Dialect::kV3, req, o);
  if (const auto* l = std::get_if<service::SplitList>(&o.value)) return JsonReply(RenderSplitList(*l));
  return JsonReply(RenderSplit(std::get<service::SplitView>(o.value)));
}

Answer CreateSplits(App& app, Request& req) {
  rapidjson::Document d;
  if (Status st = ParseJsonObject(req.body, &d); !st.ok()) return RefuseRequest(app, Dialect::kV3, req, st);
  Binder b;
  service::CreateSplits cmd;
  cmd.intent_id = req.params[0];
  if (const JValue* list = b.Arr(d, "Splits", true)) {
    if (list->Size() == 0) b.Add("Splits", "At least one split is required.");
    if (list->Size() > kMaxLineItems) {
      b.Add("Splits", "At most " + std::to_string(kMaxLineItems) + " splits per call.");
    } else {
      for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
        const JValue& item = (*list)[i];
        std::string path = "Splits[" + std::to_string(i) + "]";
        if (!item.IsObject()) {
          b.Add(path, "A split must be an object.");
          continue;
        }
        SplitInput in;
        if (auto v = b.Str(item, "LineItemId", true, path)) in.line_item_id = *v;
        if (auto v = AmountOrString(b, item, "SplitAmount", true, path)) in.amount = *v;
        in.fees = AmountOrString(b, item, "FeesAmount", false, path);
        in.transfer_date = b.Int(item, "TransferDate", false, path);
        if (auto v = b.Str(item, "Description", false, path)) in.description = *v;
        cmd.splits.push_back(std::move(in));
        cmd.split_ids.push_back(NewId(id_prefix::kSplit, req.now_ms));
      }
    }
  }
  if (!b.ok()) return RefuseRequest(app, Dialect::kV3, req, Status::Invalid("invalid"), b.errors());
  return Deferred{std::move(cmd), SplitReply};
}

Answer GetSplit(App&, Request& req) {
  return Deferred{service::GetSplit{req.params[0], req.params[1]}, SplitReply};
}

Answer UpdateSplit(App& app, Request& req) {
  rapidjson::Document d;
  if (Status st = ParseJsonObject(req.body, &d); !st.ok()) return RefuseRequest(app, Dialect::kV3, req, st);
  Binder b;
  service::UpdateSplit cmd{req.params[0], req.params[1], {}};
  if (auto v = b.Str(d, "LineItemId", true)) cmd.patch.line_item_id = *v;
  cmd.patch.amount = AmountOrString(b, d, "SplitAmount", false);
  cmd.patch.fees = AmountOrString(b, d, "FeesAmount", false);
  cmd.patch.transfer_date = b.Int(d, "TransferDate", false);
  cmd.patch.description = b.Str(d, "Description", false);
  if (!b.ok()) return RefuseRequest(app, Dialect::kV3, req, Status::Invalid("invalid"), b.errors());
  return Deferred{std::move(cmd), SplitReply};
}

Answer ExecuteSplit(App&, Request& req) {
  return Deferred{service::ExecuteSplit{req.params[0], req.params[1]}, SplitReply};
}

Answer ReverseSplit(App&, Request& req) {
  return Deferred{service::ReverseSplit{req.params[0], req.params[1]}, SplitReply};
}

}  // namespace

// The V3.0 routing table: intents here, settlements in settlements.cc.
const std::vector<Route>& V3Routes() {
  static const std::vector<Route> kRoutes = [] {
    std::vector<Route> routes = {
      {"POST", "payins/intents", Create},
      {"GET", "payins/intents/{IntentId}", Get},
      {"POST", "payins/intents/{IntentId}/captures", Capture},
      {"POST", "payins/intents/{IntentId}/cancel", Cancel},
      {"POST", "payins/intents/{IntentId}/refunds", Refund},
      {"POST", "payins/intents/{IntentId}/refunds/{RefundId}/reverse", ReverseRefund},
      // The SDK says `captures`, the docs `capture` (§15.4): both are routed.
      {"POST", "payins/intents/{IntentId}/captures/{CaptureId}/disputes", Dispute},
      {"POST", "payins/intents/{IntentId}/capture/{CaptureId}/disputes", Dispute},
      {"PUT", "payins/intents/{IntentId}/captures/{CaptureId}/disputes/{DisputeId}/decision", Decide},
      {"PUT", "payins/intents/{IntentId}/capture/{CaptureId}/disputes/{DisputeId}/decision", Decide},
      {"POST", "payins/intents/{IntentId}/splits", CreateSplits},
      {"GET", "payins/intents/{IntentId}/splits/{SplitId}", GetSplit},
      {"PUT", "payins/intents/{IntentId}/splits/{SplitId}", UpdateSplit},
      {"POST", "payins/intents/{IntentId}/splits/{SplitId}/execute", ExecuteSplit},
      {"POST", "payins/intents/{IntentId}/splits/{SplitId}/reverse", ReverseSplit},
    };
    for (const Route& r : SettlementRoutes()) routes.push_back(r);
    return routes;
  }();
  return kRoutes;
}

}  // namespace splitledger::api

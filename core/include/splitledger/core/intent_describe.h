// Describe() for the Intent aggregate and its figures (the visitor contract of entities.h), so
// that an intent snapshot has a binary form (codec.h) without a hand-written encoder.
#pragma once

#include "splitledger/core/entities.h"
#include "splitledger/core/intent.h"

namespace splitledger {

namespace describe_detail {
// Enums and sizes travel as int64.
template <class V, class E>
void AsInt(V& v, const char* name, E& e) {
  int64_t x = static_cast<int64_t>(e);
  v.Field(name, x);
  e = static_cast<E>(x);
}
// A vector of described elements: its size, then each element.
template <class V, class T>
void Each(V& v, const char* name, std::vector<T>& items) {
  int64_t n = static_cast<int64_t>(items.size());
  v.Field(name, n);
  if (n < 0 || n > (1 << 20)) n = 0;  // a corrupt size from a reader: stop, it reports failure
  items.resize(static_cast<size_t>(n));
  for (T& item : items) v.Nested(name, item);
}
}  // namespace describe_detail

template <class V>
void Describe(V& v, ExternalData& e) {
  v.Field("present", e.present);
  v.Field("processing_date", e.processing_date);
  v.Field("provider_reference", e.provider_reference);
  v.Field("merchant_reference", e.merchant_reference);
  v.Field("provider_name", e.provider_name);
  v.Field("payment_method", e.payment_method);
}

// A line's own fields, as stored and as snapshotted. Seller.FeesAmount as requested is not
// among them: it is fee_initial by construction, and readers restore it from there.
template <class V>
void Describe(V& v, LineItem& l) {
  v.Field("id", l.id);
  LineItemInput& s = l.input;
  v.Field("sku", s.sku);
  v.Field("name", s.name);
  v.Field("description", s.description);
  v.Field("category", s.category);
  v.Field("quantity", s.quantity);
  v.Field("unit_amount", s.unit_amount);
  v.Field("tax_amount", s.tax_amount);
  v.Field("discount_amount", s.discount_amount);
  v.Field("seller_author_id", s.seller.author_id);
  v.Field("seller_wallet_id", s.seller.wallet_id);
  v.Field("seller_transfer_date", s.seller.transfer_date);
  v.Field("shipping_address", s.shipping_address_json);
  v.Field("total", l.total);
  v.Field("fee_initial", l.fee_initial);
  v.Field("fee", l.fee);
  v.Field("captured", l.captured);
  v.Field("cancelled", l.cancelled);
  v.Field("refunded", l.refunded);
  v.Field("disputed", l.disputed);
  v.Field("split", l.split);
}

template <class V>
void Describe(V& v, ActionLine& a) {
  describe_detail::AsInt(v, "line_index", a.line_index);
  v.Field("amount", a.amount);
  v.Field("fee_removed", a.fee_removed);
  v.Field("fee_restored", a.fee_restored);
}

template <class V>
void Describe(V& v, ActionRecord& a) {
  describe_detail::AsInt(v, "kind", a.kind);
  v.Field("id", a.id);
  v.Field("created_at", a.created_at);
  v.Field("amount", a.amount);
  v.Field("status", a.status);
  describe_detail::Each(v, "lines", a.lines);
  v.Nested("ext_", a.external);
  v.Field("parent_id", a.parent_id);
  v.Field("updated_at", a.updated_at);
}

template <class V>
void Describe(V& v, Split& s) {
  v.Field("id", s.id);
  describe_detail::AsInt(v, "line_index", s.line_index);
  v.Field("amount", s.amount);
  v.Field("fees", s.fees);
  v.Field("transfer_date", s.transfer_date);
  v.Field("description", s.description);
  describe_detail::AsInt(v, "status", s.status);
  v.Field("created_at", s.created_at);
  v.Field("updated_at", s.updated_at);
  v.Field("executed_at", s.executed_at);
  v.Field("refunded", s.refunded);
  v.Field("fees_refunded", s.fees_refunded);
  v.Field("taken_back", s.taken_back);
  v.Field("fees_taken_back", s.fees_taken_back);
  v.Field("note", s.note);
}

// An intent's own fields but its status, lines and actions (each form stores those its way).
// The external data of an intent is always present.
template <class V>
void DescribeIntentHeader(V& v, Intent& in) {
  v.Field("id", in.id);
  v.Field("client_id", in.client_id);
  v.Field("currency", in.currency);
  v.Field("unfunded_amount", in.unfunded_amount);
  v.Field("buyer_id", in.buyer_id);
  v.Field("ext_processing_date", in.external.processing_date);
  v.Field("ext_provider_reference", in.external.provider_reference);
  v.Field("ext_merchant_reference", in.external.merchant_reference);
  v.Field("ext_provider_name", in.external.provider_name);
  v.Field("ext_payment_method", in.external.payment_method);
  v.Field("created_at", in.created_at);
  v.Field("execution_date", in.execution_date);
}

// The whole intent (the binary snapshot): header, status, lines, actions.
template <class V>
void Describe(V& v, Intent& in) {
  DescribeIntentHeader(v, in);
  describe_detail::AsInt(v, "status", in.status);
  describe_detail::Each(v, "lines", in.lines);
  describe_detail::Each(v, "actions", in.actions);
  describe_detail::Each(v, "splits", in.splits);
}

// What readers of a stored or snapshotted intent restore: the fields no form stores.
inline void RestoreDerivedFields(Intent& in) {
  in.external.present = true;
  for (LineItem& l : in.lines) l.input.seller.fees_amount = l.fee_initial;
}

template <class V>
void Describe(V& v, LineFigures& f) {
  v.Field("total", f.total);
  v.Field("remaining", f.remaining);
  v.Field("captured", f.captured);
  v.Field("available", f.available);
  v.Field("cancelled", f.cancelled);
  v.Field("fee", f.fee);
  v.Field("refunded", f.refunded);
  v.Field("disputed", f.disputed);
  v.Field("split", f.split);
  v.Field("unfunded", f.unfunded);
}

template <class V>
void Describe(V& v, IntentFigures& f) {
  v.Field("amount", f.amount);
  v.Field("platform_fees", f.platform_fees);
  v.Field("available_to_split", f.available_to_split);
  v.Field("unfunded", f.unfunded);
  describe_detail::Each(v, "lines", f.lines);
}

}  // namespace splitledger

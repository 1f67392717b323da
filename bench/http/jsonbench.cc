// JSON library micro-benchmark: Poco::JSON vs rapidjson vs simdjson for what the API does per
// request: parse a create-intent body (property names matched case-insensitively, last wins, as
// the Echo dialect requires; every field the handler binds is read) and write an intent response
// (~1.3 KB, 2 line items). simdjson has no writer: for writing, rapidjson's Writer and a plain
// std::string appender are compared with Poco instead.
#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#ifdef HTTPBENCH_HAVE_SIMDJSON
#include <simdjson.h>
#endif
#include <strings.h>

#include <algorithm>
#include <cstring>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

std::string SampleBodyForJsonBench();

namespace {
struct Line {
  std::string wallet, author, sku;
  int64_t fees = 0, qty = 0, unit = 0;
};
struct Intent {
  int64_t amount = 0, fees = 0, date = 0;
  std::string currency, ref, provider;
  std::vector<Line> lines;
};

bool Eq(std::string_view a, const char* b) { return a.size() == std::strlen(b) && strncasecmp(a.data(), b, a.size()) == 0; }

// ---------------------------------------------------------------- rapidjson
void RjLine(const rapidjson::Value& v, Line& l) {
  for (auto& m : v.GetObject()) {
    std::string_view k(m.name.GetString(), m.name.GetStringLength());
    if (Eq(k, "Seller") && m.value.IsObject()) {
      for (auto& s : m.value.GetObject()) {
        std::string_view sk(s.name.GetString(), s.name.GetStringLength());
        if (Eq(sk, "WalletId") && s.value.IsString()) l.wallet = s.value.GetString();
        else if (Eq(sk, "AuthorId") && s.value.IsString()) l.author = s.value.GetString();
        else if (Eq(sk, "FeesAmount") && s.value.IsInt64()) l.fees = s.value.GetInt64();
      }
    } else if (Eq(k, "Sku") && m.value.IsString()) l.sku = m.value.GetString();
    else if (Eq(k, "Quantity") && m.value.IsInt64()) l.qty = m.value.GetInt64();
    else if (Eq(k, "UnitAmount") && m.value.IsInt64()) l.unit = m.value.GetInt64();
  }
}
bool ParseRapid(const std::string& body, Intent& in) {
  rapidjson::Document d;
  d.Parse(body.data(), body.size());
  if (d.HasParseError() || !d.IsObject()) return false;
  for (auto& m : d.GetObject()) {
    std::string_view k(m.name.GetString(), m.name.GetStringLength());
    if (Eq(k, "Amount") && m.value.IsInt64()) in.amount = m.value.GetInt64();
    else if (Eq(k, "Currency") && m.value.IsString()) in.currency = m.value.GetString();
    else if (Eq(k, "PlatformFeesAmount") && m.value.IsInt64()) in.fees = m.value.GetInt64();
    else if (Eq(k, "ExternalData") && m.value.IsObject()) {
      for (auto& e : m.value.GetObject()) {
        std::string_view ek(e.name.GetString(), e.name.GetStringLength());
        if (Eq(ek, "ExternalProcessingDate") && e.value.IsInt64()) in.date = e.value.GetInt64();
        else if (Eq(ek, "ExternalProviderReference") && e.value.IsString()) in.ref = e.value.GetString();
        else if (Eq(ek, "ExternalProviderName") && e.value.IsString()) in.provider = e.value.GetString();
      }
    } else if (Eq(k, "LineItems") && m.value.IsArray()) {
      in.lines.clear();
      for (auto& v : m.value.GetArray()) { if (v.IsObject()) { in.lines.emplace_back(); RjLine(v, in.lines.back()); } }
    }
  }
  return true;
}

// ---------------------------------------------------------------- Poco::JSON
bool ParsePoco(const std::string& body, Intent& in) {
  Poco::JSON::Parser p;
  Poco::Dynamic::Var v = p.parse(body);
  auto o = v.extract<Poco::JSON::Object::Ptr>();
  for (auto& [k, val] : *o) {
    if (Eq(k, "Amount") && val.isInteger()) in.amount = val.convert<int64_t>();
    else if (Eq(k, "Currency") && val.isString()) in.currency = val.extract<std::string>();
    else if (Eq(k, "PlatformFeesAmount") && val.isInteger()) in.fees = val.convert<int64_t>();
    else if (Eq(k, "ExternalData")) {
      auto e = val.extract<Poco::JSON::Object::Ptr>();
      for (auto& [ek, ev] : *e) {
        if (Eq(ek, "ExternalProcessingDate") && ev.isInteger()) in.date = ev.convert<int64_t>();
        else if (Eq(ek, "ExternalProviderReference") && ev.isString()) in.ref = ev.extract<std::string>();
        else if (Eq(ek, "ExternalProviderName") && ev.isString()) in.provider = ev.extract<std::string>();
      }
    } else if (Eq(k, "LineItems")) {
      auto a = val.extract<Poco::JSON::Array::Ptr>();
      in.lines.clear();
      for (size_t i = 0; i < a->size(); ++i) {
        auto lo = a->getObject(static_cast<unsigned>(i));
        Line l;
        for (auto& [lk, lv] : *lo) {
          if (Eq(lk, "Seller")) {
            auto so = lv.extract<Poco::JSON::Object::Ptr>();
            for (auto& [sk, sv] : *so) {
              if (Eq(sk, "WalletId")) l.wallet = sv.extract<std::string>();
              else if (Eq(sk, "AuthorId")) l.author = sv.extract<std::string>();
              else if (Eq(sk, "FeesAmount")) l.fees = sv.convert<int64_t>();
            }
          } else if (Eq(lk, "Sku")) l.sku = lv.extract<std::string>();
          else if (Eq(lk, "Quantity")) l.qty = lv.convert<int64_t>();
          else if (Eq(lk, "UnitAmount")) l.unit = lv.convert<int64_t>();
        }
        in.lines.push_back(std::move(l));
      }
    }
  }
  return true;
}

// ---------------------------------------------------------------- simdjson (DOM)
#ifdef HTTPBENCH_HAVE_SIMDJSON
bool ParseSimd(simdjson::dom::parser& parser, const std::string& body, Intent& in) {
  simdjson::padded_string ps(body);  // the server would have to copy into a padded buffer too
  simdjson::dom::element doc;
  if (parser.parse(ps).get(doc)) return false;
  simdjson::dom::object o;
  if (doc.get(o)) return false;
  for (auto [k, v] : o) {
    if (Eq(k, "Amount")) { int64_t x; if (!v.get(x)) in.amount = x; }
    else if (Eq(k, "Currency")) { std::string_view s; if (!v.get(s)) in.currency = s; }
    else if (Eq(k, "PlatformFeesAmount")) { int64_t x; if (!v.get(x)) in.fees = x; }
    else if (Eq(k, "ExternalData")) {
      simdjson::dom::object e;
      if (v.get(e)) continue;
      for (auto [ek, ev] : e) {
        if (Eq(ek, "ExternalProcessingDate")) { int64_t x; if (!ev.get(x)) in.date = x; }
        else if (Eq(ek, "ExternalProviderReference")) { std::string_view s; if (!ev.get(s)) in.ref = s; }
        else if (Eq(ek, "ExternalProviderName")) { std::string_view s; if (!ev.get(s)) in.provider = s; }
      }
    } else if (Eq(k, "LineItems")) {
      simdjson::dom::array a;
      if (v.get(a)) continue;
      in.lines.clear();
      for (auto item : a) {
        simdjson::dom::object lo;
        if (item.get(lo)) continue;
        Line l;
        for (auto [lk, lv] : lo) {
          if (Eq(lk, "Seller")) {
            simdjson::dom::object so;
            if (lv.get(so)) continue;
            for (auto [sk, sv] : so) {
              std::string_view s; int64_t x;
              if (Eq(sk, "WalletId")) { if (!sv.get(s)) l.wallet = s; }
              else if (Eq(sk, "AuthorId")) { if (!sv.get(s)) l.author = s; }
              else if (Eq(sk, "FeesAmount")) { if (!sv.get(x)) l.fees = x; }
            }
          } else if (Eq(lk, "Sku")) { std::string_view s; if (!lv.get(s)) l.sku = s; }
          else if (Eq(lk, "Quantity")) { int64_t x; if (!lv.get(x)) l.qty = x; }
          else if (Eq(lk, "UnitAmount")) { int64_t x; if (!lv.get(x)) l.unit = x; }
        }
        in.lines.push_back(std::move(l));
      }
    }
  }
  return true;
}
#endif

// ---------------------------------------------------------------- writers
const char* kLineKeys[] = {"TotalLineItemAmount", "CapturedAmount", "RefundedAmount", "DisputedAmount",
                           "SplitAmount", "CancelledAmount", "CanceledAmount", "UnfundedSellerAmount"};

template <class W>
void RjWriteIntent(W& w, const Intent& in) {
  w.StartObject();
  w.Key("Id"); w.String("int_0190f6a2-7c1e-7a3b-9d4e-5f6a7b8c9d0e");
  w.Key("Amount"); w.Int64(in.amount);
  w.Key("AvailableAmountToSplit"); w.Int64(0);
  w.Key("UnfundedAmount"); w.Int64(0);
  w.Key("Currency"); w.String(in.currency.c_str());
  w.Key("PlatformFeesAmount"); w.Int64(in.fees);
  w.Key("Status"); w.String("AUTHORIZED");
  w.Key("NextActions"); w.String("CAPTURE, CANCEL");
  w.Key("ExternalData"); w.StartObject();
  w.Key("ExternalProcessingDate"); w.Int64(in.date);
  w.Key("ExternalProviderReference"); w.String(in.ref.c_str());
  w.Key("ExternalProviderName"); w.String(in.provider.c_str());
  w.EndObject();
  w.Key("LineItems"); w.StartArray();
  for (const Line& l : in.lines) {
    w.StartObject();
    w.Key("Id"); w.String("int_li_0190f6a2-7c1e-7a3b-9d4e-5f6a7b8c9d0f");
    w.Key("Seller"); w.StartObject();
    w.Key("AuthorId"); w.String(l.author.c_str());
    w.Key("WalletId"); w.String(l.wallet.c_str());
    w.Key("FeesAmount"); w.Int64(l.fees);
    w.Key("TransferDate"); w.Int64(1728133765);
    w.EndObject();
    w.Key("Sku"); w.String(l.sku.c_str());
    w.Key("Quantity"); w.Int64(l.qty);
    w.Key("UnitAmount"); w.Int64(l.unit);
    w.Key("DiscountAmount"); w.Int64(0);
    for (const char* k : kLineKeys) { w.Key(k); w.Int64(k[0] == 'T' ? l.unit * l.qty : 0); }
    w.EndObject();
  }
  w.EndArray();
  w.Key("CreationDate"); w.Int64(1728133765);
  w.EndObject();
}
std::string WriteRapid(const Intent& in) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  RjWriteIntent(w, in);
  return std::string(sb.GetString(), sb.GetSize());
}

std::string WritePoco(const Intent& in) {
  Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
  o.set("Id", "int_0190f6a2-7c1e-7a3b-9d4e-5f6a7b8c9d0e");
  o.set("Amount", in.amount);
  o.set("AvailableAmountToSplit", 0);
  o.set("UnfundedAmount", 0);
  o.set("Currency", in.currency);
  o.set("PlatformFeesAmount", in.fees);
  o.set("Status", "AUTHORIZED");
  o.set("NextActions", "CAPTURE, CANCEL");
  Poco::JSON::Object::Ptr e = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  e->set("ExternalProcessingDate", in.date);
  e->set("ExternalProviderReference", in.ref);
  e->set("ExternalProviderName", in.provider);
  o.set("ExternalData", e);
  Poco::JSON::Array::Ptr a = new Poco::JSON::Array;
  for (const Line& l : in.lines) {
    Poco::JSON::Object::Ptr lo = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    lo->set("Id", "int_li_0190f6a2-7c1e-7a3b-9d4e-5f6a7b8c9d0f");
    Poco::JSON::Object::Ptr s = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    s->set("AuthorId", l.author);
    s->set("WalletId", l.wallet);
    s->set("FeesAmount", l.fees);
    s->set("TransferDate", 1728133765);
    lo->set("Seller", s);
    lo->set("Sku", l.sku);
    lo->set("Quantity", l.qty);
    lo->set("UnitAmount", l.unit);
    lo->set("DiscountAmount", 0);
    for (const char* k : kLineKeys) lo->set(k, k[0] == 'T' ? l.unit * l.qty : int64_t{0});
    a->add(lo);
  }
  o.set("LineItems", a);
  o.set("CreationDate", 1728133765);
  std::ostringstream os;
  o.stringify(os);
  return os.str();
}

// A hand-written appender (no escaping needed for these ids; a real one would escape strings).
std::string WriteAppend(const Intent& in) {
  std::string s;
  s.reserve(1536);
  auto num = [&](const char* k, int64_t v) { s += '"'; s += k; s += "\":"; s += std::to_string(v); s += ','; };
  auto str = [&](const char* k, const std::string& v) { s += '"'; s += k; s += "\":\""; s += v; s += "\","; };
  s += '{';
  str("Id", "int_0190f6a2-7c1e-7a3b-9d4e-5f6a7b8c9d0e");
  num("Amount", in.amount); num("AvailableAmountToSplit", 0); num("UnfundedAmount", 0);
  str("Currency", in.currency); num("PlatformFeesAmount", in.fees);
  str("Status", "AUTHORIZED"); str("NextActions", "CAPTURE, CANCEL");
  s += "\"ExternalData\":{";
  num("ExternalProcessingDate", in.date); str("ExternalProviderReference", in.ref); str("ExternalProviderName", in.provider);
  s.back() = '}';
  s += ",\"LineItems\":[";
  for (const Line& l : in.lines) {
    s += '{';
    str("Id", "int_li_0190f6a2-7c1e-7a3b-9d4e-5f6a7b8c9d0f");
    s += "\"Seller\":{";
    str("AuthorId", l.author); str("WalletId", l.wallet); num("FeesAmount", l.fees); num("TransferDate", 1728133765);
    s.back() = '}'; s += ',';
    str("Sku", l.sku); num("Quantity", l.qty); num("UnitAmount", l.unit); num("DiscountAmount", 0);
    for (const char* k : kLineKeys) num(k, k[0] == 'T' ? l.unit * l.qty : 0);
    s.back() = '}'; s += ',';
  }
  if (!in.lines.empty()) s.pop_back();
  s += "],";
  num("CreationDate", 1728133765);
  s.back() = '}';
  return s;
}

double NsPerOp(long iters, const std::function<void()>& f) {
  for (long i = 0; i < iters / 10 + 1; ++i) f();  // warm-up
  double best = 1e300;
  for (int rep = 0; rep < 3; ++rep) {
    auto t0 = std::chrono::steady_clock::now();
    for (long i = 0; i < iters; ++i) f();
    double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / iters;
    best = std::min(best, ns);
  }
  return best;
}
}  // namespace

int JsonBenchMain(int argc, char** argv) {
  long iters = 100000;
  for (int i = 0; i + 1 < argc; ++i) if (std::string(argv[i]) == "--iters") iters = std::stol(argv[i + 1]);
  const std::string body = SampleBodyForJsonBench();
  Intent ref;
  ParseRapid(body, ref);
  if (ref.lines.size() != 2 || ref.amount != 2000) { std::fprintf(stderr, "jsonbench: bad sample\n"); return 1; }
  // cross-check: every parser yields the same fields; every writer yields equivalent JSON
  {
    Intent p; ParsePoco(body, p);
    if (p.amount != ref.amount || p.lines.size() != 2 || p.lines[1].wallet != ref.lines[1].wallet) { std::fprintf(stderr, "poco mismatch\n"); return 1; }
#ifdef HTTPBENCH_HAVE_SIMDJSON
    simdjson::dom::parser sp; Intent s; ParseSimd(sp, body, s);
    if (s.amount != ref.amount || s.lines.size() != 2 || s.lines[1].fees != ref.lines[1].fees) { std::fprintf(stderr, "simdjson mismatch\n"); return 1; }
#endif
    rapidjson::Document a, b, c;
    a.Parse(WriteRapid(ref).c_str()); b.Parse(WritePoco(ref).c_str()); c.Parse(WriteAppend(ref).c_str());
    if (a != b || a != c) { std::fprintf(stderr, "writer outputs differ\n"); return 1; }
  }
  std::printf("JSON micro-benchmark: parse a %zu-byte create-intent body (case-insensitive binding of every field),\n"
              "write a %zu-byte intent response; best of 3 x %ld iterations, one thread\n",
              body.size(), WriteRapid(ref).size(), iters);
  size_t sink = 0;
  double p_poco = NsPerOp(iters, [&] { Intent in; ParsePoco(body, in); sink += in.lines.size(); });
  double p_rj = NsPerOp(iters, [&] { Intent in; ParseRapid(body, in); sink += in.lines.size(); });
  std::printf("  parse  Poco::JSON   %8.0f ns/op   1.00x\n", p_poco);
  std::printf("  parse  rapidjson    %8.0f ns/op   %.2fx faster than Poco\n", p_rj, p_poco / p_rj);
#ifdef HTTPBENCH_HAVE_SIMDJSON
  simdjson::dom::parser sp;
  double p_sj = NsPerOp(iters, [&] { Intent in; ParseSimd(sp, body, in); sink += in.lines.size(); });
  std::printf("  parse  simdjson     %8.0f ns/op   %.2fx faster than Poco, %.2fx vs rapidjson (implementation: %s)\n",
              p_sj, p_poco / p_sj, p_rj / p_sj, simdjson::get_active_implementation()->name().c_str());
#else
  std::printf("  parse  simdjson     (not built: install libsimdjson-dev)\n");
#endif
  double w_poco = NsPerOp(iters, [&] { sink += WritePoco(ref).size(); });
  double w_rj = NsPerOp(iters, [&] { sink += WriteRapid(ref).size(); });
  double w_ap = NsPerOp(iters, [&] { sink += WriteAppend(ref).size(); });
  std::printf("  write  Poco::JSON   %8.0f ns/op   1.00x\n", w_poco);
  std::printf("  write  rapidjson    %8.0f ns/op   %.2fx faster than Poco\n", w_rj, w_poco / w_rj);
  std::printf("  write  std::string  %8.0f ns/op   %.2fx faster than Poco (no escaping; simdjson has no writer)\n", w_ap, w_poco / w_ap);
  std::fflush(stdout);
  return sink == 0 ? 1 : 0;
}

// HTTP-level types shared by the dialects: the reply a handler produces, API errors and their
// rendering per dialect (v2.01 lower-case `errors`, V3.0 upper-case `Errors`, OAuth `error`),
// query parsing and pagination.
//
// Contracts:
//  * Handlers never throw and never send: they return a Reply; the server sends it, adds the
//    rate-limit headers (Echo §4.3) and logs it.
//  * ErrorFromStatus maps the core's ErrorCode to HTTP: kInvalidArgument/kRuleViolation/kOverflow
//    → 400 param_error; kNotFound → 404 ressource_not_found; kAlreadyExists → 409;
//    kUnauthenticated → 401; kPermissionDenied → 403; kUnavailable → 503; others → 500.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "json.h"
#include "splitledger/core/status.h"

namespace splitledger::api {

// kOrchestration: the NjiaPay-style dialect, errors as {"detail": message}.
enum class Dialect { kV2, kV3, kOAuth, kPlain, kOrchestration };

// How a request arrived: which listener, and over what.
enum class Transport {
  kPlain,  // HTTP
  kTls,    // HTTPS, server certificate only
  kMtls,   // HTTPS with a client certificate that chained to the configured client CA
};

inline constexpr const char* kJsonType = "application/json; charset=utf-8";

struct Reply {
  int status = 200;
  std::string body;
  std::string content_type = kJsonType;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string log_detail;  // a 5xx's cause, for the request log line only (never sent)
};

struct ApiError {
  int status = 400;
  std::string type = "param_error";
  std::string message;
  FieldErrors errors;
  std::string log_detail;  // see Reply::log_detail
};

ApiError ParamError(FieldErrors errors);
ApiError ParamError(std::string field, std::string message);
ApiError NotFoundError(std::string field, std::string message);
ApiError ErrorFromStatus(const Status& status);

// The error body carries an "Id" and a "Date": random and now, unless given (a reply that is
// stored under an Idempotency-Key must come out the same when it is rendered again).
Reply ErrorReply(Dialect dialect, const ApiError& error, const std::string& id = {},
                 int64_t date_s = -1);
Reply JsonReply(std::string body, int status = 200);

// A fresh UUIDv4-shaped id for error bodies.
std::string ErrorId();
// A UUID-shaped id derived from `seed` (the same seed, the same id).
std::string StableErrorId(std::string_view seed);
int64_t NowMs();

// Lower-cased query parameter names → values (last wins).
using Query = std::map<std::string, std::string>;
Query ParseQuery(std::string_view query);

struct Page {
  int64_t page = 1;
  int64_t per_page = 10;
};
// Reads page/per_page (case-insensitive); errors on non-numbers or out-of-range values.
bool ParsePage(const Query& q, Page* out, FieldErrors* errors);
// Adds x-number-of-pages, x-number-of-items and link headers for a list of `total` items.
void AddPaginationHeaders(Reply& reply, const Page& page, int64_t total, const std::string& base_url);

std::string ToLower(std::string_view s);
bool IEquals(std::string_view a, std::string_view b);

}  // namespace splitledger::api

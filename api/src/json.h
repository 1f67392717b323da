// JSON helpers over rapidjson (docs/adr/0002-json-library.md).
//
// Contracts:
//  * ParseJsonObject accepts only a well-formed JSON object in valid UTF-8 whose strings (keys and
//    values) contain no NUL character; anything else is kInvalidArgument (PostgreSQL cannot store
//    NUL or invalid UTF-8, and a bad row would fail a whole commit batch).
//  * Member() finds a property case-insensitively; when several match, the last one wins (Echo §1).
//    JSON null is treated as absent.
//  * Binder reads typed fields and collects one error per bad field ("The X field is required.").
//    Amounts must be integers in [0, INT64_MAX]: floats, negative numbers and out-of-range numbers
//    are errors, never silently converted.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "splitledger/core/status.h"

namespace splitledger::api {

using JValue = rapidjson::Value;
using JWriter = rapidjson::Writer<rapidjson::StringBuffer>;
using FieldErrors = std::vector<std::pair<std::string, std::string>>;

Status ParseJsonObject(std::string_view body, rapidjson::Document* doc);
// Parses any JSON value (used for config files and stored documents).
Status ParseJsonAny(std::string_view body, rapidjson::Document* doc);

const JValue* Member(const JValue& obj, std::string_view name);

// Serialises a value to a string.
std::string ToJson(const JValue& v);

inline void WStr(JWriter& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
inline void WKey(JWriter& w, std::string_view s) {
  w.Key(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
// Writes a string, or null when empty.
inline void WStrOrNull(JWriter& w, std::string_view s) {
  if (s.empty()) w.Null(); else WStr(w, s);
}
// Splices a pre-serialised JSON value into the output.
inline void WRaw(JWriter& w, std::string_view json) {
  w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
}

class Binder {
 public:
  std::optional<int64_t> Amount(const JValue& obj, std::string_view name, bool required,
                                std::string_view path = {});
  // Any int64 (dates); no sign restriction.
  std::optional<int64_t> Int(const JValue& obj, std::string_view name, bool required,
                             std::string_view path = {});
  std::optional<std::string> Str(const JValue& obj, std::string_view name, bool required,
                                 std::string_view path = {});
  std::optional<bool> Bool(const JValue& obj, std::string_view name, bool required,
                           std::string_view path = {});
  const JValue* Obj(const JValue& obj, std::string_view name, bool required,
                    std::string_view path = {});
  const JValue* Arr(const JValue& obj, std::string_view name, bool required,
                    std::string_view path = {});

  void Add(std::string field, std::string message) {
    errors_.emplace_back(std::move(field), std::move(message));
  }
  bool ok() const { return errors_.empty(); }
  const FieldErrors& errors() const { return errors_; }

 private:
  static std::string Path(std::string_view path, std::string_view name);
  void Required(std::string_view path, std::string_view name);
  FieldErrors errors_;
};

}  // namespace splitledger::api

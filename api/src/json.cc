#include "json.h"

#include <rapidjson/error/en.h>
#include <strings.h>

#include <cstring>

namespace splitledger::api {
namespace {

bool HasNul(const JValue& v) {
  if (v.IsString()) return std::memchr(v.GetString(), 0, v.GetStringLength()) != nullptr;
  if (v.IsArray()) {
    for (const auto& e : v.GetArray()) if (HasNul(e)) return true;
  } else if (v.IsObject()) {
    for (const auto& m : v.GetObject()) {
      if (std::memchr(m.name.GetString(), 0, m.name.GetStringLength()) != nullptr) return true;
      if (HasNul(m.value)) return true;
    }
  }
  return false;
}

}  // namespace

Status ParseJsonAny(std::string_view body, rapidjson::Document* doc) {
  doc->Parse<rapidjson::kParseValidateEncodingFlag>(body.data(), body.size());
  if (doc->HasParseError()) {
    return Status::Invalid(std::string("Malformed JSON: ") + rapidjson::GetParseError_En(doc->GetParseError()) +
                               " at offset " + std::to_string(doc->GetErrorOffset()),
                           "Body");
  }
  if (HasNul(*doc)) return Status::Invalid("Strings must not contain NUL characters", "Body");
  return Status::Ok();
}

Status ParseJsonObject(std::string_view body, rapidjson::Document* doc) {
  SL_RETURN_IF_ERROR(ParseJsonAny(body, doc));
  if (!doc->IsObject()) return Status::Invalid("The request body must be a JSON object", "Body");
  return Status::Ok();
}

const JValue* Member(const JValue& obj, std::string_view name) {
  if (!obj.IsObject()) return nullptr;
  const JValue* found = nullptr;
  for (const auto& m : obj.GetObject()) {
    if (m.name.GetStringLength() == name.size() &&
        strncasecmp(m.name.GetString(), name.data(), name.size()) == 0) {
      found = &m.value;
    }
  }
  if (found != nullptr && found->IsNull()) return nullptr;
  return found;
}

std::string ToJson(const JValue& v) {
  rapidjson::StringBuffer sb;
  JWriter w(sb);
  v.Accept(w);
  return std::string(sb.GetString(), sb.GetSize());
}

std::string Binder::Path(std::string_view path, std::string_view name) {
  if (path.empty()) return std::string(name);
  return std::string(path) + "." + std::string(name);
}

void Binder::Required(std::string_view path, std::string_view name) {
  Add(Path(path, name), "The " + std::string(name) + " field is required.");
}

std::optional<int64_t> Binder::Amount(const JValue& obj, std::string_view name, bool required,
                                      std::string_view path) {
  const JValue* v = Member(obj, name);
  if (v == nullptr) {
    if (required) Required(path, name);
    return std::nullopt;
  }
  if (v->IsInt64()) {
    if (v->GetInt64() < 0) {
      Add(Path(path, name), "The " + std::string(name) + " field must not be negative.");
      return std::nullopt;
    }
    return v->GetInt64();
  }
  if (v->IsUint64() || (v->IsDouble() && (v->GetDouble() > 9.2e18 || v->GetDouble() < -9.2e18))) {
    Add(Path(path, name), "The " + std::string(name) + " field is out of range.");
  } else {
    Add(Path(path, name), "The " + std::string(name) + " field must be an integer.");
  }
  return std::nullopt;
}

std::optional<int64_t> Binder::Int(const JValue& obj, std::string_view name, bool required,
                                   std::string_view path) {
  const JValue* v = Member(obj, name);
  if (v == nullptr) {
    if (required) Required(path, name);
    return std::nullopt;
  }
  if (v->IsInt64()) return v->GetInt64();
  Add(Path(path, name), "The " + std::string(name) + " field must be an integer.");
  return std::nullopt;
}

std::optional<std::string> Binder::Str(const JValue& obj, std::string_view name, bool required,
                                       std::string_view path) {
  const JValue* v = Member(obj, name);
  if (v == nullptr) {
    if (required) Required(path, name);
    return std::nullopt;
  }
  if (!v->IsString()) {
    Add(Path(path, name), "The " + std::string(name) + " field must be a string.");
    return std::nullopt;
  }
  if (required && v->GetStringLength() == 0) {
    Required(path, name);
    return std::nullopt;
  }
  if (v->GetStringLength() > 4096) {
    Add(Path(path, name), "The " + std::string(name) + " field is too long.");
    return std::nullopt;
  }
  return std::string(v->GetString(), v->GetStringLength());
}

std::optional<bool> Binder::Bool(const JValue& obj, std::string_view name, bool required,
                                 std::string_view path) {
  const JValue* v = Member(obj, name);
  if (v == nullptr) {
    if (required) Required(path, name);
    return std::nullopt;
  }
  if (!v->IsBool()) {
    Add(Path(path, name), "The " + std::string(name) + " field must be a boolean.");
    return std::nullopt;
  }
  return v->GetBool();
}

const JValue* Binder::Obj(const JValue& obj, std::string_view name, bool required,
                          std::string_view path) {
  const JValue* v = Member(obj, name);
  if (v == nullptr) {
    if (required) Required(path, name);
    return nullptr;
  }
  if (!v->IsObject()) {
    Add(Path(path, name), "The " + std::string(name) + " field must be an object.");
    return nullptr;
  }
  return v;
}

const JValue* Binder::Arr(const JValue& obj, std::string_view name, bool required,
                          std::string_view path) {
  const JValue* v = Member(obj, name);
  if (v == nullptr) {
    if (required) Required(path, name);
    return nullptr;
  }
  if (!v->IsArray()) {
    Add(Path(path, name), "The " + std::string(name) + " field must be an array.");
    return nullptr;
  }
  return v;
}

}  // namespace splitledger::api

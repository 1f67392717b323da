#include "splitledger/plugins/host_config.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

namespace splitledger::plugins {

std::string ExpandEnv(const std::string& in) {
  std::string out;
  for (size_t i = 0; i < in.size();) {
    if (in.compare(i, 2, "${") == 0) {
      size_t end = in.find('}', i + 2);
      if (end != std::string::npos) {
        const char* v = std::getenv(in.substr(i + 2, end - i - 2).c_str());
        out += v ? v : "";
        i = end + 1;
        continue;
      }
    }
    out += in[i++];
  }
  return out;
}

namespace {

// Copies a JSON value, expanding ${VAR} in every string.
void Expand(const rapidjson::Value& in, rapidjson::Value* out, rapidjson::Document::AllocatorType& a) {
  if (in.IsString()) {
    std::string s = ExpandEnv(std::string(in.GetString(), in.GetStringLength()));
    out->SetString(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
  } else if (in.IsObject()) {
    out->SetObject();
    for (const auto& m : in.GetObject()) {
      rapidjson::Value v;
      Expand(m.value, &v, a);
      out->AddMember(rapidjson::Value(m.name, a), v, a);
    }
  } else if (in.IsArray()) {
    out->SetArray();
    for (const auto& e : in.GetArray()) {
      rapidjson::Value v;
      Expand(e, &v, a);
      out->PushBack(v, a);
    }
  } else {
    out->CopyFrom(in, a);
  }
}

std::string Str(const rapidjson::Value& obj, const char* name, const std::string& dflt = {}) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsString()) return dflt;
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

}  // namespace

Status ParsePluginHostConfig(const std::string& json_object, PluginHostConfig* out) {
  rapidjson::Document raw;
  raw.Parse(json_object.c_str(), json_object.size());
  if (raw.HasParseError() || !raw.IsObject()) return Status::Invalid("plugin configuration is not a JSON object");
  rapidjson::Document doc;
  Expand(raw, &doc, doc.GetAllocator());

  if (auto it = doc.FindMember("secrets"); it != doc.MemberEnd()) {
    if (!it->value.IsObject()) return Status::Invalid("secrets must be an object", "secrets");
    for (const auto& m : it->value.GetObject()) {
      std::string name(m.name.GetString(), m.name.GetStringLength());
      if (m.value.IsString()) {
        out->secrets[name] = m.value.GetString();
      } else if (m.value.IsObject() && m.value.HasMember("env")) {
        const char* v = std::getenv(Str(m.value, "env").c_str());
        if (v) out->secrets[name] = v;
      } else if (m.value.IsObject() && m.value.HasMember("file")) {
        std::ifstream f(Str(m.value, "file"));
        std::stringstream ss;
        if (f) {
          ss << f.rdbuf();
          std::string v = ss.str();
          while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
          out->secrets[name] = v;
        }
      } else {
        return Status::Invalid("secret '" + name + "' must be a string, {\"env\":…} or {\"file\":…}",
                               "secrets." + name);
      }
    }
  }
  if (auto it = doc.FindMember("tls_profiles"); it != doc.MemberEnd()) {
    if (!it->value.IsObject()) return Status::Invalid("tls_profiles must be an object", "tls_profiles");
    for (const auto& m : it->value.GetObject()) {
      std::string name = m.name.GetString();
      if (!m.value.IsObject()) return Status::Invalid("TLS profile '" + name + "' must be an object");
      TlsProfile p;
      p.ca_file = Str(m.value, "ca_file");
      p.cert_file = Str(m.value, "cert_file");
      p.key_file = Str(m.value, "key_file");
      if (auto v = m.value.FindMember("verify_server"); v != m.value.MemberEnd()) {
        if (!v->value.IsBool()) return Status::Invalid("verify_server must be true or false");
        p.verify_server = v->value.GetBool();
      }
      out->transport.tls_profiles[name] = p;
    }
  }
  if (auto it = doc.FindMember("default_timeout_ms"); it != doc.MemberEnd()) {
    if (!it->value.IsUint() || it->value.GetUint() == 0) {
      return Status::Invalid("default_timeout_ms must be a positive integer", "default_timeout_ms");
    }
    out->transport.default_timeout_ms = it->value.GetUint();
  }
  if (auto it = doc.FindMember("adapters"); it != doc.MemberEnd()) {
    if (!it->value.IsArray()) return Status::Invalid("adapters must be an array", "adapters");
    std::set<std::string> names;
    for (const auto& a : it->value.GetArray()) {
      if (!a.IsObject()) return Status::Invalid("each adapter must be an object", "adapters");
      AdapterSpec spec;
      spec.name = Str(a, "name");
      spec.library = Str(a, "library");
      spec.environment = Str(a, "environment", "test");
      if (spec.environment != "test" && spec.environment != "live") {
        return Status::Invalid("adapter '" + spec.name + "': environment is test or live", "adapters");
      }
      if (auto w = a.FindMember("authorization_window_seconds"); w != a.MemberEnd()) {
        if (!w->value.IsInt64() || w->value.GetInt64() <= 0) {
          return Status::Invalid("adapter '" + spec.name +
                                     "': authorization_window_seconds must be a positive integer",
                                 "adapters");
        }
        spec.authorization_window_s = w->value.GetInt64();
      }
      if (spec.name.empty() || spec.library.empty()) {
        return Status::Invalid("each adapter needs a name and a library", "adapters");
      }
      if (!names.insert(spec.name).second) {
        return Status::Invalid("adapter name '" + spec.name + "' is used twice", "adapters");
      }
      if (auto c = a.FindMember("config"); c != a.MemberEnd()) {
        rapidjson::StringBuffer buf;
        rapidjson::Writer<rapidjson::StringBuffer> w(buf);
        c->value.Accept(w);
        spec.config_json = buf.GetString();
      }
      out->adapters.push_back(std::move(spec));
    }
  }
  return Status::Ok();
}

std::unique_ptr<AdapterRegistry> AdapterRegistry::Load(const PluginHostConfig& config, LogSink log) {
  auto reg = std::make_unique<AdapterRegistry>();
  reg->secrets_ = config.secrets;
  auto transport = HttpTransport::Create(config.transport);
  std::string transport_error;
  if (transport.ok()) {
    reg->transport_ = std::move(transport.value());
  } else {
    transport_error = transport.status().message();
  }
  const AdapterRegistry* self = reg.get();
  for (const AdapterSpec& spec : config.adapters) {
    Entry e{spec, nullptr, {}};
    if (!transport_error.empty()) {
      e.error = transport_error;
    } else if (auto lib = Library::Open(spec.library); !lib.ok()) {
      e.error = lib.status().message();
    } else {
      InstanceOptions o;
      o.config_json = spec.config_json;
      o.environment = spec.environment;
      o.secrets = [self](const std::string& name) -> std::optional<std::string> {
        auto it = self->secrets_.find(name);
        if (it == self->secrets_.end()) return std::nullopt;
        return it->second;
      };
      o.log = log;
      auto adapter = Adapter::Create(lib.value(), o);
      if (adapter.ok()) {
        e.adapter = std::move(adapter.value());
      } else {
        e.error = adapter.status().message();
      }
    }
    reg->entries_.push_back(std::move(e));
  }
  return reg;
}

const Adapter* AdapterRegistry::Find(const std::string& name) const {
  for (const auto& e : entries_) {
    if (e.spec.name == name) return e.adapter.get();
  }
  return nullptr;
}

}  // namespace splitledger::plugins

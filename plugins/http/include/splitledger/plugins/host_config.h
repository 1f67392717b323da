// The host's plugin configuration, shared by `splitledger serve` (its "plugins" section) and
// `splitledger plugin check` (its --config file):
//   {
//     "secrets": {"njiapay.api_key": {"env": "NJIAPAY_API_KEY"}, "name": {"file": "/run/secret"},
//                 "literal": "value"},
//     "tls_profiles": {"psp-mtls": {"ca_file": …, "cert_file": …, "key_file": …,
//                                   "verify_server": true}},
//     "default_timeout_ms": 30000,
//     "adapters": [{"name": "njiapay_eu", "library": "/opt/psp_njiapay.so",
//                   "environment": "test", "config": {…}}]
//   }
// Strings may hold ${VAR}, replaced by the environment variable VAR, so that secrets and
// addresses stay out of the file. docs/plugins.md documents every key.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "splitledger/core/status.h"
#include "splitledger/plugins/http_transport.h"
#include "splitledger/plugins/loader.h"

namespace splitledger::plugins {

struct AdapterSpec {
  std::string name;     // the instance's name in this host ("njiapay_eu")
  std::string library;  // path of the .so
  std::string environment = "test";
  std::string config_json = "{}";
  // Orchestration: how long an authorisation made through this connection may wait for its
  // capture ("authorization_window_seconds"); 0 = the server's default (7 days).
  int64_t authorization_window_s = 0;
};

struct PluginHostConfig {
  std::map<std::string, std::string> secrets;  // resolved values, never logged
  HttpTransportOptions transport;
  std::vector<AdapterSpec> adapters;
};

// Parses a JSON object of the shape above. A secret whose environment variable or file is missing
// is simply absent (the adapter that needs it refuses its config, naming it).
Status ParsePluginHostConfig(const std::string& json_object, PluginHostConfig* out);

// Replaces ${VAR} by the value of the environment variable VAR ("" when unset).
std::string ExpandEnv(const std::string& text);

// The adapters a host runs. Loading never fails as a whole: each adapter is loaded or refused on
// its own, with the reason, so a bad plugin cannot take the service down.
class AdapterRegistry {
 public:
  struct Entry {
    AdapterSpec spec;
    std::unique_ptr<Adapter> adapter;  // null when refused
    std::string error;                 // why it was refused
  };

  static std::unique_ptr<AdapterRegistry> Load(const PluginHostConfig& config, LogSink log);

  const Adapter* Find(const std::string& name) const;
  const std::vector<Entry>& entries() const { return entries_; }
  Transport* transport() const { return transport_.get(); }  // null if the TLS profiles are bad

 private:
  std::map<std::string, std::string> secrets_;
  std::vector<Entry> entries_;
  std::unique_ptr<HttpTransport> transport_;
};

}  // namespace splitledger::plugins

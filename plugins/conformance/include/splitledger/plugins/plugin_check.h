// The conformance kit behind `splitledger plugin check PATH.so [--config FILE]`.
//
// Loads any adapter through the production loader, drives the standard scenarios through the
// production HTTP executor (with fault injection around it), and prints one row per scenario.
// docs/plugins.md describes the scenarios and the configuration file.
#pragma once

#include <string>
#include <vector>

namespace splitledger {

namespace plugins {

enum class Verdict { kPass, kFail, kSkip };

struct ScenarioResult {
  std::string name;
  Verdict verdict = Verdict::kPass;
  std::string detail;
};

struct CheckReport {
  std::string adapter;  // "name version", empty when loading failed
  std::vector<ScenarioResult> scenarios;
  bool Passed() const {
    for (const auto& s : scenarios) {
      if (s.verdict == Verdict::kFail) return false;
    }
    return !scenarios.empty();
  }
};

// Runs every scenario against the adapter at `library_path`, configured by the kit configuration
// file `config_path` (JSON; "" = defaults). `only` restricts to scenarios whose name contains it.
CheckReport RunConformance(const std::string& library_path, const std::string& config_path,
                           const std::string& only = "");

}  // namespace plugins

// `splitledger plugin check …` (argv after "check"). Prints the table; returns 0 when every
// scenario passed or was skipped, 1 when one failed, 2 on a usage error.
int RunPluginCheck(int argc, char** argv);

}  // namespace splitledger

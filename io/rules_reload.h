// Live reload of the routing rules: re-reads the config file, validates all
// of it, and only then swaps the new rules in (Allocator::PublishRules), so a
// request sees the old rules or the new ones, never a mix. On any error the
// old rules keep serving and the error names the file, line and key.
//
// Only [rules] is live. Keys that shape the running daemon (listen, threads,
// data files, limits, journal, warehouses, and the store defaults prep_min
// and radius_km, which are baked into stores at load) are compared with the
// running config and reported as needing a restart; they are not applied.
//
// Thread-safety: Reload may be called from any thread (SIGHUP, a client's
// reload op); calls are serialised.
#ifndef HOURGLASS_IO_RULES_RELOAD_H_
#define HOURGLASS_IO_RULES_RELOAD_H_

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "alloc/allocator.h"
#include "io/config.h"

namespace hourglass::io {

struct ReloadOutcome {
  bool ok = false;
  std::string error;                        // when !ok: "file:line: [table] key: why"
  uint64_t rules_version = 0;               // in force after the call
  std::vector<std::string> restart_needed;  // changed keys that were not applied
  Config config;                            // the validated new config (when ok)
};

class RulesReloader {
 public:
  // Each reload writes one line to the process log (io/log.h): the rules in
  // force and the rule keys that changed, or why not. `log` hears the same
  // line as text, for embedders that keep their own log.
  RulesReloader(std::filesystem::path config_file, alloc::Allocator& allocator, Config running,
                std::function<void(const std::string&)> log = {});

  // Validates the file; when `publish`, swaps its rules in. `by` names the
  // trigger for the log ("SIGHUP", "reload op").
  ReloadOutcome Reload(bool publish = true, std::string_view by = "reload op");
  // Reloads (dry runs included) refused because the file was invalid.
  uint64_t failures() const { return failures_.load(std::memory_order_relaxed); }

 private:
  const std::filesystem::path file_;
  alloc::Allocator& allocator_;
  const Config running_;
  const std::function<void(const std::string&)> log_;
  std::mutex mu_;
  std::atomic<uint64_t> failures_{0};
};

}  // namespace hourglass::io

#endif  // HOURGLASS_IO_RULES_RELOAD_H_

// What a reload changed in the routing rules, for its log line: one entry per
// changed key, "rules.promise_min 60 -> 45", or the table's name when a
// [rules.*] table changed ("rules.score"). Pure; safe from any thread.
#ifndef HOURGLASS_IO_RULES_DIFF_H_
#define HOURGLASS_IO_RULES_DIFF_H_

#include <string>
#include <vector>

#include "alloc/routing_rules.h"

namespace hourglass::io {

std::vector<std::string> ChangedRules(const alloc::RoutingRules& before,
                                      const alloc::RoutingRules& after);

}  // namespace hourglass::io

#endif  // HOURGLASS_IO_RULES_DIFF_H_

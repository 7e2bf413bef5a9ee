#include "alloc/sku_catalog.h"

#include <mutex>

namespace hourglass::alloc {

std::optional<SkuIdx> SkuCatalog::Find(std::string_view name) const {
  const Shard& shard = shards_[ShardOf(name)];
  std::shared_lock lock(shard.mu);
  auto it = shard.ids.find(name);
  if (it == shard.ids.end()) return std::nullopt;
  return it->second;
}

SkuIdx SkuCatalog::Intern(std::string_view name) {
  Shard& shard = shards_[ShardOf(name)];
  std::unique_lock lock(shard.mu);
  auto it = shard.ids.find(name);
  if (it != shard.ids.end()) return it->second;
  const SkuIdx idx{next_.fetch_add(1, std::memory_order_relaxed)};
  shard.ids.emplace(std::string(name), idx);
  return idx;
}

std::vector<std::string> SkuCatalog::Names() const {
  std::vector<std::string> names;
  for (const Shard& shard : shards_) {
    std::shared_lock lock(shard.mu);
    for (const auto& [name, idx] : shard.ids) {
      if (Raw(idx) >= names.size()) names.resize(Raw(idx) + 1);
      names[Raw(idx)] = name;
    }
  }
  return names;
}

std::string SkuCatalog::NameOf(SkuIdx sku) const {
  for (const Shard& shard : shards_) {
    std::shared_lock lock(shard.mu);
    for (const auto& [name, idx] : shard.ids) {
      if (idx == sku) return name;
    }
  }
  return std::to_string(Raw(sku));
}

}  // namespace hourglass::alloc

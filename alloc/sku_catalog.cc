#include "alloc/sku_catalog.h"

#include <functional>

namespace hourglass::alloc {
namespace {

constexpr size_t kFirstCapacity = 1024;

size_t HashOf(std::string_view name) { return std::hash<std::string_view>{}(name); }
uint32_t TagOf(size_t hash) { return static_cast<uint32_t>(hash >> 32); }

}  // namespace

SkuCatalog::SkuCatalog() {
  tables_.push_back(std::make_unique<Table>(kFirstCapacity));
  table_.store(tables_.back().get(), std::memory_order_release);
}

SkuCatalog::~SkuCatalog() = default;

std::optional<SkuIdx> SkuCatalog::Find(std::string_view name) const {
  const size_t hash = HashOf(name);
  const uint32_t tag = TagOf(hash);
  const Table& table = *table_.load(std::memory_order_acquire);
  for (size_t i = hash & table.mask;; i = (i + 1) & table.mask) {
    const Slot& slot = table.slots[i];
    const std::string* stored = slot.name.load(std::memory_order_acquire);
    if (stored == nullptr) return std::nullopt;
    if (slot.tag == tag && slot.Holds(name)) return SkuIdx{slot.idx};
  }
}

void SkuCatalog::Place(const Table& table, size_t hash, const std::string* name, uint32_t idx) {
  size_t i = hash & table.mask;
  while (table.slots[i].name.load(std::memory_order_relaxed) != nullptr) i = (i + 1) & table.mask;
  Slot& slot = table.slots[i];
  slot.idx = idx;
  slot.tag = TagOf(hash);
  if (name->size() <= kInlineName) {
    slot.inline_len = static_cast<uint8_t>(name->size());
    name->copy(slot.inline_name, name->size());
  } else {
    slot.inline_len = 0xff;
  }
  slot.name.store(name, std::memory_order_release);
}

SkuIdx SkuCatalog::Intern(std::string_view name) {
  if (const auto known = Find(name)) return *known;
  std::lock_guard lock(mu_);
  if (const auto known = Find(name)) return *known;  // another writer was first
  const Table* table = tables_.back().get();
  // At most half full, so probes stay short and always reach an empty slot.
  if (2 * (names_.size() + 1) > table->mask + 1) {
    auto bigger = std::make_unique<Table>(2 * (table->mask + 1));
    for (uint32_t i = 0; i < names_.size(); ++i) Place(*bigger, HashOf(names_[i]), &names_[i], i);
    tables_.push_back(std::move(bigger));
    table = tables_.back().get();
    table_.store(table, std::memory_order_release);
  }
  const auto idx = static_cast<uint32_t>(names_.size());
  const std::string& stored = names_.emplace_back(name);
  Place(*table, HashOf(stored), &stored, idx);
  count_.store(names_.size(), std::memory_order_relaxed);
  return SkuIdx{idx};
}

std::vector<std::string> SkuCatalog::Names() const {
  std::lock_guard lock(mu_);
  return {names_.begin(), names_.end()};
}

std::string SkuCatalog::NameOf(SkuIdx sku) const {
  std::lock_guard lock(mu_);
  return Raw(sku) < names_.size() ? names_[Raw(sku)] : std::to_string(Raw(sku));
}

}  // namespace hourglass::alloc

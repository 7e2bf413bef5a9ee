// The catalog is read by every order without a lock while stock.set may add
// SKUs: readers must see every name that was there, with its index, while
// the table grows under them.
#include "alloc/sku_catalog.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace hourglass::alloc {
namespace {

std::string Name(int i) { return "SKU-" + std::to_string(i); }

TEST(SkuCatalog, InternIsIdempotentAndIndicesAreDense) {
  SkuCatalog catalog;
  EXPECT_FALSE(catalog.Find("A").has_value());
  const SkuIdx a = catalog.Intern("A");
  const SkuIdx b = catalog.Intern("B");
  EXPECT_EQ(Raw(a), 0u);
  EXPECT_EQ(Raw(b), 1u);
  EXPECT_EQ(catalog.Intern("A"), a);
  EXPECT_EQ(*catalog.Find("B"), b);
  EXPECT_EQ(catalog.size(), 2u);
  EXPECT_EQ(catalog.NameOf(b), "B");
  EXPECT_EQ(catalog.Names(), (std::vector<std::string>{"A", "B"}));
}

TEST(SkuCatalog, GrowingKeepsEveryName) {
  SkuCatalog catalog;
  for (int i = 0; i < 100'000; ++i)
    ASSERT_EQ(Raw(catalog.Intern(Name(i))), static_cast<uint32_t>(i));
  for (int i = 0; i < 100'000; ++i)
    ASSERT_EQ(Raw(*catalog.Find(Name(i))), static_cast<uint32_t>(i));
  EXPECT_FALSE(catalog.Find("SKU-100000").has_value());
  EXPECT_FALSE(catalog.Find("SKU-").has_value());
}

// Short names are compared inside the table, long ones through the stored
// string: names either side of the boundary, and ones that differ only past
// it, must each find only themselves.
TEST(SkuCatalog, ShortAndLongNamesFindOnlyThemselves) {
  SkuCatalog catalog;
  const std::vector<std::string> names = {"",
                                          "X",
                                          std::string(14, 'a'),
                                          std::string(15, 'a'),
                                          std::string(16, 'a'),
                                          std::string(15, 'a') + "b",
                                          "BRAND-0001-VARIANT-RED-XL",
                                          "BRAND-0001-VARIANT-RED-XS",
                                          std::string("NUL\0INSIDE", 10)};
  for (size_t i = 0; i < names.size(); ++i) ASSERT_EQ(Raw(catalog.Intern(names[i])), i);
  for (size_t i = 0; i < names.size(); ++i) {
    const auto found = catalog.Find(names[i]);
    ASSERT_TRUE(found.has_value()) << i;
    EXPECT_EQ(Raw(*found), i);
    EXPECT_EQ(catalog.NameOf(*found), names[i]);
  }
  EXPECT_FALSE(catalog.Find(std::string(17, 'a')).has_value());
  EXPECT_FALSE(catalog.Find(std::string(13, 'a')).has_value());
  EXPECT_FALSE(catalog.Find("BRAND-0001-VARIANT-RED-XM").has_value());
  EXPECT_FALSE(catalog.Find("NUL").has_value());
}

TEST(SkuCatalog, ReadersSeeKnownNamesWhileAWriterAddsMany) {
  SkuCatalog catalog;
  constexpr int kKnown = 1000;
  for (int i = 0; i < kKnown; ++i) catalog.Intern(Name(i));
  std::atomic<bool> done{false};
  std::atomic<int> wrong{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      while (!done.load()) {
        for (int i = 0; i < kKnown; ++i) {
          const auto idx = catalog.Find(Name(i));
          if (!idx || Raw(*idx) != static_cast<uint32_t>(i)) wrong.fetch_add(1);
        }
      }
    });
  }
  // Many doublings of the table while the readers run.
  for (int i = kKnown; i < 200'000; ++i) catalog.Intern(Name(i));
  done.store(true);
  for (auto& r : readers) r.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(catalog.size(), 200'000u);
}

}  // namespace
}  // namespace hourglass::alloc

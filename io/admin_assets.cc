#include "io/admin_assets.h"

// Each file is included byte for byte by the assembler (.incbin), between a
// start and an end label: no generated source, and no copy of a 300 KB
// GeoJSON file as a C++ literal. HOURGLASS_ADMIN_PAGE_DIR is set by CMake,
// which also rebuilds this file when a page file changes.
#define HOURGLASS_ASSET(name, file)                       \
  asm(".section .rodata\n"                                \
      ".global hourglass_asset_" #name                    \
      "_begin\n"                                          \
      "hourglass_asset_" #name                            \
      "_begin:\n"                                         \
      ".incbin \"" HOURGLASS_ADMIN_PAGE_DIR "/" file      \
      "\"\n"                                              \
      ".global hourglass_asset_" #name                    \
      "_end\n"                                            \
      "hourglass_asset_" #name                            \
      "_end:\n"                                           \
      ".previous\n");                                     \
  extern "C" const char hourglass_asset_##name##_begin[]; \
  extern "C" const char hourglass_asset_##name##_end[];

HOURGLASS_ASSET(index_html, "index.html")
HOURGLASS_ASSET(map_js, "map.js")
HOURGLASS_ASSET(china_geojson, "china.geojson")

namespace hourglass::io {
namespace {

// The files' hash (see CMakeLists.txt): ties this object to their content.
[[maybe_unused]] constexpr const char* kPageHash = HOURGLASS_ADMIN_PAGE_HASH;

std::string_view Bytes(const char* begin, const char* end) {
  return {begin, static_cast<size_t>(end - begin)};
}

}  // namespace

const AdminAsset* FindAdminAsset(std::string_view path) {
#define HOURGLASS_ASSET_BYTES(name) \
  Bytes(hourglass_asset_##name##_begin, hourglass_asset_##name##_end)
  static const AdminAsset kIndex{"text/html; charset=utf-8", HOURGLASS_ASSET_BYTES(index_html)};
  static const AdminAsset kScript{"text/javascript; charset=utf-8", HOURGLASS_ASSET_BYTES(map_js)};
  static const AdminAsset kChina{"application/geo+json", HOURGLASS_ASSET_BYTES(china_geojson)};
#undef HOURGLASS_ASSET_BYTES
  if (path == "/" || path == "/index.html") return &kIndex;
  if (path == "/map.js") return &kScript;
  if (path == "/china.geojson") return &kChina;
  return nullptr;
}

}  // namespace hourglass::io

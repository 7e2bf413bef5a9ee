// A store's attributes as text — one table of names, bounds and messages for
// every way a store arrives: a stores.csv row, a store.upsert request, a
// store event replayed from the journal or a snapshot.
#ifndef HOURGLASS_IO_STORE_FIELDS_H_
#define HOURGLASS_IO_STORE_FIELDS_H_

#include <simdjson.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "alloc/store_set.h"
#include "io/json_writer.h"

namespace hourglass::io {

// Every attribute a store may have besides its id, in the order written.
inline constexpr std::string_view kStoreFields[] = {
    "lat",    "lon",  "radius_km",         "prep_min", "city", "tier",
    "dealer", "open", "capacity_per_hour", "paused",   "zone"};

// Sets `key` of `store` from `text` (empty text leaves the default); "" when
// it took, else why not (e.g. `must be within [-90, 90]`). A zone names a
// GeoJSON file relative to `base_dir`, loaded now.
std::string SetStoreField(alloc::Store& store, std::string_view key, std::string_view text,
                          const std::filesystem::path& base_dir);

// Writes the attributes above as JSON fields (and "removed" when it is), so
// ReadStoreRecord reads them back.
void WriteStoreFields(JsonWriter& w, const alloc::Store& store);

// A whole store from a JSON object with "store" (the id) and the fields above;
// "" or why not. Used for journal events and snapshot records.
std::string ReadStoreRecord(const simdjson::dom::element& record,
                            const std::filesystem::path& base_dir, alloc::Store& out);

// The text SetStoreField expects for a JSON value (a number, true/false, a string).
std::string FieldText(const simdjson::dom::element& value);

}  // namespace hourglass::io

#endif  // HOURGLASS_IO_STORE_FIELDS_H_

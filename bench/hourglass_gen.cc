// hourglass-gen: deterministic generator of a realistic "cloud store" data set for China, used
// to benchmark and demo the Hourglass router on data shaped like production (dense big cities,
// a few best sellers stocked everywhere, a long patchy tail).
//
// Outputs, in --out:
//   stores.csv     store_id,lat,lon,city        (city always double-quoted, "" escapes a quote)
//   stock.csv      store_id,sku,on_hand         (stores in id order, SKUs ascending per store)
//   orders.ndjson  one {"op":"route",...} request per line
//   with --flash-orders N:  flash.ndjson          hot-SKU flash sale: one SKU, one city
//   with --stock-updates N: stock_updates.ndjson  POS levels, one {"op":"stock.set",...} per line
// With --radius-km A-B, stores.csv gains a radius_km column (uniform in [A, B]); --preset peers
// sets the shape the Redis and PostGIS baselines in bench/peers/ are measured on.
//
// Model:
//   * Cities: the --cities most populous rows of --cities-csv (GeoNames extract).
//   * Stores: every city gets one store; the rest are apportioned by population with the
//     largest-remainder method in exact integer arithmetic. Ids follow city rank, so S-0001 is
//     in the largest city. Each store sits uniformly in a disk around the city centre of
//     radius min(25, 3 + 2 * sqrt(pop / 1e6)) km (111.32 km per degree of latitude, times
//     cos(lat) for longitude).
//   * SKUs: SKU-00001 is rank 1, the most popular. Demand weight is rank^-1.0 (Zipf).
//   * Stock: each store targets k = per-store * U[0.9, 1.1] distinct SKUs. SKU of rank r is
//     stocked independently with probability min(1, c * r^-0.7), where c is solved per store so
//     the expected count is exactly k (sampled by geometric skips + thinning, see StockModel).
//     on_hand is uniform in 0..max-qty.
//   * Orders: city by population weight, location in the same disk as stores, 1-5 distinct
//     items (P .35/.25/.18/.12/.10) by demand weight (duplicates redrawn), qty 1-3
//     (P .7/.2/.1). With --max-items N other than 5: 1-N items, P(n) proportional to 0.75^(n-1).
//   * Flash sale: --flash-orders orders for qty 1 of the SKU of rank --flash-sku, all placed in
//     the city of rank --flash-city (ids F-1, F-2, ...).
//   * POS updates: each picks a store uniformly, then one of the SKUs it stocks uniformly, and
//     sets on_hand uniform in 0..max-qty (a count after sales and deliveries).
//
// Determinism: same flags + seed => byte-identical files on any machine. The only randomness is
// std::mt19937_64 (fully specified by the standard); <random> distributions are avoided because
// their output is implementation-defined. The only floating-point operations are + - * / and
// sqrt (plus the exact frexp), which IEEE 754 rounds exactly, so no libm transcendental can
// differ between platforms: pow uses a sqrt chain, cos a Taylor series, log an atanh series, and
// the disk rejection sampling. Placement, stock, orders, radii, flash orders and POS updates
// draw from separate streams, so e.g. changing --orders leaves stores.csv and stock.csv
// untouched, and the new flags leave the three original files as they were.

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace {

namespace fs = std::filesystem;

constexpr char kProgram[] = "hourglass-gen";

// ---------------------------------------------------------------------------------------------
// Errors

// Bad usage (flags or values): exit code 2.
[[noreturn]] void UsageError(const std::string& message) {
  std::fprintf(stderr, "%s: %s (see --help)\n", kProgram, message.c_str());
  std::exit(2);
}

// Runtime failure (unreadable input, write error): exit code 1.
[[noreturn]] void Fatal(const std::string& message) {
  std::fprintf(stderr, "%s: %s\n", kProgram, message.c_str());
  std::exit(1);
}

// ---------------------------------------------------------------------------------------------
// Options and flag parsing

struct Options {
  uint64_t seed = 42;
  uint64_t stores = 4000;
  uint64_t cities = 480;
  uint64_t skus = 20000;
  uint64_t per_store = 2000;
  uint64_t orders = 10000;
  uint64_t max_qty = 40;
  uint64_t max_items = 5;
  uint64_t flash_orders = 0;
  uint64_t flash_sku = 1;   // rank, 1 = the best seller
  uint64_t flash_city = 1;  // rank, 1 = the most populous
  uint64_t stock_updates = 0;
  std::optional<std::pair<double, double>> radius_km;  // writes a radius_km column
  std::string cities_csv = "configs/data/cn_cities.csv";
  std::string out = "demo";
};

struct NumericFlag {
  std::string_view name;
  uint64_t Options::*field;
  uint64_t min;
  uint64_t max;
};

// Upper bounds keep intermediate integer products (e.g. stores * population) far from overflow.
constexpr NumericFlag kNumericFlags[] = {
    {"--seed", &Options::seed, 0, UINT64_MAX},
    {"--stores", &Options::stores, 1, 10'000'000},
    {"--cities", &Options::cities, 1, 1'000'000},
    {"--skus", &Options::skus, 1, 10'000'000},
    {"--per-store", &Options::per_store, 1, 10'000'000},
    {"--orders", &Options::orders, 0, 100'000'000},
    {"--max-qty", &Options::max_qty, 0, 1'000'000'000},
    {"--max-items", &Options::max_items, 1, 100},
    {"--flash-orders", &Options::flash_orders, 0, 100'000'000},
    {"--flash-sku", &Options::flash_sku, 1, 10'000'000},
    {"--flash-city", &Options::flash_city, 1, 1'000'000},
    {"--stock-updates", &Options::stock_updates, 0, 100'000'000},
};

// Largest delivery radius --radius-km accepts; the daemon's own bound is far above it.
constexpr double kMaxRadiusKm = 100;

// --preset peers: the shape of the Redis/PostGIS baselines (bench/peers/): 5,000 stores in 480
// cities, 20,000 SKUs, ~2,000 stocked per store (about 10 million stock rows, qty 0-50),
// 200,000 orders of 1-5 lines, and delivery radii of 3-8 km.
void ApplyPeersPreset(Options& opt) {
  opt.stores = 5000;
  opt.cities = 480;
  opt.skus = 20000;
  opt.per_store = 2000;
  opt.orders = 200000;
  opt.max_qty = 50;
  opt.max_items = 5;
  opt.radius_km = std::pair{3.0, 8.0};
}

constexpr char kUsage[] = R"(usage: hourglass-gen [--flag value]...

Generates a deterministic synthetic store/stock/order data set for China.

  --cities-csv PATH  cities CSV (geonameid,name,admin1,population,lat,lon)
                     [configs/data/cn_cities.csv]
  --seed N           random seed [42]
  --stores N         number of stores, at least --cities [4000]
  --cities N         use the N most populous cities [480]
  --skus N           catalogue size [20000]
  --per-store N      average distinct SKUs stocked per store, at most --skus [2000]
  --orders N         number of route orders [10000]
  --max-qty N        max on_hand per stock row [40]
  --max-items N      items per order: 1-5 as in a shop basket when 5, else 1-N with
                     P(n) ~ 0.75^(n-1) [5]
  --radius-km A-B    add a radius_km column to stores.csv, uniform in [A, B] km [none:
                     the daemon's [rules] radius_km applies]
  --flash-orders N   also write flash.ndjson: N orders for one unit of one SKU, all in one
                     city (a flash sale) [0]
  --flash-sku RANK   the flash sale's SKU, by popularity rank [1]
  --flash-city RANK  the flash sale's city, by population rank [1]
  --stock-updates N  also write stock_updates.ndjson: N POS stock.set lines, each for a
                     (store, SKU) the store stocks, in time order [0]
  --preset peers     the bench/peers/ shape: --stores 5000 --cities 480 --skus 20000
                     --per-store 2000 --orders 200000 --max-qty 50 --radius-km 3-8
                     (flags after it override it)
  --out DIR          output directory, created if missing [demo]
  --help             print this help

Writes stores.csv, stock.csv and orders.ndjson into DIR (and the optional files above).
)";

// "A-B" with 0 < A <= B <= kMaxRadiusKm.
std::optional<std::pair<double, double>> ParseRadiusRange(std::string_view text) {
  const size_t dash = text.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  double lo = 0;
  double hi = 0;
  const std::string_view a = text.substr(0, dash);
  const std::string_view b = text.substr(dash + 1);
  const auto ra = std::from_chars(a.data(), a.data() + a.size(), lo);
  const auto rb = std::from_chars(b.data(), b.data() + b.size(), hi);
  if (a.empty() || b.empty() || ra.ec != std::errc() || ra.ptr != a.data() + a.size() ||
      rb.ec != std::errc() || rb.ptr != b.data() + b.size()) {
    return std::nullopt;
  }
  if (!(lo > 0 && lo <= hi && hi <= kMaxRadiusKm)) return std::nullopt;
  return std::pair{lo, hi};
}

std::optional<uint64_t> ParseUint(std::string_view text) {
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

void SetNumericFlag(Options& opt, const NumericFlag& flag, std::string_view value) {
  const std::optional<uint64_t> parsed = ParseUint(value);
  if (!parsed || *parsed < flag.min || *parsed > flag.max) {
    UsageError("bad value '" + std::string(value) + "' for " + std::string(flag.name) +
               " (expected an integer in " + std::to_string(flag.min) + ".." +
               std::to_string(flag.max) + ")");
  }
  opt.*flag.field = *parsed;
}

Options ParseArgs(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string_view name = argv[i];
    if (name == "--help" || name == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    const auto numeric = std::find_if(std::begin(kNumericFlags), std::end(kNumericFlags),
                                      [&](const NumericFlag& f) { return f.name == name; });
    const bool known = numeric != std::end(kNumericFlags) || name == "--cities-csv" ||
                       name == "--out" || name == "--radius-km" || name == "--preset";
    if (!known) UsageError("unknown flag '" + std::string(name) + "'");
    if (i + 1 >= argc) UsageError("missing value for " + std::string(name));
    const std::string_view value = argv[++i];
    if (numeric != std::end(kNumericFlags)) {
      SetNumericFlag(opt, *numeric, value);
    } else if (value.empty()) {
      UsageError("empty value for " + std::string(name));
    } else if (name == "--cities-csv") {
      opt.cities_csv = value;
    } else if (name == "--radius-km") {
      opt.radius_km = ParseRadiusRange(value);
      if (!opt.radius_km) {
        UsageError("bad value '" + std::string(value) +
                   "' for --radius-km (expected MIN-MAX km, 0 < MIN <= MAX <= " +
                   std::to_string(static_cast<int>(kMaxRadiusKm)) + ", e.g. 3-8)");
      }
    } else if (name == "--preset") {
      if (value != "peers") {
        UsageError("bad value '" + std::string(value) + "' for --preset (expected peers)");
      }
      ApplyPeersPreset(opt);
    } else {
      opt.out = value;
    }
  }
  if (opt.per_store > opt.skus) UsageError("--per-store must not exceed --skus");
  if (opt.flash_sku > opt.skus) UsageError("--flash-sku must not exceed --skus");
  if (opt.flash_city > opt.cities) UsageError("--flash-city must not exceed --cities");
  if (opt.stores < opt.cities) {
    UsageError("--stores (" + std::to_string(opt.stores) + ") must be at least --cities (" +
               std::to_string(opt.cities) + "): every city gets a store");
  }
  return opt;
}

// ---------------------------------------------------------------------------------------------
// Randomness

// SplitMix64 turns (seed, stream) into well-mixed, independent engine seeds.
uint64_t StreamSeed(uint64_t seed, uint64_t stream) {
  uint64_t z = seed + stream * 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

enum Stream : uint64_t {
  kPlacementStream = 1,
  kStockStream = 2,
  kOrderStream = 3,
  kRadiusStream = 4,
  kFlashStream = 5,
  kUpdateStream = 6,
};

// Thin wrapper over mt19937_64 whose derived values are computed by hand, so they are identical
// with every standard library.
class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}

  // Uniform in [0, 1) with 53 random bits.
  double Uniform01() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

  // Uniform integer in [0, n); n must be > 0. Bias is below 2^-53 * n, irrelevant here.
  uint64_t Below(uint64_t n) {
    const auto k = static_cast<uint64_t>(Uniform01() * static_cast<double>(n));
    return std::min(k, n - 1);
  }

 private:
  std::mt19937_64 engine_;
};

// Picks an index with probability proportional to its weight (cumulative sums + binary search).
class WeightedPicker {
 public:
  explicit WeightedPicker(const std::vector<double>& weights) : cumulative_(weights.size()) {
    std::partial_sum(weights.begin(), weights.end(), cumulative_.begin());
  }

  size_t Pick(Rng& rng) const {
    const double target = rng.Uniform01() * cumulative_.back();
    const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), target);
    return std::min(static_cast<size_t>(it - cumulative_.begin()), cumulative_.size() - 1);
  }

 private:
  std::vector<double> cumulative_;
};

// Returns 1 + the number of thresholds <= a uniform draw: a small fixed discrete distribution.
template <size_t N>
uint32_t PickFromThresholds(const std::array<double, N>& thresholds, Rng& rng) {
  const double u = rng.Uniform01();
  const auto it = std::upper_bound(thresholds.begin(), thresholds.end(), u);
  return 1 + static_cast<uint32_t>(it - thresholds.begin());
}

// ---------------------------------------------------------------------------------------------
// Platform-independent math (only exactly rounded IEEE operations)

// base^exponent for base >= 1, exponent >= 0. The fractional part is built from repeated square
// roots (base^(1/2), base^(1/4), ...), one per binary digit of the exponent.
double DetPow(double base, double exponent) {
  double result = 1.0;
  const auto whole = static_cast<uint64_t>(exponent);
  for (uint64_t i = 0; i < whole; ++i) result *= base;
  double fraction = exponent - static_cast<double>(whole);
  double root = base;
  for (int bit = 0; bit < 52 && fraction > 0; ++bit) {
    root = std::sqrt(root);
    fraction *= 2;
    if (fraction >= 1) {
      result *= root;
      fraction -= 1;
    }
  }
  return result;
}

// cos(x) by Taylor series; accurate to a few ulps for |x| <= pi/2 (any latitude).
double DetCos(double x) {
  const double x2 = x * x;
  double term = 1.0;
  double sum = 1.0;
  for (int n = 1; n <= 14; ++n) {
    term *= -x2 / static_cast<double>((2 * n - 1) * (2 * n));
    sum += term;
  }
  return sum;
}

// 1 / (2k + 1), the atanh series coefficients; computed at compile time (exactly rounded).
constexpr std::array<double, 13> kInverseOdd = [] {
  std::array<double, 13> c{};
  for (size_t k = 0; k < c.size(); ++k) c[k] = 1.0 / static_cast<double>(2 * k + 1);
  return c;
}();

// Natural log for x > 0: exact frexp split into m * 2^e with m in [sqrt(1/2), sqrt(2)), then
// log(m) = 2 * atanh(s), s = (m - 1) / (m + 1), summed as a series in Horner form (|s| < 0.18).
double DetLog(double x) {
  int exponent = 0;
  double m = std::frexp(x, &exponent);
  if (m < 0.70710678118654752) {
    m *= 2;
    --exponent;
  }
  const double s = (m - 1) / (m + 1);
  const double s2 = s * s;
  double series = 0;
  for (size_t k = kInverseOdd.size(); k-- > 0;) series = series * s2 + kInverseOdd[k];
  return 2 * s * series + exponent * 0.69314718055994530942;
}

// ---------------------------------------------------------------------------------------------
// Cities CSV

struct City {
  std::string name;
  uint64_t population = 0;
  double lat = 0;
  double lon = 0;
};

constexpr std::array<std::string_view, 6> kCityHeader = {"geonameid",  "name", "admin1",
                                                         "population", "lat",  "lon"};

// Splits one CSV record. Fields may be double-quoted, with "" for an embedded quote.
std::optional<std::vector<std::string>> SplitCsv(std::string_view line) {
  std::vector<std::string> fields;
  size_t i = 0;
  while (true) {
    std::string field;
    if (i < line.size() && line[i] == '"') {
      for (++i;; ++i) {
        if (i >= line.size()) return std::nullopt;  // Unterminated quote.
        if (line[i] != '"') {
          field += line[i];
        } else if (i + 1 < line.size() && line[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          ++i;
          break;
        }
      }
      if (i < line.size() && line[i] != ',') return std::nullopt;  // Junk after the quote.
    } else {
      const size_t comma = std::min(line.find(',', i), line.size());
      field.assign(line.substr(i, comma - i));
      i = comma;
    }
    fields.push_back(std::move(field));
    if (i >= line.size()) return fields;
    ++i;  // Skip the comma.
  }
}

template <typename T>
bool ParseNumber(const std::string& text, T& value) {
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  return !text.empty() && ec == std::errc() && ptr == end;
}

[[noreturn]] void CsvError(const std::string& path, size_t line_no, const std::string& what) {
  Fatal(path + ":" + std::to_string(line_no) + ": " + what);
}

City ParseCityRow(const std::vector<std::string>& f, const std::string& path, size_t line_no) {
  if (f.size() != kCityHeader.size()) {
    CsvError(path, line_no, "expected 6 fields, got " + std::to_string(f.size()));
  }
  City city;
  city.name = f[1];
  uint64_t geonameid = 0;
  if (!ParseNumber(f[0], geonameid)) CsvError(path, line_no, "bad geonameid '" + f[0] + "'");
  if (city.name.empty()) CsvError(path, line_no, "empty city name");
  if (!ParseNumber(f[3], city.population) || city.population > 10'000'000'000ULL) {
    CsvError(path, line_no, "bad population '" + f[3] + "'");
  }
  if (!ParseNumber(f[4], city.lat) || !(city.lat >= -89 && city.lat <= 89)) {
    CsvError(path, line_no, "bad lat '" + f[4] + "'");
  }
  if (!ParseNumber(f[5], city.lon) || !(city.lon >= -180 && city.lon <= 180)) {
    CsvError(path, line_no, "bad lon '" + f[5] + "'");
  }
  return city;
}

// Loads all cities, most populous first (stable, so ties keep file order).
std::vector<City> LoadCities(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Fatal("cannot open cities CSV '" + path + "'");
  std::vector<City> cities;
  std::string line;
  size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const auto fields = SplitCsv(line);
    if (!fields) CsvError(path, line_no, "malformed quoting");
    if (line_no == 1) {
      if (!std::equal(fields->begin(), fields->end(), kCityHeader.begin(), kCityHeader.end())) {
        CsvError(path, line_no, "expected header geonameid,name,admin1,population,lat,lon");
      }
      continue;
    }
    cities.push_back(ParseCityRow(*fields, path, line_no));
  }
  if (in.bad()) Fatal("error reading '" + path + "'");
  if (cities.empty()) Fatal(path + ": no city rows");
  std::stable_sort(cities.begin(), cities.end(),
                   [](const City& a, const City& b) { return a.population > b.population; });
  return cities;
}

// ---------------------------------------------------------------------------------------------
// Geography

struct Point {
  double lat = 0;
  double lon = 0;
};

constexpr double kKmPerDegree = 111.32;
constexpr double kRadiansPerDegree = 3.14159265358979323846 / 180.0;

// Bigger cities sprawl further: 3 km + 2 km * sqrt(pop in millions), capped at 25 km.
double SpreadKm(uint64_t population) {
  const double millions = static_cast<double>(population) / 1e6;
  return std::min(25.0, 3.0 + 2.0 * std::sqrt(millions));
}

// Uniform point in the city's disk. Rejection sampling in the unit square avoids trig.
Point Scatter(const City& city, Rng& rng) {
  double x = 0;
  double y = 0;
  do {
    x = 2 * rng.Uniform01() - 1;
    y = 2 * rng.Uniform01() - 1;
  } while (x * x + y * y > 1);
  const double radius = SpreadKm(city.population);
  const double km_per_deg_lon = kKmPerDegree * DetCos(city.lat * kRadiansPerDegree);
  return {city.lat + y * radius / kKmPerDegree, city.lon + x * radius / km_per_deg_lon};
}

// Sampling weight of a city: population, but never zero.
double CityWeight(const City& city) {
  return static_cast<double>(std::max<uint64_t>(city.population, 1));
}

// ---------------------------------------------------------------------------------------------
// Output

// Buffered file writer: rows are built in a large std::string and written in big chunks.
class Writer {
 public:
  explicit Writer(fs::path path) : path_(std::move(path)) {
    file_ = std::fopen(path_.string().c_str(), "wb");
    if (file_ == nullptr) Fatal("cannot create '" + path_.string() + "'");
    buf_.reserve(kFlushBytes + 4096);
  }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  ~Writer() {
    if (file_ != nullptr) std::fclose(file_);
  }

  void Put(std::string_view s) { buf_.append(s); }
  void Put(char c) { buf_.push_back(c); }

  void PutUint(uint64_t v) {
    char tmp[24];
    const auto result = std::to_chars(tmp, tmp + sizeof tmp, v);
    buf_.append(tmp, result.ptr);
  }

  // Fixed decimals; std::to_chars is exact and ignores the locale.
  void PutFixed(double v, int decimals) {
    char tmp[64];
    const auto result = std::to_chars(tmp, tmp + sizeof tmp, v, std::chars_format::fixed, decimals);
    buf_.append(tmp, result.ptr);
  }
  void PutCoord(double v) { PutFixed(v, 6); }

  // CSV field, always quoted, embedded quotes doubled.
  void PutQuoted(std::string_view s) {
    buf_.push_back('"');
    for (char c : s) {
      if (c == '"') buf_.push_back('"');
      buf_.push_back(c);
    }
    buf_.push_back('"');
  }

  void EndLine() {
    buf_.push_back('\n');
    if (buf_.size() >= kFlushBytes) Flush();
  }

  void Close() {
    Flush();
    const int rc = std::fclose(file_);
    file_ = nullptr;
    if (rc != 0) Fatal("error closing '" + path_.string() + "'");
  }

 private:
  static constexpr size_t kFlushBytes = size_t{1} << 22;

  void Flush() {
    if (std::fwrite(buf_.data(), 1, buf_.size(), file_) != buf_.size()) {
      Fatal("error writing '" + path_.string() + "'");
    }
    buf_.clear();
  }

  fs::path path_;
  std::FILE* file_ = nullptr;
  std::string buf_;
};

size_t DecimalDigits(uint64_t n) { return std::to_string(n).size(); }

// prefix + n zero-padded to width, e.g. ("S-", 7, 4) -> "S-0007".
std::string FormatId(std::string_view prefix, uint64_t n, size_t width) {
  std::string digits = std::to_string(n);
  if (digits.size() < width) digits.insert(0, width - digits.size(), '0');
  return std::string(prefix) + digits;
}

std::vector<std::string> MakeSkuNames(uint64_t skus) {
  const size_t width = std::max<size_t>(5, DecimalDigits(skus));
  std::vector<std::string> names;
  names.reserve(skus);
  for (uint64_t r = 1; r <= skus; ++r) names.push_back(FormatId("SKU-", r, width));
  return names;
}

// ---------------------------------------------------------------------------------------------
// Stores

struct Store {
  std::string id;
  size_t city = 0;
  Point where;
  double radius_km = 0;  // only written with --radius-km
};

// Stores per city: one each, the rest by largest-remainder apportionment on population. Integer
// arithmetic makes the result exact; ties go to the more populous city.
std::vector<uint64_t> ApportionStores(const std::vector<City>& cities, uint64_t stores) {
  const uint64_t extra = stores - cities.size();
  uint64_t total = 0;
  for (const City& c : cities) total += std::max<uint64_t>(c.population, 1);
  std::vector<uint64_t> counts(cities.size());
  std::vector<uint64_t> remainder(cities.size());
  uint64_t given = 0;
  for (size_t i = 0; i < cities.size(); ++i) {
    const uint64_t share = extra * std::max<uint64_t>(cities[i].population, 1);
    counts[i] = 1 + share / total;
    remainder[i] = share % total;
    given += share / total;
  }
  std::vector<size_t> order(cities.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return remainder[a] > remainder[b]; });
  for (uint64_t k = 0; k < extra - given; ++k) ++counts[order[k]];
  return counts;
}

std::vector<Store> PlaceStores(const std::vector<City>& cities, const Options& opt) {
  const std::vector<uint64_t> counts = ApportionStores(cities, opt.stores);
  const size_t width = std::max<size_t>(4, DecimalDigits(opt.stores));
  Rng rng(StreamSeed(opt.seed, kPlacementStream));
  std::vector<Store> stores;
  stores.reserve(opt.stores);
  for (size_t c = 0; c < cities.size(); ++c) {
    for (uint64_t k = 0; k < counts[c]; ++k) {
      stores.push_back({FormatId("S-", stores.size() + 1, width), c, Scatter(cities[c], rng)});
    }
  }
  if (opt.radius_km) {
    // Its own stream, so adding the column moves no store.
    Rng radius_rng(StreamSeed(opt.seed, kRadiusStream));
    const auto [lo, hi] = *opt.radius_km;
    for (Store& s : stores) s.radius_km = lo + (hi - lo) * radius_rng.Uniform01();
  }
  return stores;
}

void WriteStores(const fs::path& path, const std::vector<Store>& stores,
                 const std::vector<City>& cities, bool with_radius) {
  Writer out(path);
  out.Put(with_radius ? "store_id,lat,lon,city,radius_km" : "store_id,lat,lon,city");
  out.EndLine();
  for (const Store& s : stores) {
    out.Put(s.id);
    out.Put(',');
    out.PutCoord(s.where.lat);
    out.Put(',');
    out.PutCoord(s.where.lon);
    out.Put(',');
    out.PutQuoted(cities[s.city].name);
    if (with_radius) {
      out.Put(',');
      out.PutFixed(s.radius_km, 3);
    }
    out.EndLine();
  }
  out.Close();
}

// ---------------------------------------------------------------------------------------------
// Stock

// Per-SKU Bernoulli stocking with P(rank r) = min(1, c * r^-exponent). Weights decrease with
// rank, so for a given c the first SKUs are certain and only the tail is random; knee_ finds
// that split and c for any target count with one binary search.
//
// Drawing one coin per tail SKU would cost ~20k generator calls per store, so the tail is cut
// into blocks whose weights stay within kBlockRatio of the block's first weight. Inside a block,
// candidates come from a Bernoulli process at the block's maximum probability q (geometric
// skips, memoryless so it restarts cleanly at each block), and each candidate is kept with
// probability p_i / q. The result has exactly the per-SKU Bernoulli distribution.
class StockModel {
 public:
  StockModel(size_t skus, double exponent)
      : weight_(skus), tail_(skus + 1, 0.0), knee_(skus), block_end_(skus) {
    for (size_t i = 0; i < skus; ++i) {
      weight_[i] = 1.0 / DetPow(static_cast<double>(i + 1), exponent);
    }
    for (size_t i = skus; i-- > 0;) tail_[i] = tail_[i + 1] + weight_[i];
    // knee_[j]: expected count when c = 1 / weight_[j], i.e. SKUs 0..j are just certain.
    for (size_t j = 0; j < skus; ++j) {
      knee_[j] = static_cast<double>(j + 1) + tail_[j + 1] / weight_[j];
    }
    // block_end_[i]: first SKU whose weight drops below kBlockRatio * weight_[i].
    size_t end = 0;
    for (size_t i = 0; i < skus; ++i) {
      end = std::max(end, i + 1);
      while (end < skus && weight_[end] >= kBlockRatio * weight_[i]) ++end;
      block_end_[i] = end;
    }
  }

  // Fills `picked` with the ascending SKU indices stocked by a store expecting `target` SKUs.
  void Sample(double target, Rng& rng, std::vector<uint32_t>& picked) const {
    const size_t n = weight_.size();
    target = std::clamp(target, 1.0, static_cast<double>(n));
    // SKUs [0, certain) have probability 1; c is then chosen so the total expectation is exact.
    const size_t certain = std::lower_bound(knee_.begin(), knee_.end(), target) - knee_.begin();
    const double c = (target - static_cast<double>(certain)) / tail_[certain];
    picked.clear();
    for (size_t i = 0; i < certain; ++i) picked.push_back(static_cast<uint32_t>(i));
    for (size_t begin = certain; begin < n; begin = block_end_[begin]) {
      SampleBlock(begin, c, rng, picked);
    }
  }

 private:
  static constexpr double kBlockRatio = 0.9;

  void SampleBlock(size_t begin, double c, Rng& rng, std::vector<uint32_t>& picked) const {
    const size_t end = block_end_[begin];
    // Capping q just below 1 keeps log(1 - q) finite; it only matters for c * w == 1.
    const double q = std::min(c * weight_[begin], 1.0 - 0x1.0p-53);
    const double log_miss = DetLog(1.0 - q);
    for (size_t i = begin;; ++i) {
      i += GeometricSkip(rng, log_miss, end - i);
      if (i >= end) return;
      if (rng.Uniform01() * weight_[begin] < weight_[i]) {
        picked.push_back(static_cast<uint32_t>(i));
      }
    }
  }

  // Failures before the next success of a Bernoulli process with log(P(failure)) = log_miss,
  // capped at `limit` (inverse CDF of the geometric distribution).
  static size_t GeometricSkip(Rng& rng, double log_miss, size_t limit) {
    const double skip = DetLog(1.0 - rng.Uniform01()) / log_miss;
    if (!(skip >= 0 && skip < static_cast<double>(limit))) return limit;
    return static_cast<size_t>(skip);
  }

  std::vector<double> weight_;
  std::vector<double> tail_;  // tail_[m] = sum of weights of SKUs m..n-1.
  std::vector<double> knee_;
  std::vector<size_t> block_end_;
};

constexpr double kStockExponent = 0.7;
constexpr double kDemandExponent = 1.0;

// POS stock updates, in time order. Each update's store is drawn up front; its SKU is drawn
// from what that store stocks while the store's rows are generated (so nothing but the
// updates is kept), from the updates' own stream.
class StockUpdates {
 public:
  StockUpdates(const Options& opt, size_t stores)
      : rng_(StreamSeed(opt.seed, kUpdateStream)),
        max_qty_(opt.max_qty),
        store_(opt.stock_updates),
        sku_(opt.stock_updates),
        on_hand_(opt.stock_updates),
        first_(stores + 1, 0),
        slots_(opt.stock_updates) {
    for (auto& s : store_) s = static_cast<uint32_t>(rng_.Below(stores));
    // Counting sort of the updates by store: slots_[first_[s] .. first_[s + 1]) are store s's.
    for (const uint32_t s : store_) ++first_[s + 1];
    std::partial_sum(first_.begin(), first_.end(), first_.begin());
    std::vector<uint64_t> next(first_.begin(), first_.end() - 1);
    for (uint64_t u = 0; u < store_.size(); ++u) slots_[next[store_[u]]++] = u;
  }

  // Called once per store, in store order, with the SKUs it stocks.
  void OnStore(size_t store, const std::vector<uint32_t>& picked) {
    for (uint64_t k = first_[store]; k < first_[store + 1]; ++k) {
      const uint64_t u = slots_[k];
      // A store stocking nothing gets a delivery of the best seller.
      sku_[u] = picked.empty() ? 0 : picked[rng_.Below(picked.size())];
      on_hand_[u] = rng_.Below(max_qty_ + 1);
    }
  }

  void Write(const fs::path& path, const std::vector<Store>& stores,
             const std::vector<std::string>& sku_names) const {
    Writer out(path);
    for (uint64_t u = 0; u < store_.size(); ++u) {
      out.Put(R"({"op":"stock.set","store":")");
      out.Put(stores[store_[u]].id);
      out.Put(R"(","sku":")");
      out.Put(sku_names[sku_[u]]);
      out.Put(R"(","on_hand":)");
      out.PutUint(on_hand_[u]);
      out.Put('}');
      out.EndLine();
    }
    out.Close();
  }

 private:
  Rng rng_;
  uint64_t max_qty_;
  std::vector<uint32_t> store_;
  std::vector<uint32_t> sku_;
  std::vector<uint64_t> on_hand_;
  std::vector<uint64_t> first_;
  std::vector<uint64_t> slots_;
};

uint64_t WriteStock(const fs::path& path, const Options& opt, const std::vector<Store>& stores,
                    const std::vector<std::string>& sku_names, StockUpdates* updates) {
  const StockModel model(sku_names.size(), kStockExponent);
  Rng rng(StreamSeed(opt.seed, kStockStream));
  Writer out(path);
  out.Put("store_id,sku,on_hand");
  out.EndLine();
  std::vector<uint32_t> picked;
  uint64_t rows = 0;
  for (size_t s = 0; s < stores.size(); ++s) {
    const Store& store = stores[s];
    const double target = static_cast<double>(opt.per_store) * (0.9 + 0.2 * rng.Uniform01());
    model.Sample(target, rng, picked);
    if (updates != nullptr) updates->OnStore(s, picked);
    for (uint32_t sku : picked) {
      out.Put(store.id);
      out.Put(',');
      out.Put(sku_names[sku]);
      out.Put(',');
      out.PutUint(rng.Below(opt.max_qty + 1));
      out.EndLine();
    }
    rows += picked.size();
  }
  out.Close();
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Orders

constexpr std::array<double, 4> kItemCountThresholds = {0.35, 0.60, 0.78, 0.90};
constexpr std::array<double, 2> kQtyThresholds = {0.70, 0.90};

struct OrderItem {
  uint32_t sku = 0;
  uint32_t qty = 0;
};

// How many lines an order has: the shop-basket thresholds for 1-5 (the original model, kept
// byte for byte), else P(n) proportional to 0.75^(n-1) for n in 1..max_items.
class ItemCount {
 public:
  explicit ItemCount(uint64_t max_items) : max_items_(max_items), picker_(Weights(max_items)) {}
  size_t Draw(Rng& rng) const {
    if (max_items_ == kItemCountThresholds.size() + 1) {
      return PickFromThresholds(kItemCountThresholds, rng);
    }
    return picker_.Pick(rng) + 1;
  }

 private:
  static std::vector<double> Weights(uint64_t n) {
    std::vector<double> w(n);
    double x = 1;
    for (double& v : w) {
      v = x;
      x *= 0.75;
    }
    return w;
  }
  uint64_t max_items_;
  WeightedPicker picker_;
};

// Distinct items by demand popularity; a duplicate SKU is simply redrawn.
void DrawItems(const WeightedPicker& demand, const ItemCount& item_count, size_t skus, Rng& rng,
               std::vector<OrderItem>& items) {
  const size_t count = std::min<size_t>(item_count.Draw(rng), skus);
  items.clear();
  while (items.size() < count) {
    const auto sku = static_cast<uint32_t>(demand.Pick(rng));
    const bool seen =
        std::any_of(items.begin(), items.end(), [&](const OrderItem& it) { return it.sku == sku; });
    if (!seen) items.push_back({sku, PickFromThresholds(kQtyThresholds, rng)});
  }
}

void PutOrder(Writer& out, std::string_view id_prefix, uint64_t number, Point where,
              const std::vector<OrderItem>& items, const std::vector<std::string>& sku_names) {
  out.Put(R"({"op":"route","order":")");
  out.Put(id_prefix);
  out.PutUint(number);
  out.Put(R"(","lat":)");
  out.PutCoord(where.lat);
  out.Put(R"(,"lon":)");
  out.PutCoord(where.lon);
  out.Put(R"(,"items":[)");
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out.Put(',');
    out.Put(R"({"sku":")");
    out.Put(sku_names[items[i].sku]);
    out.Put(R"(","qty":)");
    out.PutUint(items[i].qty);
    out.Put('}');
  }
  out.Put("]}");
  out.EndLine();
}

void WriteOrders(const fs::path& path, const Options& opt, const std::vector<City>& cities,
                 const std::vector<std::string>& sku_names) {
  std::vector<double> city_weights;
  for (const City& c : cities) city_weights.push_back(CityWeight(c));
  std::vector<double> demand_weights;
  for (size_t r = 1; r <= sku_names.size(); ++r) {
    demand_weights.push_back(1.0 / DetPow(static_cast<double>(r), kDemandExponent));
  }
  const WeightedPicker city_picker(city_weights);
  const WeightedPicker demand(demand_weights);
  const ItemCount item_count(opt.max_items);
  Rng rng(StreamSeed(opt.seed, kOrderStream));
  Writer out(path);
  std::vector<OrderItem> items;
  for (uint64_t n = 1; n <= opt.orders; ++n) {
    const Point where = Scatter(cities[city_picker.Pick(rng)], rng);
    DrawItems(demand, item_count, sku_names.size(), rng, items);
    PutOrder(out, "O-", n, where, items, sku_names);
  }
  out.Close();
}

// A flash sale: everybody in one city wants one unit of the same SKU.
void WriteFlashOrders(const fs::path& path, const Options& opt, const std::vector<City>& cities,
                      const std::vector<std::string>& sku_names) {
  const City& city = cities[opt.flash_city - 1];
  const std::vector<OrderItem> items = {{static_cast<uint32_t>(opt.flash_sku - 1), 1}};
  Rng rng(StreamSeed(opt.seed, kFlashStream));
  Writer out(path);
  for (uint64_t n = 1; n <= opt.flash_orders; ++n) {
    PutOrder(out, "F-", n, Scatter(city, rng), items, sku_names);
  }
  out.Close();
}

// ---------------------------------------------------------------------------------------------

std::vector<City> ChooseCities(const Options& opt) {
  std::vector<City> cities = LoadCities(opt.cities_csv);
  if (opt.cities > cities.size()) {
    UsageError("--cities " + std::to_string(opt.cities) + " exceeds the " +
               std::to_string(cities.size()) + " cities in '" + opt.cities_csv + "'");
  }
  cities.resize(opt.cities);
  return cities;
}

void CreateOutDir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) Fatal("cannot create output directory '" + dir.string() + "': " + ec.message());
}

}  // namespace

int main(int argc, char** argv) {
  const auto start = std::chrono::steady_clock::now();
  const Options opt = ParseArgs(argc, argv);
  const std::vector<City> cities = ChooseCities(opt);
  const fs::path out_dir(opt.out);
  CreateOutDir(out_dir);

  const std::vector<std::string> sku_names = MakeSkuNames(opt.skus);
  const std::vector<Store> stores = PlaceStores(cities, opt);
  WriteStores(out_dir / "stores.csv", stores, cities, opt.radius_km.has_value());
  std::optional<StockUpdates> updates;
  if (opt.stock_updates > 0) updates.emplace(opt, stores.size());
  const uint64_t stock_rows =
      WriteStock(out_dir / "stock.csv", opt, stores, sku_names, updates ? &*updates : nullptr);
  WriteOrders(out_dir / "orders.ndjson", opt, cities, sku_names);
  if (opt.flash_orders > 0) WriteFlashOrders(out_dir / "flash.ndjson", opt, cities, sku_names);
  if (updates) updates->Write(out_dir / "stock_updates.ndjson", stores, sku_names);

  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  std::printf("%s: %zu cities, %zu stores, %zu SKUs, %llu stock rows, %llu orders -> %s (%.2f s)\n",
              kProgram, cities.size(), stores.size(), sku_names.size(),
              static_cast<unsigned long long>(stock_rows),
              static_cast<unsigned long long>(opt.orders), opt.out.c_str(), took.count());
  return 0;
}

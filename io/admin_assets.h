// The live map's static files (io/admin_page/), compiled into the daemon so
// it serves them with no path to configure and the page always matches the
// daemon's own JSON feeds.
#ifndef HOURGLASS_IO_ADMIN_ASSETS_H_
#define HOURGLASS_IO_ADMIN_ASSETS_H_

#include <string_view>

namespace hourglass::io {

struct AdminAsset {
  std::string_view content_type;
  std::string_view body;
};

// The file served at `path` ("/" is the map page), or null.
const AdminAsset* FindAdminAsset(std::string_view path);

}  // namespace hourglass::io

#endif  // HOURGLASS_IO_ADMIN_ASSETS_H_

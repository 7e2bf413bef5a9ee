#include "daemon/service_notify.h"

#include <systemd/sd-daemon.h>

#include <cstdint>
#include <string>

namespace hourglass::daemon {

void NotifyReady(std::string_view status) {
  const std::string message = "READY=1\nSTATUS=" + std::string(status);
  sd_notify(0, message.c_str());
}

void NotifyStopping() { sd_notify(0, "STOPPING=1\nSTATUS=stopping"); }

void NotifyWatchdog() { sd_notify(0, "WATCHDOG=1"); }

std::chrono::milliseconds WatchdogPingInterval() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0) return std::chrono::milliseconds(0);
  return std::chrono::milliseconds(usec / 2000);
}

}  // namespace hourglass::daemon

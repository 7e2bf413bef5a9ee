// Tells systemd (Type=notify) how the daemon is doing, through sd_notify:
// READY=1 once the data is loaded, the journal replayed and the listener up;
// STOPPING=1 when a stop begins; WATCHDOG=1 pings while the main loop runs.
// Outside systemd (no NOTIFY_SOCKET) every call does nothing.
// Thread-safety: call from the main thread.
#ifndef HOURGLASS_DAEMON_SERVICE_NOTIFY_H_
#define HOURGLASS_DAEMON_SERVICE_NOTIFY_H_

#include <chrono>
#include <string_view>

namespace hourglass::daemon {

void NotifyReady(std::string_view status);
void NotifyStopping();
void NotifyWatchdog();
// How often to ping: half of WatchdogSec, or zero when no watchdog is set.
std::chrono::milliseconds WatchdogPingInterval();

}  // namespace hourglass::daemon

#endif  // HOURGLASS_DAEMON_SERVICE_NOTIFY_H_

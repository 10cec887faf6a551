#pragma once
// Socket activation and readiness without libsystemd: the two protocols are a few lines.
#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "warren/error.hpp"
#include "warren/fd.hpp"

namespace warren::server {

// Sockets passed by systemd (LISTEN_PID/LISTEN_FDS/LISTEN_FDNAMES), or none. The variables are
// unset afterwards so children do not inherit them.
struct ActivatedSocket {
    std::string name;
    Fd fd;
};
std::vector<ActivatedSocket> take_activated_sockets();

// Sends a state line ("READY=1", "STOPPING=1", "STATUS=...") to NOTIFY_SOCKET; no-op without it.
void notify_systemd(const std::string& state);

// The watchdog interval systemd asks `pid` to keep: WATCHDOG_USEC (`usec`) when WATCHDOG_PID
// (`watchdog_pid`) is unset or names `pid`. nullopt: no watchdog (unset, 0, or another process's).
// Error (Code::invalid_env) when WATCHDOG_USEC or WATCHDOG_PID is not a number.
Result<std::optional<std::chrono::microseconds>> watchdog_interval(const char* usec,
                                                                   const char* watchdog_pid,
                                                                   pid_t pid);

// Sends WATCHDOG=1 every half of the interval from a timer on `io`, so a stuck I/O thread
// stops the pings and systemd restarts the agent.
class Watchdog {
  public:
    explicit Watchdog(boost::asio::io_context& io) : timer_(io) {}
    // Reads WATCHDOG_USEC/WATCHDOG_PID and starts pinging when they ask for it.
    Status start();
    void stop();

  private:
    void schedule();

    boost::asio::steady_timer timer_;
    std::chrono::microseconds period_{0};
    bool stopped_ = false;
};

}  // namespace warren::server

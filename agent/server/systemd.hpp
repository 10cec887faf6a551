#pragma once
// Socket activation and readiness without libsystemd: the two protocols are a few lines.
#include <optional>
#include <string>
#include <vector>

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

}  // namespace warren::server

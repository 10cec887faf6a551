#pragma once
// warrend's lifetime: lock the state directory, recover the journal, define the configured
// pools, open the CNI socket (or take it from systemd), serve until SIGTERM/SIGINT, drain.
#include "config/config.hpp"
#include "warren/error.hpp"

namespace warren {

// Runs until a termination signal. Returns an error for start-up failures (bad state
// directory, corrupt journal, socket in use), which main reports and turns into exit code 1.
Status run_daemon(const config::AgentConfig& cfg);

}  // namespace warren

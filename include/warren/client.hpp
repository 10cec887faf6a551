#pragma once
// Blocking client for the agent's socket: one connect, one exchange. No threads, no Asio,
// so the per-pod plugin stays small and starts fast.
#include <string>

#include "warren/error.hpp"
#include "warren/protocol.hpp"

namespace warren::proto {

// Errors: Code::try_again when the socket is absent, refuses, or the exchange times out
// (the agent is down or restarting); Code::decode for a malformed answer.
Result<Response> call(const std::string& socket_path, const Request& req, int timeout_ms);

}  // namespace warren::proto

#pragma once
// Blocking client for the agent's socket: one connect, one exchange. No threads, no Asio,
// so the per-pod plugin stays small and starts fast.
#include <sys/types.h>

#include <cerrno>
#include <optional>
#include <string>

#include "warren/error.hpp"
#include "warren/protocol.hpp"

namespace warren::proto {

struct CallOptions {
    int timeout_ms = 10000;  // for connect and the whole exchange
    // Who may serve the socket besides root: the SO_PEERCRED uid of its listener (warrend, or
    // systemd for an activated socket). nullopt: root only.
    std::optional<uid_t> agent_uid;
};

// Errors, each naming the socket:
//  - Code::try_again with the connect(2) errno when the agent cannot be reached (ENOENT: no
//    socket; ECONNREFUSED: nobody listens; EACCES/EPERM: we may not connect);
//  - Code::try_again with ETIMEDOUT when connect or the exchange outlasts the timeout;
//  - Code::try_again with ECONNRESET (or the failing send/recv errno) when the agent closed the
//    connection before answering;
//  - Code::io with EPERM (see untrusted_peer) when the socket is served by a process that is
//    neither root nor opts.agent_uid: nothing is sent to it and nothing read from it;
//  - Code::decode for a malformed answer.
Result<Response> call(const std::string& socket_path, const Request& req, const CallOptions& opts);

// True for call()'s error about a socket served by someone it does not trust.
inline bool untrusted_peer(const Error& e) {
    return e.code == Code::io && e.sys_errno == EPERM;
}

}  // namespace warren::proto

#include "warren/client.hpp"

#include <sys/socket.h>

#include "unix_exchange.hpp"

namespace warren::proto {

namespace {

constexpr uint32_t kMaxResponse = 16 * 1024 * 1024;

// Refuses a socket whose listener is neither root nor `agent_uid` before anything is sent:
// whoever could replace the socket must not get requests or have its answers believed.
Status check_peer(int fd, const std::string& socket_path, std::optional<uid_t> agent_uid) {
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
        return fail_errno("cannot tell who serves " + socket_path + " (SO_PEERCRED)");
    if (cred.uid == 0 || (agent_uid && cred.uid == *agent_uid)) return {};
    std::string trusted = "neither root nor the agent user";
    if (agent_uid) trusted += " (uid " + std::to_string(*agent_uid) + ")";
    return fail_errno("the socket " + socket_path + " is served by pid " +
                          std::to_string(cred.pid) + " running as uid " + std::to_string(cred.uid) +
                          ", which is " + trusted,
                      EPERM, Code::io);
}

}  // namespace

Result<Response> call(const std::string& socket_path, const Request& req, const CallOptions& opts) {
    const int64_t deadline = detail::now_ms() + opts.timeout_ms;
    auto fd = detail::connect_unix(socket_path, opts.timeout_ms);
    if (!fd) return std::unexpected(fd.error());
    if (auto s = check_peer(fd->get(), socket_path, opts.agent_uid); !s)
        return std::unexpected(s.error());

    auto request = encode_binary(req);
    if (!request) return std::unexpected(request.error());
    std::string frame = encode_frame(Kind::request_binary, *request);
    if (auto s = detail::send_all(fd->get(), frame, socket_path, deadline); !s)
        return std::unexpected(s.error());

    auto payload = detail::read_frame(fd->get(), Kind::response, kMaxResponse, socket_path, deadline);
    if (!payload) return std::unexpected(payload.error());
    return decode_response(*payload);
}

}  // namespace warren::proto

#include "warren/client.hpp"

#include <poll.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include <cstring>

#include "warren/fd.hpp"

namespace warren::proto {

namespace {

int64_t now_ms() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

// Waits for `events` on fd until the deadline; false on timeout or error.
bool wait_for(int fd, short events, int64_t deadline) {
    for (;;) {
        int left = static_cast<int>(deadline - now_ms());
        if (left <= 0) return false;
        pollfd p{fd, events, 0};
        int n = ::poll(&p, 1, left);
        if (n > 0) return true;
        if (n == 0) return false;
        if (errno != EINTR) return false;
    }
}

Status write_all(int fd, const char* data, size_t len, int64_t deadline) {
    while (len > 0) {
        ssize_t n = ::send(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            data += n;
            len -= static_cast<size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!wait_for(fd, POLLOUT, deadline))
                return fail_errno("timed out sending to warrend", ETIMEDOUT, Code::try_again);
            continue;
        }
        return fail_errno("sending to warrend failed", errno, Code::try_again);
    }
    return {};
}

// Reads one response frame. The answer takes at least a disk sync, so it waits first and then
// reads whatever arrived (header and payload usually come together).
Result<std::string> read_frame(int fd, int64_t deadline) {
    std::string buf(1024, '\0');
    size_t have = 0, need = kHeaderSize;
    bool sized = false;
    while (have < need) {
        if (!wait_for(fd, POLLIN, deadline))
            return fail_errno("timed out waiting for warrend's answer", ETIMEDOUT, Code::try_again);
        ssize_t n = ::recv(fd, buf.data() + have, buf.size() - have, MSG_DONTWAIT);
        if (n == 0)
            return fail_errno("warrend closed the connection before answering", ECONNRESET,
                              Code::try_again);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
            return fail_errno("reading from warrend failed", errno, Code::try_again);
        }
        have += static_cast<size_t>(n);
        if (!sized && have >= kHeaderSize) {
            auto len = decode_header(reinterpret_cast<const uint8_t*>(buf.data()), Kind::response, 16 * 1024 * 1024);
            if (!len) return std::unexpected(len.error());
            need = kHeaderSize + *len;
            if (buf.size() < need) buf.resize(need);
            sized = true;
        }
    }
    return buf.substr(kHeaderSize, need - kHeaderSize);
}

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
    const int timeout_ms = opts.timeout_ms;
    int64_t deadline = now_ms() + timeout_ms;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socket_path.size() >= sizeof addr.sun_path)
        return fail(Code::invalid_config, "socket path too long: " + socket_path);
    std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());

    Fd fd{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    if (!fd) return fail_errno("socket()", errno, Code::try_again);
    // A Unix connect blocks while the agent's accept queue is full (agent hung or swamped):
    // bound it by the same deadline.
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        if (errno == EAGAIN || errno == EINPROGRESS || errno == ETIMEDOUT)
            return fail_errno(
                "timed out connecting to warrend at " + socket_path + " (its accept queue is full)",
                ETIMEDOUT, Code::try_again);
        return fail_errno("cannot reach warrend at " + socket_path, errno, Code::try_again);
    }
    if (auto s = check_peer(fd.get(), socket_path, opts.agent_uid); !s)
        return std::unexpected(s.error());

    auto request = encode_binary(req);
    if (!request) return std::unexpected(request.error());
    std::string frame = encode_frame(Kind::request_binary, *request);
    if (auto s = write_all(fd.get(), frame.data(), frame.size(), deadline); !s)
        return std::unexpected(s.error());

    auto payload = read_frame(fd.get(), deadline);
    if (!payload) return std::unexpected(payload.error());
    return decode_response(*payload);
}

}  // namespace warren::proto

#include "unix_exchange.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>

#include <algorithm>
#include <cstring>

namespace warren::proto::detail {

namespace {

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

}  // namespace

int64_t now_ms() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

Result<Fd> connect_unix(const std::string& socket_path, int timeout_ms) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socket_path.size() >= sizeof addr.sun_path)
        return fail(Code::invalid_config, "socket path too long: " + socket_path);
    std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());

    Fd fd{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    if (!fd) return fail_errno("socket()", errno, Code::try_again);
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        if (errno == EAGAIN || errno == EINPROGRESS || errno == ETIMEDOUT)
            return fail_errno(
                "timed out connecting to warrend at " + socket_path + " (its accept queue is full)",
                ETIMEDOUT, Code::try_again);
        return fail_errno("cannot reach warrend at " + socket_path, errno, Code::try_again);
    }
    return fd;
}

Status send_all(int fd, std::string_view data, const std::string& socket_path, int64_t deadline) {
    while (!data.empty()) {
        ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            data.remove_prefix(static_cast<size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!wait_for(fd, POLLOUT, deadline))
                return fail_errno("timed out sending to warrend at " + socket_path, ETIMEDOUT,
                                  Code::try_again);
            continue;
        }
        return fail_errno("sending to warrend at " + socket_path + " failed", errno,
                          Code::try_again);
    }
    return {};
}

// The answer takes at least a disk sync, so it waits first and then reads whatever arrived
// (header and payload usually come together).
Result<std::string> read_frame(int fd, Kind kind, uint32_t max_payload,
                               const std::string& socket_path, int64_t deadline) {
    std::string buf(4096, '\0');
    size_t have = 0, need = kHeaderSize;
    bool sized = false;
    while (have < need) {
        if (!wait_for(fd, POLLIN, deadline))
            return fail_errno("timed out waiting for the answer of warrend at " + socket_path,
                              ETIMEDOUT, Code::try_again);
        if (have == buf.size()) buf.resize(std::min(need, buf.size() * 2));
        ssize_t n = ::recv(fd, buf.data() + have, buf.size() - have, MSG_DONTWAIT);
        if (n == 0)
            return fail_errno(
                "warrend at " + socket_path + " closed the connection before answering", ECONNRESET,
                Code::try_again);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
            return fail_errno("reading from warrend at " + socket_path + " failed", errno,
                              Code::try_again);
        }
        have += static_cast<size_t>(n);
        if (!sized && have >= kHeaderSize) {
            auto len =
                decode_header(reinterpret_cast<const uint8_t*>(buf.data()), kind, max_payload);
            if (!len) return std::unexpected(len.error());
            need = kHeaderSize + *len;
            sized = true;
        }
    }
    return buf.substr(kHeaderSize, need - kHeaderSize);
}

}  // namespace warren::proto::detail

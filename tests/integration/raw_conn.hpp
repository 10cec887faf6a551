#pragma once
// A raw client of warrend's socket for tests that write hostile bytes: no framing help, no
// retries. Reads are bounded by a timeout; the destructor closes the connection.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <functional>
#include <string>

#include "warren/protocol.hpp"

namespace warren::it {

class RawConn {
  public:
    explicit RawConn(const std::string& path) {
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::memcpy(addr.sun_path, path.data(), std::min(path.size(), sizeof addr.sun_path - 1));
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            ::close(fd_);
            fd_ = -1;
        }
    }
    ~RawConn() {
        if (fd_ >= 0) ::close(fd_);
    }
    RawConn(const RawConn&) = delete;
    RawConn& operator=(const RawConn&) = delete;

    bool ok() const { return fd_ >= 0; }
    // All of `bytes`, blocking; false when the peer closed or failed first.
    bool send(const std::string& bytes) {
        size_t done = 0;
        while (done < bytes.size()) {
            ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            done += static_cast<size_t>(n);
        }
        return true;
    }
    // Reads until the peer closes (eof = true) or `timeout` passes.
    struct Got {
        std::string bytes;
        bool eof = false;
    };
    Got read_until_close(std::chrono::milliseconds timeout) {
        return read_until(timeout, [](const std::string&) { return false; });
    }

    // Reads until one whole response frame has arrived, the peer closes, or `timeout` passes.
    Got read_frame(std::chrono::milliseconds timeout) {
        return read_until(timeout, [](const std::string& b) {
            if (b.size() < proto::kHeaderSize) return false;
            auto len = proto::decode_header(reinterpret_cast<const uint8_t*>(b.data()),
                                            proto::Kind::response, 1 << 20);
            return !len || b.size() >= proto::kHeaderSize + *len;
        });
    }

    // Reads until `enough(bytes so far)`, the peer closes, or `timeout` passes.
    Got read_until(std::chrono::milliseconds timeout,
                   const std::function<bool(const std::string&)>& enough) {
        Got g;
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        char buf[4096];
        for (;;) {
            if (enough(g.bytes)) return g;
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return g;
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
            ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            if (n > 0) {
                g.bytes.append(buf, static_cast<size_t>(n));
                continue;
            }
            if (n == 0 || errno == ECONNRESET) {
                g.eof = true;
                return g;
            }
            if (errno != EINTR) return g;
        }
    }

  private:
    int fd_ = -1;
};

// Decodes one response frame; null when `bytes` is not exactly one.
inline nlohmann::json response_of(const std::string& bytes) {
    if (bytes.size() < proto::kHeaderSize) return nullptr;
    auto len = proto::decode_header(reinterpret_cast<const uint8_t*>(bytes.data()),
                                    proto::Kind::response, 1 << 20);
    if (!len || bytes.size() != proto::kHeaderSize + *len) return nullptr;
    auto j = nlohmann::json::parse(bytes.substr(proto::kHeaderSize), nullptr, false);
    return j.is_discarded() ? nlohmann::json(nullptr) : j;
}

}  // namespace warren::it

#pragma once
// A fake admin socket for warrenctl's unit tests: a Unix listener in a TempDir that answers each
// connection with canned bytes (a whole frame, or anything) after reading one request frame,
// and records the requests it got. One thread, stopped and joined by the destructor.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_dir.hpp"
#include "warren/fd.hpp"
#include "warren/protocol.hpp"

namespace warren::ctl::testing {

using nlohmann::json;

// A Kind 5 frame around `payload`.
inline std::string admin_frame(const std::string& payload) {
    return proto::encode_frame(proto::Kind::admin_response, payload);
}
inline std::string ok_frame(const json& result) {
    return admin_frame(json{{"ok", true}, {"result", result}}.dump());
}
inline std::string error_frame(int code, const std::string& error,
                               const std::string& details = {}) {
    return admin_frame(
        json{{"ok", false}, {"code", code}, {"error", error}, {"details", details}}.dump());
}

class FakeAdmin {
  public:
    // Answers every connection with `answer` (a function of the request's JSON).
    // `reads`: false answers at once and closes without reading the request (as warrend does
    // for a caller its peer-credential check refuses).
    explicit FakeAdmin(std::function<std::string(const json&)> answer, bool reads = true)
        : reads_(reads), answer_(std::move(answer)) {
        path_ = dir_ / "admin.sock";
        listener_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::memcpy(addr.sun_path, path_.data(), path_.size());
        EXPECT_EQ(::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        EXPECT_EQ(::listen(listener_.get(), 16), 0);
        EXPECT_EQ(::pipe2(stop_, O_CLOEXEC), 0);
        thread_ = std::thread([this] { serve(); });
    }
    explicit FakeAdmin(std::string canned, bool reads = true)
        : FakeAdmin([canned](const json&) { return canned; }, reads) {}
    ~FakeAdmin() {
        ::close(stop_[1]);
        thread_.join();
        ::close(stop_[0]);
    }

    const std::string& path() const { return path_; }
    std::vector<json> requests() const {
        std::lock_guard l(mu_);
        return requests_;
    }

  private:
    void serve() {
        for (;;) {
            pollfd p[2] = {{listener_.get(), POLLIN, 0}, {stop_[0], POLLIN, 0}};
            if (::poll(p, 2, -1) < 0) continue;
            if (p[1].revents) return;
            Fd c{::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC)};
            if (!c) continue;
            json request = reads_ ? read_request(c.get()) : json();
            {
                std::lock_guard l(mu_);
                requests_.push_back(request);
            }
            std::string out = answer_(request);
            for (size_t off = 0; off < out.size();) {
                ssize_t n = ::send(c.get(), out.data() + off, out.size() - off, MSG_NOSIGNAL);
                if (n <= 0) break;
                off += static_cast<size_t>(n);
            }
        }
    }
    static json read_request(int fd) {
        std::string buf;
        char chunk[65536];
        while (buf.size() < proto::kHeaderSize ||
               buf.size() < proto::kHeaderSize + payload_len(buf)) {
            ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
            if (n <= 0) return nullptr;
            buf.append(chunk, static_cast<size_t>(n));
        }
        EXPECT_EQ(proto::header_kind(reinterpret_cast<const uint8_t*>(buf.data())),
                  proto::Kind::admin_request);
        return json::parse(buf.substr(proto::kHeaderSize), nullptr, false);
    }
    static size_t payload_len(const std::string& b) {
        auto* h = reinterpret_cast<const uint8_t*>(b.data());
        return size_t{h[8]} << 24 | size_t{h[9]} << 16 | size_t{h[10]} << 8 | h[11];
    }

    warren::testing::TempDir dir_;
    std::string path_;
    Fd listener_;
    int stop_[2] = {-1, -1};
    bool reads_ = true;
    std::function<std::string(const json&)> answer_;
    mutable std::mutex mu_;
    std::vector<json> requests_;
    std::thread thread_;
};

}  // namespace warren::ctl::testing

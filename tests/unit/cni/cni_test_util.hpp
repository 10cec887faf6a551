#pragma once
// Helpers for the plugin's tests: a temp dir, a CNI environment, a fake warrend.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "env.hpp"
#include "support/temp_dir.hpp"
#include "warren/fd.hpp"
#include "warren/protocol.hpp"

namespace warren::cni::testing {

using warren::testing::TempDir;

// A CNI environment for cni::run(); values held here, lookups return nullptr when unset.
struct FakeEnv {
    std::map<std::string, std::string> vars;
    EnvLookup lookup() const {
        return [this](const char* name) -> const char* {
            auto it = vars.find(name);
            return it == vars.end() ? nullptr : it->second.c_str();
        };
    }
};

inline std::map<std::string, std::string> attach_env(const std::string& command) {
    return {{"CNI_COMMAND", command},
            {"CNI_CONTAINERID", "c0ffee"},
            {"CNI_NETNS", "/var/run/netns/pod1"},
            {"CNI_IFNAME", "eth0"},
            {"CNI_PATH", "/opt/cni/bin"},
            {"CNI_ARGS",
             "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;"
             "K8S_POD_INFRA_CONTAINER_ID=c0ffee;K8S_POD_UID=u-1"}};
}

// A fake warrend on a Unix socket: one thread, answers each request frame with handler(req).
class FakeAgent {
  public:
    using Handler = std::function<proto::Response(const proto::Request&)>;

    FakeAgent(std::string socket_path, Handler handler)
        : path_(std::move(socket_path)), handler_(std::move(handler)) {
        listen_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
        if (::bind(listen_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
            ::listen(listen_.get(), 16) != 0)
            std::abort();
        thread_ = std::thread([this] { serve(); });
    }
    ~FakeAgent() {
        stop_ = true;
        thread_.join();
        ::unlink(path_.c_str());
    }

    std::vector<proto::Request> requests() const {
        std::lock_guard lock(mu_);
        return requests_;
    }

  private:
    static bool read_n(int fd, char* p, size_t n) {
        while (n > 0) {
            ssize_t r = ::read(fd, p, n);
            if (r <= 0) return false;
            p += r;
            n -= static_cast<size_t>(r);
        }
        return true;
    }

    void serve() {
        while (!stop_) {
            pollfd p{listen_.get(), POLLIN, 0};
            if (::poll(&p, 1, 20) <= 0) continue;
            Fd conn{::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC)};
            if (!conn) continue;
            for (;;) {  // several exchanges per connection are allowed
                uint8_t header[proto::kHeaderSize];
                if (!read_n(conn.get(), reinterpret_cast<char*>(header), sizeof header)) break;
                auto len =
                    proto::decode_header(header, proto::Kind::request, proto::kDefaultMaxPayload);
                if (!len) break;
                std::string payload(*len, '\0');
                if (!read_n(conn.get(), payload.data(), payload.size())) break;
                proto::Response resp;
                if (auto req = proto::decode_request(proto::header_kind(header), payload); req) {
                    {
                        std::lock_guard lock(mu_);
                        requests_.push_back(*req);
                    }
                    resp = handler_(*req);
                } else {
                    resp = proto::Response::failure(req.error());
                }
                std::string frame = proto::encode_frame(proto::Kind::response, proto::encode(resp));
                if (::write(conn.get(), frame.data(), frame.size()) !=
                    static_cast<ssize_t>(frame.size()))
                    break;
            }
        }
    }

    std::string path_;
    Handler handler_;
    Fd listen_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
    mutable std::mutex mu_;
    std::vector<proto::Request> requests_;
};

}  // namespace warren::cni::testing

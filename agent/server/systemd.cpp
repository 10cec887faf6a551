#include "server/systemd.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>

namespace warren::server {

std::vector<ActivatedSocket> take_activated_sockets() {
    std::vector<ActivatedSocket> out;
    const char* pid = std::getenv("LISTEN_PID");
    const char* fds = std::getenv("LISTEN_FDS");
    if (!pid || !fds || std::strtol(pid, nullptr, 10) != ::getpid()) return out;
    int n = static_cast<int>(std::strtol(fds, nullptr, 10));
    std::string names = std::getenv("LISTEN_FDNAMES") ? std::getenv("LISTEN_FDNAMES") : "";
    for (int i = 0; i < n; ++i) {
        int fd = 3 + i;
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
        std::string name;
        auto colon = names.find(':');
        name = names.substr(0, colon);
        names = colon == std::string::npos ? "" : names.substr(colon + 1);
        out.push_back({name, Fd{fd}});
    }
    ::unsetenv("LISTEN_PID");
    ::unsetenv("LISTEN_FDS");
    ::unsetenv("LISTEN_FDNAMES");
    return out;
}

void notify_systemd(const std::string& state) {
    const char* path = std::getenv("NOTIFY_SOCKET");
    if (!path || !*path) return;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    size_t len = std::strlen(path);
    if (len >= sizeof addr.sun_path) return;
    std::memcpy(addr.sun_path, path, len);
    if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
    Fd fd{::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
    if (!fd) return;
    ::sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr),
             static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len));
}

namespace {

std::optional<uint64_t> parse_unsigned(const char* text) {
    const char* end = text + std::strlen(text);
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(text, end, v);
    if (ec != std::errc{} || p != end || p == text) return std::nullopt;
    return v;
}

}  // namespace

Result<std::optional<std::chrono::microseconds>> watchdog_interval(const char* usec,
                                                                   const char* watchdog_pid,
                                                                   pid_t pid) {
    if (!usec) return std::nullopt;
    auto v = parse_unsigned(usec);
    if (!v)
        return fail(Code::invalid_env,
                    std::string("WATCHDOG_USEC='") + usec + "' is not a number of microseconds",
                    "set WatchdogSec= in the unit and let systemd set it, or unset WATCHDOG_USEC");
    if (watchdog_pid) {
        auto owner = parse_unsigned(watchdog_pid);
        if (!owner)
            return fail(Code::invalid_env,
                        std::string("WATCHDOG_PID='") + watchdog_pid + "' is not a process id",
                        "let systemd set it, or unset WATCHDOG_PID");
        if (*owner != static_cast<uint64_t>(pid)) return std::nullopt;
    }
    if (*v == 0) return std::nullopt;
    return std::chrono::microseconds(*v);
}

Status Watchdog::start() {
    auto interval =
        watchdog_interval(std::getenv("WATCHDOG_USEC"), std::getenv("WATCHDOG_PID"), ::getpid());
    if (!interval) return std::unexpected(interval.error());
    if (!*interval) return {};
    period_ = std::max(**interval / 2, std::chrono::microseconds(1));
    spdlog::info("systemd watchdog: {} ms, pinging every {} ms from the I/O thread",
                 interval->value().count() / 1000, period_.count() / 1000);
    schedule();
    return {};
}

void Watchdog::stop() {
    stopped_ = true;
    timer_.cancel();
}

void Watchdog::schedule() {
    timer_.expires_after(period_);
    timer_.async_wait([this](boost::system::error_code ec) {
        if (ec || stopped_) return;
        notify_systemd("WATCHDOG=1");
        schedule();
    });
}

}  // namespace warren::server

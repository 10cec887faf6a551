#include "agent_process.hpp"

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

namespace warren::it {

bool socket_accepts(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) return false;
    std::memcpy(addr.sun_path, path.data(), path.size());
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

Agent::Agent(std::string dir)
    : dir_(std::move(dir)),
      state_dir_(dir_ + "/state"),
      socket_(dir_ + "/warren.sock"),
      log_(dir_ + "/warrend.log") {}

std::vector<std::string> Agent::command(const AgentSpec& spec) const {
    std::vector<std::string> argv{warrend_path(), "--state-dir", state_dir_, "--socket", socket_,
                                  "--log-level", "debug"};
    for (auto& c : spec.pod_cidrs) argv.insert(argv.end(), {"--pod-cidr", c});
    if (spec.cooldown) argv.insert(argv.end(), {"--cooldown", std::to_string(*spec.cooldown)});
    argv.insert(argv.end(), {"--ebpf", spec.ebpf});
    if (!spec.bpffs_dir.empty()) argv.insert(argv.end(), {"--bpffs-dir", spec.bpffs_dir});
    if (spec.gc_interval) argv.insert(argv.end(), {"--gc-interval", std::to_string(*spec.gc_interval)});
    if (spec.gc_grace) argv.insert(argv.end(), {"--gc-grace", std::to_string(*spec.gc_grace)});
    argv.insert(argv.end(), {"--metrics-address", spec.metrics_address});
    argv.insert(argv.end(), spec.extra_args.begin(), spec.extra_args.end());
    return argv;
}

uint16_t Agent::metrics_port() const {
    const std::string text = log();
    const std::string marker = "metrics: serving GET /metrics on ";
    const auto at = text.rfind(marker);
    if (at == std::string::npos) return 0;
    const auto eol = text.find('\n', at);
    const std::string address = text.substr(at + marker.size(), eol - at - marker.size());
    const auto colon = address.rfind(':');
    return colon == std::string::npos ? 0 : static_cast<uint16_t>(std::stoul(address.substr(colon + 1)));
}

::testing::AssertionResult Agent::start(const AgentSpec& spec, std::chrono::milliseconds timeout) {
    if (child_.alive()) return ::testing::AssertionFailure() << "warrend is already running (pid " << pid() << ")";
    spec_ = spec;
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    auto argv = command(spec);
    argv.insert(argv.begin(), spec.wrapper.begin(), spec.wrapper.end());
    if (spec.socket_activated) {
        argv.insert(argv.begin(), {"/usr/bin/systemd-socket-activate", "-l", socket_});
        ::unlink(socket_.c_str());
    }
    std::ofstream(log_, std::ios::app) << "==== test harness: starting warrend ====\n";
    const size_t log_start = log().size();
    std::string why;
    child_ = Child::spawn(argv, {}, log_, why);
    if (!child_.valid()) return ::testing::AssertionFailure() << why;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (!child_.alive())
            return ::testing::AssertionFailure()
                   << "warrend exited with " << child_.exit_code().value_or(-1) << " before serving; log:\n" << log();
        // Under socket activation a probe connection would itself start warrend; wait for the
        // activator's "Listening on" instead, so the first client is the one that wakes it.
        if (spec.socket_activated ? log().find("Listening on", log_start) != std::string::npos
                                  : socket_accepts(socket_))
            return ::testing::AssertionSuccess();
        std::this_thread::sleep_for(5ms);
    }
    child_.kill9();
    return ::testing::AssertionFailure() << "warrend did not accept on " << socket_ << " within "
                                         << timeout.count() << " ms; log:\n" << log();
}

::testing::AssertionResult Agent::stop(std::chrono::milliseconds timeout) {
    if (!child_.alive())
        return ::testing::AssertionFailure() << "warrend is not running (exit "
                                             << child_.exit_code().value_or(-1) << "); log:\n" << log();
    child_.signal(SIGTERM);
    if (!child_.wait(timeout)) {
        child_.kill9();
        return ::testing::AssertionFailure() << "warrend ignored SIGTERM for " << timeout.count()
                                             << " ms; killed. log:\n" << log();
    }
    if (child_.exit_code() != 0)
        return ::testing::AssertionFailure() << "warrend exited with " << child_.exit_code().value_or(-1)
                                             << " after SIGTERM; log:\n" << log();
    return ::testing::AssertionSuccess();
}

}  // namespace warren::it

#include "runtime_containerd.hpp"

#include <signal.h>

#include <filesystem>
#include <sstream>
#include <thread>

#include "agent_process.hpp"
#include "netns.hpp"
#include "runtime_support.hpp"

namespace warren::it {

namespace fs = std::filesystem;

Containerd::Containerd(std::string dir, std::string rootfs)
    : dir_(std::move(dir)),
      rootfs_(std::move(rootfs)),
      address_(dir_ + "/containerd.sock"),
      ns_(unique_name("warren-it-")) {
    std::error_code ec;
    for (auto sub : {"root", "state", "opt/cni/bin", "net.d", "runc", "opt-containerd"})
        fs::create_directories(dir_ + "/" + sub, ec);
    std::ostringstream conf;
    conf << "version = 2\n"
         << "root = \"" << dir_ << "/root\"\n"
         << "state = \"" << dir_ << "/state\"\n"
         << "disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n"
         << "[grpc]\n  address = \"" << address_ << "\"\n"
         << "[ttrpc]\n  address = \"" << address_ << ".ttrpc\"\n"
         << "[debug]\n  address = \"\"\n"
         << "[metrics]\n  address = \"\"\n"
         << "[plugins.\"io.containerd.internal.v1.opt\"]\n  path = \"" << dir_
         << "/opt-containerd\"\n";
    write_file(dir_ + "/config.toml", conf.str());
}

Containerd::~Containerd() {
    stop_all();
    if (daemon_.alive()) {
        daemon_.signal(SIGTERM);
        if (!daemon_.wait(10s)) daemon_.kill9();
    }
    kill_our_shims();
    remove_cgroup(ns_);  // ctr's default cgroup is /<namespace>/<id>
    unmount_under(dir_);
}

::testing::AssertionResult Containerd::start(std::chrono::milliseconds timeout) {
    std::string why;
    daemon_ = Child::spawn({"containerd", "--config", dir_ + "/config.toml"}, {},
                           dir_ + "/containerd.log", why);
    if (!daemon_.valid()) return ::testing::AssertionFailure() << why;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (!daemon_.alive())
            return ::testing::AssertionFailure() << "containerd exited; log:\n" << log();
        if (socket_accepts(address_) && ctr({"version"}, 5s).ok())
            return ::testing::AssertionSuccess();
        std::this_thread::sleep_for(20ms);
    }
    return ::testing::AssertionFailure() << "containerd did not serve on " << address_ << "; log:\n"
                                         << log();
}

std::vector<std::string> Containerd::ctr_argv(const std::vector<std::string>& args) const {
    const std::string script = "mount --bind '" + net_dir() + "' /etc/cni/net.d && mount --bind '" +
                               dir_ + "/opt' /opt && exec ctr --address '" + address_ +
                               "' --namespace '" + ns_ + "' \"$@\"";
    std::vector<std::string> argv{"unshare", "--mount", "--propagation", "private",
                                  "sh",      "-c",      script,          "ctr"};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

RunResult Containerd::ctr(const std::vector<std::string>& args,
                          std::chrono::milliseconds timeout) const {
    return run_cmd(ctr_argv(args), timeout);
}

std::optional<pid_t> Containerd::task_pid(const std::string& id) const {
    auto r = ctr({"task", "ls"}, 10s);
    std::istringstream in(r.out);
    for (std::string l; std::getline(in, l);) {
        std::istringstream f(l);
        std::string task, pid, status;
        f >> task >> pid >> status;
        if (task == id && status == "RUNNING") return static_cast<pid_t>(std::stol(pid));
    }
    return std::nullopt;
}

bool Containerd::spawn(const std::string& id, std::string& why) {
    auto argv = ctr_argv({"run", "--rootfs", "--cni", "--null-io", "--rm", "--runc-root",
                          dir_ + "/runc", rootfs_, id, "/bin/sleep", "3600"});
    Child c = Child::spawn(argv, {}, dir_ + "/ctr-" + id + ".log", why);
    if (!c.valid()) return false;
    runs_[id] = std::move(c);
    return true;
}

std::optional<pid_t> Containerd::wait_running(const std::string& id, std::string& why,
                                              std::chrono::milliseconds timeout) {
    auto it = runs_.find(id);
    if (it == runs_.end()) {
        why = "container " + id + " was never started";
        return std::nullopt;
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (auto pid = task_pid(id)) return pid;
        if (!it->second.alive()) {
            why = "ctr run " + id + " exited with " +
                  std::to_string(it->second.exit_code().value_or(-1)) + ": " + run_log(id);
            return std::nullopt;
        }
        std::this_thread::sleep_for(20ms);
    }
    why = "container " + id + " is not running after " + std::to_string(timeout.count()) +
          " ms: " + run_log(id);
    return std::nullopt;
}

std::optional<pid_t> Containerd::run(const std::string& id, std::string& why,
                                     std::chrono::milliseconds timeout) {
    if (!spawn(id, why)) return std::nullopt;
    return wait_running(id, why, timeout);
}

::testing::AssertionResult Containerd::stop(const std::string& id,
                                            std::chrono::milliseconds timeout) {
    auto it = runs_.find(id);
    if (it == runs_.end()) return ::testing::AssertionFailure() << "no container " << id;
    auto kill = ctr({"task", "kill", "-s", "SIGKILL", id});
    if (!it->second.wait(timeout))
        return ::testing::AssertionFailure()
               << "ctr run " << id << " did not exit after the task was killed (" << kill.describe()
               << "); its output: " << run_log(id);
    return ::testing::AssertionSuccess();
}

void Containerd::remove(const std::string& id) const {
    ctr({"task", "rm", "-f", id});
    ctr({"container", "rm", id});
}

void Containerd::stop_all() {
    for (auto& [id, child] : runs_) {
        if (child.alive()) {
            ctr({"task", "kill", "-s", "SIGKILL", id});
            if (!child.wait(15s)) child.kill9();
        }
        remove(id);
    }
    runs_.clear();
}

void Containerd::kill_our_shims() const {
    // containerd-shim-runc-v2 processes carry "-address <our socket>" on their command line.
    std::error_code ec;
    for (auto& e : fs::directory_iterator("/proc", ec)) {
        const std::string pid = e.path().filename();
        if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
        std::string cmd = read_file(e.path().string() + "/cmdline");
        for (auto& ch : cmd)
            if (ch == '\0') ch = ' ';
        if (cmd.find("containerd-shim") != std::string::npos &&
            cmd.find(" " + address_ + " ") != std::string::npos)
            ::kill(static_cast<pid_t>(std::stol(pid)), SIGKILL);
    }
}

}  // namespace warren::it

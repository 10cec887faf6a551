#pragma once
// podman 4.3 with its CNI backend, isolated from the machine's podman: its own storage (--root,
// --runroot, vfs), tmp dir, file locks and events log, and a containers.conf (CONTAINERS_CONF)
// naming our CNI plugin dir and network config dir. Containers run from a busybox rootfs dir.
// Thread-safe. The destructor removes every container it made (their CNI DELs run) and any netns
// left over.
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "process.hpp"

namespace warren::it {

class Podman {
  public:
    // Lays out <dir>/{root,runroot,tmp,containers.conf,storage.conf}. Check error().
    Podman(std::string dir, std::string cni_bin_dir, std::string net_dir, std::string rootfs);
    ~Podman();
    Podman(const Podman&) = delete;
    Podman& operator=(const Podman&) = delete;

    const std::string& error() const { return error_; }
    const std::string& net_dir() const { return net_dir_; }
    const std::string& containers_conf() const { return conf_; }

    // `podman <global flags> args...` with our environment.
    RunResult operator()(std::vector<std::string> args,
                         std::chrono::milliseconds timeout = 60s) const;
    // The global flags, as docs/runtimes.md shows them.
    std::vector<std::string> global_flags() const;

    // `podman run -d --name name --network network [extra...] --rootfs <rootfs> sleep 3600`, with
    // SIGKILL as the stop signal (busybox sleep as pid 1 ignores SIGTERM) and our own cgroup
    // parent (removed by the destructor).
    RunResult run(const std::string& name, const std::string& network,
                  std::vector<std::string> extra = {});
    // Full container ID, netns path (SandboxKey), and the address podman reports on `network`.
    std::string id(const std::string& name) const;
    std::string netns(const std::string& name) const;
    nlohmann::json network_settings(const std::string& name, const std::string& network) const;
    std::string state(const std::string& name) const;  // running, exited, created, ...

    // Removes every container (rm -af -t 0) and the netns they left, if any.
    void remove_all();

  private:
    std::string dir_, bin_dir_, net_dir_, rootfs_, conf_, storage_conf_, cgroup_, error_;
    mutable std::mutex mu_;
    mutable std::set<std::string> netns_seen_;
};

}  // namespace warren::it

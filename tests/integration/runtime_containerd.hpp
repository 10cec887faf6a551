#pragma once
// A private containerd 1.6 (its own root, state, socket, opt dir; CRI off) and Debian's `ctr run
// --cni` against it. ctr runs the CNI plugins itself and reads only /etc/cni/net.d and
// /opt/cni/bin, so every ctr runs in a private mount namespace where our directories are bind
// mounted on those two paths; the machine's directories are never touched.
//
// Containers are `ctr run --rootfs --cni --null-io --rm <busybox rootfs> <id> sleep 3600`, kept in
// the foreground as a child, as a user would: killing the task makes ctr remove the network (CNI
// DEL) and the container. The destructor kills every task, stops containerd and its shims and
// unmounts anything left under its directory.
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "process.hpp"

namespace warren::it {

class Containerd {
  public:
    // Lays out <dir>/{root,state,opt/cni/bin,net.d,runc,config.toml}.
    Containerd(std::string dir, std::string rootfs);
    ~Containerd();
    Containerd(const Containerd&) = delete;
    Containerd& operator=(const Containerd&) = delete;

    ::testing::AssertionResult start(std::chrono::milliseconds timeout = 20s);

    // Seen by ctr as /etc/cni/net.d and /opt/cni/bin.
    std::string net_dir() const { return dir_ + "/net.d"; }
    std::string plugin_dir() const { return dir_ + "/opt/cni/bin"; }
    const std::string& address() const { return address_; }
    const std::string& ns() const { return ns_; }
    std::string log() const { return read_file(dir_ + "/containerd.log"); }

    // `ctr --address <ours> --namespace <ours> args...` in the mount namespace described above.
    std::vector<std::string> ctr_argv(const std::vector<std::string>& args) const;
    RunResult ctr(const std::vector<std::string>& args,
                  std::chrono::milliseconds timeout = 30s) const;

    // Starts the container `id` in the background and waits until its task runs (ctr starts it
    // only after the CNI ADD succeeded). Returns its pid, or nullopt with `why` (ctr's output).
    std::optional<pid_t> run(const std::string& id, std::string& why,
                             std::chrono::milliseconds timeout = 30s);
    // The two halves of run(): start ctr in the background (false + why on failure), then wait.
    bool spawn(const std::string& id, std::string& why);
    std::optional<pid_t> wait_running(const std::string& id, std::string& why,
                                      std::chrono::milliseconds timeout = 30s);
    // SIGKILLs the task and waits for its ctr to exit (the network is removed by then); returns
    // ctr's output if it did not exit in time.
    ::testing::AssertionResult stop(const std::string& id, std::chrono::milliseconds timeout = 30s);
    // The container ID ctr passes to CNI: "<namespace>-<id>".
    std::string cni_id(const std::string& id) const { return ns_ + "-" + id; }
    static std::string netns_of(pid_t pid) { return "/proc/" + std::to_string(pid) + "/ns/net"; }
    std::string run_log(const std::string& id) const {
        return read_file(dir_ + "/ctr-" + id + ".log");
    }

    // Removes what a failed run left (its task and container), so that the id can run again.
    void remove(const std::string& id) const;
    // Stops every container still running.
    void stop_all();

  private:
    std::optional<pid_t> task_pid(const std::string& id) const;
    void kill_our_shims() const;

    std::string dir_, rootfs_, address_, ns_;
    Child daemon_;
    std::map<std::string, Child> runs_;
};

}  // namespace warren::it

#pragma once
// What the real-runtime tests (containerd's ctr, podman) share: a busybox rootfs, a CNI bin dir
// holding warren and Debian's bridge, the bridge + warren conflist they run, looks into a
// container's netns, and warren's own account of a pool (read from its start-up log).
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "agent_process.hpp"
#include "netns.hpp"
#include "process.hpp"
#include "support/privileged.hpp"

namespace warren::it {

using nlohmann::json;

// <dir>/bin/busybox (Debian's busybox-static) plus the applets the tests run; empty on success,
// else what went wrong.
std::string make_busybox_rootfs(const std::string& dir);

// <dir> with symlinks to build/bin/warren and /usr/lib/cni/{bridge,loopback}; empty on success.
std::string make_cni_bin_dir(const std::string& dir);

// The conflist the tests and docs/runtimes.md use: one `bridge` plugin (isGateway, no NAT) whose
// IPAM is warren with the given host-local style `ranges`.
json warren_conflist(const std::string& network, const std::string& bridge,
                     const std::string& socket, const json& ranges);
// [[{"subnet": s}]] per subnet, one range set each.
json subnet_ranges(const std::vector<std::string>& subnets);

// Addresses of `ifname` (scope global) in the netns at `netns_path`, via nsenter.
std::vector<Netns::Addr> addresses_in(const std::string& netns_path, const std::string& ifname,
                                      const std::string& family);
// Waits (at most ~5 s) until no address of `ifname` is tentative. The host's netns is
// "/proc/self/ns/net".
bool settle_dad(const std::string& netns_path, const std::string& ifname = "eth0");
// One ping from the netns at `netns_path`.
RunResult ping_from(const std::string& netns_path, const std::string& to, bool v6 = false);

// One line of warrend's start-up report: a range set's counts.
struct SetUsage {
    std::string usable;  // may exceed 64 bits (IPv6)
    long in_use = 0, cooling = 0;
};
// Restarts `agent` (SIGTERM, start) and returns the counts it logs at start for pool `pool`, one
// per range set; empty when the pool is unknown. Fails the test (ADD_FAILURE) if the restart does.
std::vector<SetUsage> pool_usage_after_restart(Agent& agent, const std::string& pool);
// Sum over the range sets (usable left empty).
SetUsage total(const std::vector<SetUsage>& sets);

// Lines of the agent's log that contain `needle`.
size_t count_lines(const std::string& log, const std::string& needle);

// Unmounts (lazily) every mount point under `dir`, deepest first, so that removing the directory
// never crosses into a mount a runtime left behind.
void unmount_under(const std::string& dir);

// Removes the (empty) cgroup `name` and every cgroup below it, in each hierarchy under
// /sys/fs/cgroup; what is still in use stays.
void remove_cgroup(const std::string& name);

// Removes libcni's cached results (/var/lib/cni/results/<network>-*) for `network`.
void remove_cni_cache(const std::string& network);

// A TempDir that first unmounts whatever a runtime left mounted under it.
class RuntimeDir : public TempDir {
  public:
    ~RuntimeDir() { unmount_under(path()); }
};

// The bridge plugin with isGateway turns on IP forwarding for the whole host; this puts back the
// values it found.
class ForwardingGuard {
  public:
    ForwardingGuard();
    ~ForwardingGuard();
    ForwardingGuard(const ForwardingGuard&) = delete;
    ForwardingGuard& operator=(const ForwardingGuard&) = delete;

  private:
    std::string v4_, v6_;
};

// One runtime set-up (agent + runtime) per test suite: made once when root, checked by each test.
template <class Env>
class RuntimeSuite : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        if (::geteuid() == 0) env_ = new Env;
    }
    static void TearDownTestSuite() {
        delete env_;
        env_ = nullptr;
    }
    void SetUp() override {
        WARREN_REQUIRE_ROOT();
        ASSERT_NE(env_, nullptr);
        ASSERT_EQ(env_->error, "") << "suite set-up failed";
    }
    static inline Env* env_ = nullptr;
};

}  // namespace warren::it

// Churn (issue 7, DESIGN §7): over 200 pods through Debian's bridge plugin against a real warrend
// with short GC settings, with seeded random DELs, netns deletions without DEL, zombies (netns
// path gone, a process in it still sending) and a kill -9 of the agent in the middle. Asserts no
// address held by two live pods, no live pod's or zombie's address released, and every dead pod's
// address allocatable again within grace + cooldown + 2 x interval, with the reclaim times printed.
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "fixture.hpp"

namespace warren::it {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kCidr = "10.197.0.0/22";
constexpr const char* kGateway = "10.197.0.1";
constexpr int kInterval = 1, kGrace = 2, kCooldown = 2;
constexpr auto kReclaimBound = std::chrono::seconds(kGrace + kCooldown + 2 * kInterval);
constexpr int kThreads = 4;
constexpr int kBatchA = 110, kBatchB = 100;

enum class Fate { live, del, vanish, zombie };

struct Pod {
    std::string id;
    std::unique_ptr<Netns> ns;
    json result;  // the ADD result
    std::string addr;
    Fate fate = Fate::live;
    Clock::time_point died{};  // DEL or netns deletion
    Child zombie;              // the process holding a zombie's namespace
    std::string zombie_netns;  // /proc/<pid>/ns/net
};

// Runs fn(i) for i in [0, n) on kThreads threads.
template <class Fn>
void parallel_for(size_t n, Fn fn) {
    std::atomic<size_t> next{0};
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&] {
            for (size_t i = next++; i < n; i = next++) fn(i);
        });
}

// Removes the private bpffs dir's hooks and pins, after the agent is gone (also on failure).
class BpffsGuard {
  public:
    BpffsGuard(Agent& agent, const Netns& node, std::string dir)
        : agent_(agent), node_(node), dir_(std::move(dir)) {}
    ~BpffsGuard() { detach(); }
    RunResult detach() {
        agent_.kill9();
        auto r = run_cmd({"nsenter", "--net=" + node_.path(), warrend_path(), "--detach-all",
                          "--bpffs-dir", dir_},
                         30s);
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
        return r;
    }
    const std::string& dir() const { return dir_; }

  private:
    Agent& agent_;
    const Netns& node_;
    std::string dir_;
};

class ChurnTest : public IntegrationTest {
  protected:
    json conf() { return bridge_conf("wrn-churn", bridge_, warren_ipam(agent().socket())); }
    // Debian's bridge plugin, run in the node namespace.
    CniResult bridge(const json& c, const CniCall& cc) { return cni_exec(bridge_script_, c, cc); }

    // ADDs `pods[first, last)` through bridge, checking each address against the live owners.
    void add_pods(size_t first, size_t last) {
        const json c = conf();
        parallel_for(last - first, [&](size_t k) {
            Pod& p = *pods_[first + k];
            p.ns = std::make_unique<Netns>();
            ASSERT_TRUE(p.ns->ok()) << p.ns->error();
            auto r = bridge(c, call("ADD", p.id, p.ns->path()));
            ASSERT_TRUE(r.ok()) << p.id << ": " << r.describe();
            ASSERT_EQ(r.addresses().size(), 1u) << r.out;
            p.result = r.j;
            p.addr = strip_prefix(r.addresses()[0]);
            std::lock_guard lock(mu_);
            auto [it, fresh] = owners_.emplace(p.addr, p.id);
            EXPECT_TRUE(fresh) << p.addr << " handed to " << p.id << " while " << it->second
                               << " holds it";
        });
    }

    void release_owner(const Pod& p) {
        std::lock_guard lock(mu_);
        owners_.erase(p.addr);
    }

    void delete_netns_path(Pod& p) {
        auto r = run_cmd({"ip", "netns", "del", p.ns->name()});
        EXPECT_TRUE(r.ok()) << r.describe();
    }

    // A process in the pod's namespace that pings the gateway (so the wire keeps seeing the pod's
    // address) and holds the namespace once its path is deleted.
    void make_zombie(Pod& p) {
        std::string why;
        p.zombie = Child::spawn(
            {"ip", "netns", "exec", p.ns->name(), "sh", "-c",
             std::string("while :; do ping -c1 -W1 ") + kGateway + " >/dev/null; sleep 0.2; done"},
            {}, tmp("zombies.log"), why);
        ASSERT_TRUE(p.zombie.valid()) << why;
        struct stat want {
        }, got{};
        ASSERT_EQ(::stat(p.ns->path().c_str(), &want), 0);
        p.zombie_netns = "/proc/" + std::to_string(p.zombie.pid()) + "/ns/net";
        bool inside = false;
        for (int i = 0; i < 400 && !inside; ++i) {
            inside = ::stat(p.zombie_netns.c_str(), &got) == 0 && got.st_ino == want.st_ino &&
                     got.st_dev == want.st_dev;
            if (!inside) std::this_thread::sleep_for(5ms);
        }
        ASSERT_TRUE(inside) << "the zombie's process never entered " << p.ns->name();
        delete_netns_path(p);
    }

    void apply_fate(Pod& p, const json& c) {
        switch (p.fate) {
            case Fate::live:
                return;
            case Fate::del: {
                auto r = bridge(c, call("DEL", p.id, p.ns->path()));
                ASSERT_TRUE(r.ok()) << p.id << ": " << r.describe();
                p.died = Clock::now();
                release_owner(p);
                delete_netns_path(p);
                return;
            }
            case Fate::vanish:
                delete_netns_path(p);  // the host veth goes with it
                p.died = Clock::now();
                release_owner(p);
                return;
            case Fate::zombie:
                make_zombie(p);
                return;
        }
    }

    void churn(size_t first, size_t last) {
        std::discrete_distribution<int> pick({40, 25, 25, 10});  // live, del, vanish, zombie
        for (size_t i = first; i < last; ++i) pods_[i]->fate = static_cast<Fate>(pick(rng_));
        const json c = conf();
        parallel_for(last - first, [&](size_t k) { apply_fate(*pods_[first + k], c); });
    }

    CniResult request(const std::string& id, const std::string& addr) {
        CniCall cc = call("ADD", id, probe_->path());
        cc.args = "IP=" + addr;
        return warren_plugin(plugin_conf("wrn-churn", warren_ipam(agent().socket())), cc);
    }

    std::string bridge_ = unique_name("wrb");
    std::string bridge_script_;
    std::mt19937 rng_;
    std::mutex mu_;
    std::map<std::string, std::string> owners_;  // address -> live (or zombie) pod
    std::vector<std::unique_ptr<Pod>> pods_;
    Netns* probe_ = nullptr;
};

// Namespaces are told apart by their netns cookie (SO_NETNS_COOKIE, recorded at ADD), not by
// their inode number alone: the kernel gives a freed namespace's inode number to the next one
// made, which kept dead pods held-by-process by other pods' processes before (issue 7).
TEST_F(ChurnTest, RandomChurnNeverDoubleAssignsNeverFreesLivePodsAndReclaimsDeadOnesInTime) {
    WARREN_REQUIRE_ROOT();
    const unsigned seed = std::random_device{}();
    std::printf("churn seed %u\n", seed);
    RecordProperty("seed", std::to_string(seed));
    rng_.seed(seed);

    // warrend and the bridge plugin run in a "node" namespace of the test's own, so the agent
    // attaches only to links this test made and --detach-all touches no other test's filters.
    const Netns& node = new_netns();
    ASSERT_TRUE(node.ok());
    bridge_script_ = tmp("bridge-in-node");
    write_file(bridge_script_,
               "#!/bin/sh\nexec nsenter --net=" + node.path() + " " + kBridgePlugin + "\n");
    ASSERT_EQ(::chmod(bridge_script_.c_str(), 0755), 0);
    BpffsGuard bpffs(agent(), node, "/sys/fs/bpf/warren-test-" + std::to_string(::getpid()));
    ASSERT_TRUE(agent().start({.pod_cidrs = {kCidr},
                               .cooldown = kCooldown,
                               .ebpf = "on",
                               .bpffs_dir = bpffs.dir(),
                               .gc_interval = kInterval,
                               .gc_grace = kGrace,
                               .wrapper = {"nsenter", "--net=" + node.path()}}));
    // The bridge with a fixed MAC: a Linux bridge otherwise takes its ports' lowest MAC, which
    // changes as pods come and go, and bridge's CHECK compares it with the ADD result's.
    auto br = run_cmd({"ip", "-n", node.name(), "link", "add", bridge_, "address",
                       "02:57:41:00:00:01", "type", "bridge"});
    ASSERT_TRUE(br.ok()) << br.describe();
    probe_ = &new_netns();
    ASSERT_TRUE(probe_->ok());
    for (int i = 0; i < kBatchA + kBatchB; ++i) {
        pods_.push_back(std::make_unique<Pod>());
        pods_.back()->id = "churn-" + std::to_string(i);
    }

    add_pods(0, kBatchA);
    ASSERT_FALSE(HasFailure());
    churn(0, kBatchA);
    ASSERT_FALSE(HasFailure());

    // kill -9 while candidates and quarantines are in flight, then a restart on the same state.
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 1500)(rng_)));
    agent().kill9();
    std::this_thread::sleep_for(300ms);
    ASSERT_TRUE(agent().restart());
    const auto restarted = Clock::now();

    add_pods(kBatchA, kBatchA + kBatchB);
    ASSERT_FALSE(HasFailure());
    churn(kBatchA, kBatchA + kBatchB);
    ASSERT_FALSE(HasFailure());

    // Reclaim: poll each dead pod's address with an ADD asking for it (IP=), from its death (or the
    // restart, for pods that died before it) until it succeeds; one last try after the bound must
    // succeed. Every success is DEL'd at once.
    std::vector<Pod*> dead;
    for (auto& p : pods_)
        if (p->fate == Fate::del || p->fate == Fate::vanish) dead.push_back(p.get());
    std::mutex times_mu;
    std::map<Fate, std::vector<double>> reclaim_ms;  // by DEL / by netns gone
    std::atomic<int> probe_id{0};
    const json pc = plugin_conf("wrn-churn", warren_ipam(agent().socket()));
    parallel_for(dead.size(), [&](size_t k) {
        Pod& p = *dead[k];
        const auto since = std::max(p.died, restarted);
        const auto deadline = since + kReclaimBound;
        const std::string id = "probe-" + std::to_string(probe_id++);
        {
            std::lock_guard lock(mu_);
            if (owners_.contains(p.addr)) return;  // already reclaimed and handed to a later pod
        }
        CniResult r;
        for (;;) {
            const bool last_try = Clock::now() >= deadline;
            r = request(id, p.addr);
            if (r.ok() || last_try) break;
            std::this_thread::sleep_for(100ms);
        }
        ASSERT_TRUE(r.ok()) << p.id << "'s address " << p.addr << " ("
                            << (p.fate == Fate::del ? "DEL" : "netns gone")
                            << ") is not allocatable " << kReclaimBound.count() << " s after "
                            << (p.died >= restarted ? "its death" : "the restart") << ": "
                            << r.describe();
        ASSERT_EQ(r.addresses().size(), 1u) << r.out;
        EXPECT_EQ(strip_prefix(r.addresses()[0]), p.addr);
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - since).count();
        {
            std::lock_guard lock(times_mu);
            reclaim_ms[p.fate].push_back(ms);
        }
        auto del = warren_plugin(pc, call("DEL", id, probe_->path()));
        EXPECT_TRUE(del.ok()) << del.describe();
    });
    for (auto& [fate, ms] : reclaim_ms) {
        std::sort(ms.begin(), ms.end());
        std::printf(
            "reclaim after %s: %zu addresses (bound %lld s): min %.0f ms, median %.0f ms, max %.0f "
            "ms\n",
            fate == Fate::del ? "DEL" : "netns deleted without DEL", ms.size(),
            static_cast<long long>(kReclaimBound.count()), ms.front(), ms[ms.size() / 2],
            ms.back());
    }
    ASSERT_EQ(reclaim_ms.size(), 2u) << "seed " << seed << " left DELs or vanished pods unmeasured";

    // Live pods and zombies: still theirs (CHECK), refused to anyone asking for them, distinct.
    std::vector<Pod*> alive;
    for (auto& p : pods_)
        if (p->fate == Fate::live || p->fate == Fate::zombie) alive.push_back(p.get());
    size_t zombies = 0;
    for (auto* p : alive) zombies += p->fate == Fate::zombie;
    std::printf("churn: %zu pods, %zu dead, %zu live, %zu zombies\n", pods_.size(), dead.size(),
                alive.size() - zombies, zombies);
    ASSERT_GT(zombies, 0u) << "seed " << seed << " made no zombie";
    std::set<std::string> distinct;
    for (auto* p : alive) distinct.insert(p->addr);
    EXPECT_EQ(distinct.size(), alive.size()) << "two live pods hold one address";
    const json c = conf();
    parallel_for(alive.size(), [&](size_t k) {
        Pod& p = *alive[k];
        EXPECT_TRUE(p.fate != Fate::zombie || p.zombie.alive()) << p.id << "'s zombie process died";
        json with_prev = c;
        with_prev["prevResult"] = p.result;
        // A zombie's netns path is gone, and bridge's CHECK wants the path of its ADD: the IPAM's
        // CHECK (what bridge calls) then, through the namespace its process holds.
        auto check = p.fate == Fate::zombie
                         ? warren_plugin(with_prev, call("CHECK", p.id, p.zombie_netns))
                         : bridge(with_prev, call("CHECK", p.id, p.ns->path()));
        EXPECT_TRUE(check.ok()) << p.id << " (" << (p.fate == Fate::zombie ? "zombie" : "live")
                                << ", " << p.addr << "): " << check.describe();
        auto thief = request("thief-" + std::to_string(k), p.addr);
        EXPECT_FALSE(thief.ok()) << p.addr << " of " << p.id
                                 << " was handed to another container: " << thief.out;
    });
    if (HasFailure()) {
        const std::string log = agent().log();
        std::printf("agent log (tail):\n%s\n",
                    log.substr(log.size() > 12000 ? log.size() - 12000 : 0).c_str());
    }

    for (auto& p : pods_) p->zombie.kill9();
    auto detached = bpffs.detach();
    EXPECT_TRUE(detached.ok()) << detached.describe();
    EXPECT_FALSE(std::filesystem::exists(bpffs.dir()));
}

}  // namespace
}  // namespace warren::it

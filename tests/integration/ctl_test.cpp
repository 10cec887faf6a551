// warrenctl against the real warrend with pods added through Debian's bridge plugin: the tables
// and --json name the pods' IPs, containers and pod names; exit codes 1, 2 and 3; a non-root
// caller refused; 64 concurrent warrenctl runs while ADDs continue.
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <atomic>
#include <set>
#include <thread>

#include "ctl_support.hpp"
#include "warren/fd.hpp"

namespace warren::it {
namespace {

constexpr const char* kCidr = "10.196.0.0/24";

struct Pod {
    std::string container, name, uid, ip;
};

class CtlTest : public IntegrationTest {
  protected:
    void start_agent() { ASSERT_TRUE(agent().start(with_admin(agent(), {.pod_cidrs = {kCidr}}))); }
    json conf() { return bridge_conf("wrn-ctl", bridge_name(), warren_ipam(agent().socket())); }
    // A pod through the bridge plugin, with the Kubernetes CNI_ARGS a kubelet passes.
    Pod add_pod(const std::string& container, const std::string& name) {
        Pod p{container, name, "uid-" + name, ""};
        Netns& ns = new_netns();
        auto c = call("ADD", container, ns.path());
        c.args = "IgnoreUnknown=1;K8S_POD_NAMESPACE=team-a;K8S_POD_NAME=" + name +
                 ";K8S_POD_UID=" + p.uid + ";K8S_POD_INFRA_CONTAINER_ID=" + container;
        auto r = bridge(conf(), c);
        EXPECT_TRUE(r.ok()) << r.describe() << "\nagent log:\n" << agent().log();
        auto addrs = r.addresses();
        EXPECT_EQ(addrs.size(), 1u) << r.out;
        if (!addrs.empty()) p.ip = strip_prefix(addrs[0]);
        return p;
    }
    std::vector<Pod> three_pods() {
        std::vector<Pod> pods;
        for (int i = 0; i < 3; ++i)
            pods.push_back(add_pod("ctr-" + std::to_string(i), "web-" + std::to_string(i)));
        return pods;
    }
};

// The line of `table` whose first column is `ip`.
std::string row_of(const std::string& table, const std::string& ip) {
    size_t pos = 0;
    while (pos < table.size()) {
        size_t nl = table.find('\n', pos);
        std::string line = table.substr(pos, nl - pos);
        if (line.starts_with(ip + " ")) return line;
        pos = nl == std::string::npos ? table.size() : nl + 1;
    }
    return {};
}

TEST_F(CtlTest, ListTableAndJsonNameEachPod) {
    WARREN_REQUIRE_ROOT();
    start_agent();
    auto pods = three_pods();
    ASSERT_FALSE(HasFailure());

    auto r = warrenctl(agent(), {"list"});
    ASSERT_EQ(r.exit_code, 0) << r.describe() << "\nagent log:\n" << agent().log();
    EXPECT_TRUE(r.out.starts_with("IP ")) << r.out;
    for (auto& p : pods) {
        std::string row = row_of(r.out, p.ip);
        ASSERT_FALSE(row.empty()) << p.ip << " missing from:\n" << r.out;
        EXPECT_NE(row.find(" team-a/" + p.name + " "), std::string::npos) << row;
        EXPECT_NE(row.find(" " + p.container + " "), std::string::npos) << row;
        EXPECT_NE(row.find(" eth0 "), std::string::npos) << row;
        EXPECT_TRUE(row.ends_with(" active")) << row;
    }

    json j = warrenctl_json(agent(), {"list"});
    ASSERT_TRUE(j.contains("entries")) << j.dump();
    ASSERT_EQ(j["entries"].size(), 3u) << j.dump(2);
    for (auto& p : pods) {
        const json* e = nullptr;
        for (auto& x : j["entries"])
            if (x["ip"] == p.ip) e = &x;
        ASSERT_NE(e, nullptr) << p.ip << " not in " << j.dump(2);
        EXPECT_EQ((*e)["containerId"], p.container);
        EXPECT_EQ((*e)["ifname"], "eth0");
        EXPECT_EQ((*e)["network"], "wrn-ctl");
        EXPECT_EQ((*e)["podNamespace"], "team-a");
        EXPECT_EQ((*e)["podName"], p.name);
        EXPECT_EQ((*e)["podUid"], p.uid);
        EXPECT_EQ((*e)["state"], "active");
        EXPECT_GT((*e)["allocatedNs"].get<int64_t>(), 0);
    }

    // Filters: the pool holds all three, no pod is a zombie.
    EXPECT_EQ(warrenctl_json(agent(), {"list", "--state", "active"})["entries"].size(), 3u);
    EXPECT_EQ(warrenctl_json(agent(), {"list", "--state", "zombie"})["entries"].size(), 0u);
    auto none = warrenctl(agent(), {"list", "--state", "zombie"});
    EXPECT_EQ(none.exit_code, 0) << none.describe();
    EXPECT_EQ(none.out, "no allocations\n");
}

TEST_F(CtlTest, ShowFindsAPodByIpContainerAndPodName) {
    WARREN_REQUIRE_ROOT();
    start_agent();
    auto pods = three_pods();
    ASSERT_FALSE(HasFailure());
    const Pod& p = pods[1];
    for (std::string target : {p.ip, p.container, "team-a/" + p.name, p.name}) {
        auto r = warrenctl(agent(), {"show", target});
        ASSERT_EQ(r.exit_code, 0) << target << ": " << r.describe();
        EXPECT_TRUE(r.out.starts_with(p.ip + "  (pool ")) << target << ":\n" << r.out;
        EXPECT_NE(r.out.find("  container    " + p.container + "\n"), std::string::npos) << r.out;
        EXPECT_NE(r.out.find("  pod          team-a/" + p.name + " (uid " + p.uid + ")\n"),
                  std::string::npos)
            << r.out;
        EXPECT_NE(r.out.find("allocated"), std::string::npos) << r.out;

        json j = warrenctl_json(agent(), {"show", target});
        ASSERT_EQ(j["matches"].size(), 1u) << target << ": " << j.dump(2);
        EXPECT_EQ(j["matches"][0]["ip"], p.ip);
        EXPECT_EQ(j["matches"][0]["podName"], p.name);
        EXPECT_EQ(j["matches"][0]["addresses"], json::array({p.ip}));
    }
}

TEST_F(CtlTest, StatusShowsThePoolAndItsUse) {
    WARREN_REQUIRE_ROOT();
    start_agent();
    auto pods = three_pods();
    ASSERT_FALSE(HasFailure());
    auto r = warrenctl(agent(), {"status"});
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_TRUE(r.out.starts_with("warrend " WARREN_VERSION ", up ")) << r.out;
    EXPECT_NE(r.out.find("\n  in use       3\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\nliveness\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\njournal\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\ngc\n"), std::string::npos) << r.out;

    json j = warrenctl_json(agent(), {"status"});
    EXPECT_EQ(j["version"], WARREN_VERSION);
    ASSERT_EQ(j["pools"].size(), 1u) << j.dump(2);
    const json& pool = j["pools"][0];
    EXPECT_EQ(pool["inUse"], 3);
    EXPECT_EQ(pool["family"], "ipv4");
    EXPECT_EQ(pool["alert"], "ok");
    EXPECT_EQ(pool["size"].get<int64_t>(), pool["inUse"].get<int64_t>() +
                                               pool["quarantined"].get<int64_t>() +
                                               pool["free"].get<int64_t>());
    EXPECT_EQ(j["liveness"]["ebpf"]["on"], false);  // the tests run with --ebpf off
}

TEST_F(CtlTest, ExitCodes) {
    WARREN_REQUIRE_ROOT();
    // 3: no agent, saying which socket and what to do.
    auto none = warrenctl(agent(), {"status"});
    EXPECT_EQ(none.exit_code, 3) << none.describe();
    EXPECT_NE(none.err.find(admin_socket(agent())), std::string::npos) << none.err;
    EXPECT_NE(none.err.find("No such file or directory"), std::string::npos) << none.err;
    EXPECT_NE(none.err.find("is warrend running"), std::string::npos) << none.err;

    start_agent();
    // 2: usage errors, before any exchange.
    for (std::vector<std::string> args : {std::vector<std::string>{"frobnicate"},
                                          {"show"},
                                          {"list", "--state", "dead"},
                                          {"events", "--limit", "x"}}) {
        auto r = warrenctl(agent(), args);
        EXPECT_EQ(r.exit_code, 2) << args[0] << ": " << r.describe();
        EXPECT_NE(r.err.find("usage: warrenctl"), std::string::npos) << r.err;
    }
    // 1: the agent's own error (no such allocation), with its message.
    auto unknown = warrenctl(agent(), {"show", "10.196.0.250"});
    EXPECT_EQ(unknown.exit_code, 1) << unknown.describe();
    EXPECT_TRUE(unknown.err.starts_with("warrenctl: ")) << unknown.err;
    EXPECT_NE(unknown.err.find("(code 3)"), std::string::npos) << unknown.err;
    // 0
    auto ok = warrenctl(agent(), {"status"});
    EXPECT_EQ(ok.exit_code, 0) << ok.describe();
}

// uid 65534 may not use the admin socket: exit 3 with a permission message, and the agent
// keeps serving root.
TEST_F(CtlTest, NonRootCallerIsRefused) {
    WARREN_REQUIRE_ROOT();
    start_agent();
    // Let nobody reach the socket itself, so the refusal is the socket's, not a directory's.
    for (auto dir : {tmp(), agent().dir()}) ASSERT_EQ(::chmod(dir.c_str(), 0755), 0) << dir;
    auto r = warrenctl(agent(), {"status"},
                       {"setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"});
    EXPECT_EQ(r.exit_code, 3) << r.describe();
    EXPECT_EQ(r.out, "");
    const bool says_permission = r.err.find("Permission denied") != std::string::npos ||
                                 r.err.find("permission denied") != std::string::npos;
    EXPECT_TRUE(says_permission) << r.err;
    EXPECT_NE(r.err.find("run warrenctl as root"), std::string::npos) << r.err;

    // With the socket opened to everyone (a mistake), warrend's peer-credential check refuses
    // instead; warrenctl says so with the same exit code.
    ASSERT_EQ(::chmod(admin_socket(agent()).c_str(), 0666), 0);
    auto past_mode = warrenctl(agent(), {"status"},
                               {"setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"});
    EXPECT_EQ(past_mode.exit_code, 3) << past_mode.describe();
    EXPECT_EQ(past_mode.out, "");
    EXPECT_TRUE(past_mode.err.starts_with("warrenctl: warrend at " + admin_socket(agent()) +
                                          " refused this caller: permission denied"))
        << past_mode.err;
    auto root = warrenctl(agent(), {"status"});
    EXPECT_EQ(root.exit_code, 0) << root.describe();
}

// 64 warrenctl processes at once (status and list), while pods keep being added through the
// bridge plugin: every run and every ADD succeeds.
TEST_F(CtlTest, SixtyFourConcurrentCallersWhileAddsContinue) {
    WARREN_REQUIRE_ROOT();
    start_agent();
    constexpr int kPods = 8;
    std::vector<Netns*> netns;
    for (int i = 0; i < kPods; ++i) netns.push_back(&new_netns());
    ASSERT_FALSE(HasFailure());
    const json c = conf();

    std::vector<CniResult> adds(kPods);
    std::vector<RunResult> ctl(64);
    std::vector<json> parsed(64);
    std::thread adder([&] {
        for (int i = 0; i < kPods; ++i)
            adds[i] = bridge(c, call("ADD", "busy-" + std::to_string(i), netns[i]->path()));
    });
    std::vector<std::thread> callers;
    for (int i = 0; i < 64; ++i)
        callers.emplace_back([&, i] {
            ctl[i] = warrenctl(agent(), {i % 2 ? "list" : "status", "--json"});
            parsed[i] = json::parse(ctl[i].out, nullptr, false);
        });
    for (auto& t : callers) t.join();
    adder.join();

    for (int i = 0; i < 64; ++i) {
        EXPECT_EQ(ctl[i].exit_code, 0) << i << ": " << ctl[i].describe();
        ASSERT_TRUE(parsed[i].is_object()) << i << ": " << ctl[i].out;
        EXPECT_TRUE(parsed[i].contains(i % 2 ? "entries" : "pools")) << ctl[i].out;
    }
    std::set<std::string> ips;
    for (int i = 0; i < kPods; ++i) {
        ASSERT_TRUE(adds[i].ok()) << i << ": " << adds[i].describe();
        ASSERT_EQ(adds[i].addresses().size(), 1u);
        ips.insert(strip_prefix(adds[i].addresses()[0]));
    }
    EXPECT_EQ(ips.size(), size_t{kPods});
    EXPECT_EQ(warrenctl_json(agent(), {"list"})["entries"].size(), size_t{kPods});
}

// events --follow prints what happens after it started, and SIGINT ends it with exit 0.
TEST_F(CtlTest, EventsFollowShowsNewAllocationsAndExitsZeroOnSigint) {
    WARREN_REQUIRE_ROOT();
    start_agent();
    const std::string log = tmp("follow.log");
    std::string why;
    Child follow = Child::spawn(
        {warrenctl_path(), "events", "--follow", "--admin-socket", admin_socket(agent())}, {}, log,
        why);
    ASSERT_TRUE(follow.valid()) << why;
    // The pool's definition is the first event: the follower has polled once it shows.
    for (int i = 0; i < 1000 && read_file(log).find("pool-defined") == std::string::npos; ++i)
        std::this_thread::sleep_for(10ms);
    ASSERT_NE(read_file(log).find("pool-defined"), std::string::npos) << read_file(log);

    Pod pod = add_pod("ctr-follow", "web-follow");
    ASSERT_FALSE(HasFailure());
    // The row of the allocation: its kind, then its address as a whole column.
    auto allocated_row = [&](const std::string& text) {
        for (size_t pos = 0; pos < text.size();) {
            size_t nl = text.find('\n', pos);
            std::string line = text.substr(pos, nl - pos);
            if (line.find(" allocated ") != std::string::npos &&
                line.find(" " + pod.ip + " ") != std::string::npos)
                return line;
            pos = nl == std::string::npos ? text.size() : nl + 1;
        }
        return std::string();
    };
    for (int i = 0; i < 1000 && allocated_row(read_file(log)).empty(); ++i)
        std::this_thread::sleep_for(10ms);
    const std::string out = read_file(log);
    EXPECT_NE(allocated_row(out).find(" ctr-follow "), std::string::npos) << out;
    EXPECT_TRUE(follow.alive()) << out;

    follow.signal(SIGINT);
    ASSERT_TRUE(follow.wait(10s)) << "warrenctl events --follow ignored SIGINT";
    EXPECT_EQ(follow.exit_code(), 0) << read_file(log);
}

// Ctrl-C ends a command waiting on a hung agent at once (SIGINT keeps its default action
// outside events --follow), rather than after --timeout.
TEST_F(CtlTest, SigintEndsACommandWaitingForAHungAgent) {
    WARREN_REQUIRE_ROOT();
    // A listener that never accepts: connect succeeds, the answer never comes.
    const std::string hung = tmp("hung.sock");
    Fd l{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, hung.data(), hung.size());
    ASSERT_EQ(::bind(l.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(l.get(), 4), 0);
    std::string why;
    Child ctl =
        Child::spawn({warrenctl_path(), "status", "--admin-socket", hung, "--timeout", "60000"}, {},
                     tmp("hung.log"), why);
    ASSERT_TRUE(ctl.valid()) << why;
    // Its request is in the listener's queue once it is waiting for the answer.
    for (int i = 0; i < 1000; ++i) {
        pollfd p{l.get(), POLLIN, 0};
        if (::poll(&p, 1, 10) > 0) break;
    }
    ctl.signal(SIGINT);
    ASSERT_TRUE(ctl.wait(10s)) << "warrenctl status kept waiting after SIGINT";
    EXPECT_EQ(ctl.exit_code(), 128 + SIGINT);
}

}  // namespace
}  // namespace warren::it

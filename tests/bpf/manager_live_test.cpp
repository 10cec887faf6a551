// LivenessManager with the real classifier, netlink and /proc: inside a test "host" namespace, a
// pod veth that appears after start gets the filter (the link-event path), the pod's ping shows
// up in observe() with its host link and a recent wall-clock time, and exit leaves the filter for
// a final detach-all to remove. Everything lives in the test's own namespaces and bpffs dir.
#include <gtest/gtest.h>
#include <net/if.h>
#include <time.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>

#include "in_netns.hpp"
#include "liveness/detach_command.hpp"
#include "liveness/manager.hpp"
#include "liveness/tc_hook.hpp"
#include "loaded.hpp"
#include "netns.hpp"
#include "support/privileged.hpp"

namespace warren::bpftest {
namespace {

using namespace std::chrono_literals;
using it::run_cmd;
using liveness::HeldSignal;
using liveness::HostIfindexSource;
using liveness::HostLinkSignal;
using liveness::NetnsSignal;
using liveness::WireSignal;

int64_t wall_now_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

IpAddress ip(const char* text) {
    return *IpAddress::parse(text);
}

TEST(ManagerLive, AttachesToANewPodLinkSeesItsTrafficAndLeavesTheFilterOnExit) {
    WARREN_REQUIRE_ROOT();
    it::Netns host, pod;  // deleting them deletes every link (and filter) made below
    ASSERT_TRUE(host.ok()) << host.error();
    ASSERT_TRUE(pod.ok()) << pod.error();
    ASSERT_TRUE(pod.disable_dad().ok());
    PinDir pins;  // removed even when the test fails half-way
    InNetns in_host(host.name());
    ASSERT_TRUE(in_host.ok());

    boost::asio::io_context io;
    auto manager = std::make_unique<liveness::LivenessManager>(
        io,
        liveness::LivenessConfig{.ebpf = liveness::EbpfMode::on, .bpffs_dir = pins.path()},
        liveness::system_seams());
    auto started = manager->start();
    ASSERT_TRUE(started) << started.error().describe() << " " << started.error().details;
    EXPECT_TRUE(manager->status().attached.empty());

    const std::string host_if = it::unique_name("wmh"), pod_if = it::unique_name("wmp");
    for (auto argv : std::vector<std::vector<std::string>>{
             {"ip", "-n", host.name(), "link", "add", host_if, "type", "veth", "peer", "name",
              pod_if, "netns", pod.name()},
             {"ip", "-n", host.name(), "addr", "add", "10.250.0.1/24", "dev", host_if},
             {"ip", "-n", host.name(), "link", "set", host_if, "up"},
             {"ip", "-n", pod.name(), "addr", "add", "10.250.0.2/24", "dev", pod_if},
             {"ip", "-n", pod.name(), "addr", "add", "10.250.0.3/24", "dev", pod_if},
             {"ip", "-n", pod.name(), "link", "set", pod_if, "up"}}) {
        auto r = run_cmd(argv);
        ASSERT_TRUE(r.ok()) << argv[3] << " " << argv[4] << ": " << r.describe();
    }
    const int host_ifindex = static_cast<int>(::if_nametoindex(host_if.c_str()));
    ASSERT_GT(host_ifindex, 0);

    // The loop delivers the link events; give it up to 10 s to attach.
    for (auto until = std::chrono::steady_clock::now() + 10s;
         !manager->status().attached.contains(host_ifindex) &&
         std::chrono::steady_clock::now() < until;)
        io.run_for(20ms);
    EXPECT_EQ(manager->status().attached, (std::map<int, std::string>{{host_ifindex, host_if}}));
    ASSERT_TRUE(*liveness::attached(host_ifindex));

    const IpAddress watched = ip("10.250.0.2");
    ASSERT_TRUE(manager->watch({&watched, 1}));
    const int64_t before = wall_now_ns();
    for (const char* source : {"10.250.0.2", "10.250.0.3"}) {
        auto r = pod.exec({"ping", "-c", "2", "-i", "0.2", "-W", "2", "-I", source, "10.250.0.1"});
        ASSERT_TRUE(r.ok()) << r.describe();
    }
    auto inode = liveness::netns_inode(pod.path());
    ASSERT_TRUE(inode) << inode.error().describe();
    const std::vector<liveness::AllocationRef> allocs = {{.key = "pod",
                                                          .netns_path = pod.path(),
                                                          .netns_inode = *inode,
                                                          .ifname = pod_if,
                                                          .addresses = {watched}}};
    auto pass = manager->observe(allocs);
    const int64_t after = wall_now_ns();

    ASSERT_EQ(pass.allocations.size(), 1u);
    const auto& o = pass.allocations[0];
    EXPECT_TRUE(pass.ebpf);
    EXPECT_EQ(o.netns, NetnsSignal::present);
    EXPECT_EQ(o.held, HeldSignal::held) << "ip netns keeps it bind-mounted";
    EXPECT_EQ(o.host_ifindex, host_ifindex);
    EXPECT_EQ(o.host_ifindex_source, HostIfindexSource::netns);
    EXPECT_EQ(o.host_link, HostLinkSignal::present);
    ASSERT_EQ(o.addresses.size(), 1u);
    EXPECT_EQ(o.addresses[0].wire, WireSignal::seen);
    EXPECT_GE(o.addresses[0].packets, 2u);
    EXPECT_EQ(o.addresses[0].last_ifindex, host_ifindex);
    EXPECT_FALSE(o.addresses[0].multi_link);
    EXPECT_GE(o.addresses[0].last_seen_ns, before);
    EXPECT_LE(o.addresses[0].last_seen_ns, after);
    auto stranger = std::find_if(pass.strangers.begin(), pass.strangers.end(),
                                 [](const auto& s) { return s.address == ip("10.250.0.3"); });
    ASSERT_NE(stranger, pass.strangers.end());
    EXPECT_EQ(stranger->last_ifindex, host_ifindex);
    EXPECT_GE(stranger->last_seen_ns, before);
    auto status = manager->status();
    ASSERT_TRUE(status.classifier.has_value());
    EXPECT_GE(status.classifier->watched, 2u);

    manager.reset();  // the agent exits
    EXPECT_TRUE(*liveness::attached(host_ifindex)) << "the filter stays for the next agent";
    EXPECT_TRUE(std::filesystem::exists(pins.path() + "/watch"));

    auto out = liveness::run_detach_all(pins.path());
    EXPECT_TRUE(out.ok) << out.summary;
    EXPECT_EQ(out.summary, "detach-all: removed warren's filter from 1 link(s) (" + host_if +
                               "), unpinned 2 map(s), removed " + pins.path());
    EXPECT_FALSE(*liveness::attached(host_ifindex));
    EXPECT_FALSE(std::filesystem::exists(pins.path()));
}

}  // namespace
}  // namespace warren::bpftest

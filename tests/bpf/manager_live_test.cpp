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
#include "liveness/stat_netns_prober.hpp"
#include "liveness/tc_hook.hpp"
#include "loaded.hpp"
#include "netns.hpp"
#include "support/fake_holder_scanner.hpp"
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

int64_t thread_cpu_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
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
        io, liveness::LivenessConfig{.ebpf = liveness::EbpfMode::on, .bpffs_dir = pins.path()},
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
                               "), unpinned 5 map(s), removed " + pins.path());
    EXPECT_FALSE(*liveness::attached(host_ifindex));
    EXPECT_FALSE(std::filesystem::exists(pins.path()));
}

// Not a timed assertion: prints what one pass over 10,000 allocations costs with the kernel's
// maps (10,000 watched addresses, read in batches), the real netns prober on real namespace
// paths and the link table; the holder scan (a fake here) is timed alone after it.
TEST(ManagerLive, TenThousandAllocationsPassTiming) {
    WARREN_REQUIRE_ROOT();
    it::Netns host, pod;
    ASSERT_TRUE(host.ok()) << host.error();
    ASSERT_TRUE(pod.ok()) << pod.error();
    PinDir pins;
    InNetns in_host(host.name());
    ASSERT_TRUE(in_host.ok());
    auto inode = liveness::netns_inode(pod.path());
    ASSERT_TRUE(inode) << inode.error().describe();

    boost::asio::io_context io;
    auto seams = liveness::system_seams();
    auto scanner = std::make_unique<testing::FakeHolderScanner>();
    scanner->hold(*inode);
    seams.holder_scanner = std::move(scanner);
    liveness::LivenessManager manager(
        io, {.ebpf = liveness::EbpfMode::on, .bpffs_dir = pins.path()}, std::move(seams));
    auto started = manager.start();
    ASSERT_TRUE(started) << started.error().describe();

    std::vector<liveness::AllocationRef> allocs;
    std::vector<IpAddress> addrs;
    for (uint32_t i = 0; i < 10'000; ++i) {
        const IpAddress a = IpAddress::v4(0x0a800000u + 2 + i);
        addrs.push_back(a);
        allocs.push_back({.key = "pod" + std::to_string(i),
                          .netns_path = pod.path(),
                          .netns_inode = *inode,
                          .ifname = "eth0",
                          .addresses = {a},
                          .host_ifindex = 1});
    }
    ASSERT_TRUE(manager.watch(addrs));
    manager.observe(allocs);  // warm
    const auto t0 = std::chrono::steady_clock::now();
    const int64_t cpu0 = thread_cpu_ns();
    auto pass = manager.observe(allocs);
    const int64_t cpu1 = thread_cpu_ns();
    const auto t1 = std::chrono::steady_clock::now();
    ASSERT_EQ(pass.allocations.size(), 10'000u);
    EXPECT_TRUE(pass.ebpf);
    EXPECT_EQ(pass.allocations[9'999].netns, NetnsSignal::present);
    EXPECT_EQ(pass.allocations[9'999].addresses[0].wire, WireSignal::not_seen);
    EXPECT_EQ(pass.rewatched, 0u);
    std::printf(
        "[ timing ] observe() over 10000 allocations (kernel maps, real netns probes, "
        "link table; holder scan faked): %.2f ms wall, %.2f ms CPU\n",
        std::chrono::duration<double, std::milli>(t1 - t0).count(), (cpu1 - cpu0) / 1e6);

    // Its parts: the probes alone (both probers), and one read of the 10,000-entry watch map.
    auto fast = liveness::StatNetnsProber::open();
    ASSERT_TRUE(fast) << fast.error().describe();
    liveness::SystemNetnsProber slow;
    const auto p0 = std::chrono::steady_clock::now();
    for (const auto& a : allocs) ASSERT_TRUE((*fast)->probe(a.netns_path, a.netns_inode));
    const auto p1 = std::chrono::steady_clock::now();
    for (const auto& a : allocs) ASSERT_TRUE(slow.probe(a.netns_path, a.netns_inode));
    const auto p2 = std::chrono::steady_clock::now();
    auto program = liveness::Program::load({.bpffs_dir = pins.path()});  // the same pinned maps
    ASSERT_TRUE(program) << program.error().describe();
    auto maps = program->maps();
    ASSERT_TRUE(maps);
    const auto w0 = std::chrono::steady_clock::now();
    auto entries = maps->watched();
    const auto w1 = std::chrono::steady_clock::now();
    ASSERT_TRUE(entries);
    EXPECT_EQ(entries->size(), 10'000u);
    std::printf(
        "[ timing ]   10000 netns probes: %.2f ms (StatNetnsProber, used), %.2f ms "
        "(SystemNetnsProber); one watch map read: %.2f ms\n",
        std::chrono::duration<double, std::milli>(p1 - p0).count(),
        std::chrono::duration<double, std::milli>(p2 - p1).count(),
        std::chrono::duration<double, std::milli>(w1 - w0).count());

    liveness::ProcHolderScanner real;
    const auto s0 = std::chrono::steady_clock::now();
    auto scan = real.scan();
    const auto s1 = std::chrono::steady_clock::now();
    ASSERT_TRUE(scan) << scan.error().describe();
    std::printf("[ timing ] one real holder scan (%zu processes): %.2f ms\n", scan->processes,
                std::chrono::duration<double, std::milli>(s1 - s0).count());
}

}  // namespace
}  // namespace warren::bpftest

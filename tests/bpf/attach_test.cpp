// The classifier on real links: two network namespaces joined by a veth pair, the "host" side
// carrying the filter, the "pod" side pinging. Also pin reuse across loads and detach_all.
// Everything happens inside the test's own namespaces, so no host link is touched.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <net/if.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "in_netns.hpp"
#include "liveness/detach_all.hpp"
#include "liveness/program.hpp"
#include "liveness/tc_hook.hpp"
#include "loaded.hpp"
#include "netns.hpp"
#include "support/privileged.hpp"
#include "support/temp_dir.hpp"

namespace warren::bpftest {
namespace {

namespace fs = std::filesystem;
using it::Netns;
using it::run_cmd;

IpAddress ip(const char* text) {
    return *IpAddress::parse(text);
}

// A SCHED_CLS program named "other" that returns TC_ACT_UNSPEC.
Fd foreign_program() {
    bpf_insn insns[2] = {};
    insns[0].code = BPF_ALU64 | BPF_MOV | BPF_K;
    insns[0].imm = -1;
    insns[1].code = BPF_JMP | BPF_EXIT;
    return Fd(bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "other", "GPL", insns, 2, nullptr));
}

// A "host" and a "pod" namespace with veth host_if <-> pod_if: 10.250.0.1/24 on the host side,
// 10.250.0.2/24 and 10.250.0.3/24 on the pod side.
class Veth : public ::testing::Test {
  protected:
    void SetUp() override {
        WARREN_REQUIRE_ROOT();
        ASSERT_TRUE(host_.ok()) << host_.error();
        ASSERT_TRUE(pod_.ok()) << pod_.error();
        ASSERT_TRUE(pod_.disable_dad().ok());
        for (auto argv : std::vector<std::vector<std::string>>{
                 {"ip", "-n", host_.name(), "link", "add", host_if_, "type", "veth", "peer", "name",
                  pod_if_, "netns", pod_.name()},
                 {"ip", "-n", host_.name(), "addr", "add", "10.250.0.1/24", "dev", host_if_},
                 {"ip", "-n", host_.name(), "link", "set", host_if_, "up"},
                 {"ip", "-n", pod_.name(), "addr", "add", "10.250.0.2/24", "dev", pod_if_},
                 {"ip", "-n", pod_.name(), "addr", "add", "10.250.0.3/24", "dev", pod_if_},
                 {"ip", "-n", pod_.name(), "link", "set", pod_if_, "up"}}) {
            auto r = run_cmd(argv);
            ASSERT_TRUE(r.ok()) << argv[3] << " " << argv[4] << ": " << r.describe();
        }
        in_host_.emplace(host_.name());
        ASSERT_TRUE(in_host_->ok());
        host_ifindex_ = static_cast<int>(::if_nametoindex(host_if_.c_str()));
        ASSERT_GT(host_ifindex_, 0);
        auto p = liveness::Program::load({.bpffs_dir = pins_.path()});
        ASSERT_TRUE(p) << p.error().describe() << " " << p.error().details;
        program_.emplace(std::move(*p));
    }

    it::RunResult ping_from(const char* source) {
        return pod_.exec({"ping", "-c", "3", "-i", "0.2", "-W", "2", "-I", source, "10.250.0.1"});
    }
    std::string tc(std::vector<std::string> args) {
        args.insert(args.begin(), {"tc", "-n", host_.name()});
        auto r = run_cmd(args);
        EXPECT_TRUE(r.ok()) << r.describe();
        return r.out;
    }
    liveness::BpfMaps maps() { return std::move(*program_->maps()); }

    Netns host_, pod_;  // destroyed last: deleting a namespace deletes its links
    std::string host_if_ = it::unique_name("wbh"), pod_if_ = it::unique_name("wbp");
    PinDir pins_;
    std::optional<InNetns> in_host_;
    int host_ifindex_ = 0;
    std::optional<liveness::Program> program_;
};

TEST_F(Veth, PodTrafficIsSeenWithItsAddressAndHostIfindex) {
    auto m = maps();
    ASSERT_TRUE(m.watch(ip("10.250.0.2")));
    auto att = liveness::attach(program_->prog_fd(), host_ifindex_);
    ASSERT_TRUE(att) << att.error().describe();
    ASSERT_TRUE(att->has_value());
    EXPECT_EQ((*att)->ifindex(), host_ifindex_);

    std::string filters = tc({"filter", "show", "dev", host_if_, "ingress"});
    EXPECT_NE(filters.find("handle 0x5741"), std::string::npos) << filters;
    EXPECT_NE(filters.find("warren_liveness"), std::string::npos) << filters;

    auto r = ping_from("10.250.0.2");
    ASSERT_TRUE(r.ok()) << r.describe();
    auto o = m.observation(ip("10.250.0.2"));
    ASSERT_TRUE(o && o->has_value());
    EXPECT_GE((*o)->packets, 3u);  // three echo requests, plus ARP from the same sender
    EXPECT_EQ((*o)->ifindex, uint32_t(host_ifindex_));
    EXPECT_EQ((*o)->first_ifindex, uint32_t(host_ifindex_));
    EXPECT_FALSE((*o)->multi_link);

    r = ping_from("10.250.0.3");
    ASSERT_TRUE(r.ok()) << r.describe();
    auto s = m.strangers();
    ASSERT_TRUE(s);
    auto it =
        std::find_if(s->begin(), s->end(), [](auto& e) { return e.address == ip("10.250.0.3"); });
    ASSERT_NE(it, s->end());
    EXPECT_GE(it->observation.packets, 3u);
    EXPECT_EQ(it->observation.ifindex, uint32_t(host_ifindex_));
    EXPECT_EQ((*m.observation(ip("10.250.0.3"))), std::nullopt);

    ASSERT_TRUE((*att)->detach());
    EXPECT_EQ(tc({"filter", "show", "dev", host_if_, "ingress"}), "");
    EXPECT_EQ(tc({"qdisc", "show", "dev", host_if_}).find("clsact"), std::string::npos);
    EXPECT_FALSE(*liveness::attached(host_ifindex_));
}

TEST_F(Veth, AttachIsIdempotentAndKeepsAForeignClsactQdisc) {
    // A clsact qdisc somebody else made, with their filter on egress: ours comes and goes
    // without disturbing it.
    tc({"qdisc", "add", "dev", host_if_, "clsact"});
    Fd other = foreign_program();
    ASSERT_TRUE(other) << std::strerror(errno);
    LIBBPF_OPTS(bpf_tc_hook, egress, .ifindex = host_ifindex_, .attach_point = BPF_TC_EGRESS);
    LIBBPF_OPTS(bpf_tc_opts, theirs, .prog_fd = other.get(), .handle = 1, .priority = 7);
    ASSERT_EQ(bpf_tc_attach(&egress, &theirs), 0);
    auto a1 = liveness::attach(program_->prog_fd(), host_ifindex_);
    ASSERT_TRUE(a1 && a1->has_value()) << (a1 ? "link gone" : a1.error().describe());
    auto a2 = liveness::attach(program_->prog_fd(), host_ifindex_);  // replaces, no duplicate
    ASSERT_TRUE(a2 && a2->has_value());
    std::string filters = tc({"filter", "show", "dev", host_if_, "ingress"});
    EXPECT_EQ(std::count(filters.begin(), filters.end(), '\n'), 2) << filters;  // chain line + ours
    (*a2)->leave_attached();
    ASSERT_TRUE((*a1)->detach());
    EXPECT_EQ(tc({"filter", "show", "dev", host_if_, "ingress"}), "");
    EXPECT_NE(tc({"qdisc", "show", "dev", host_if_}).find("clsact"), std::string::npos);
    EXPECT_NE(tc({"filter", "show", "dev", host_if_, "egress"}).find("other"), std::string::npos);
}

TEST_F(Veth, AttachmentDetachesOnDestruction) {
    {
        auto att = liveness::attach(program_->prog_fd(), host_ifindex_);
        ASSERT_TRUE(att && att->has_value());
        EXPECT_TRUE(*liveness::attached(host_ifindex_));
    }
    EXPECT_FALSE(*liveness::attached(host_ifindex_));
    EXPECT_EQ(tc({"filter", "show", "dev", host_if_, "ingress"}), "");
}

TEST_F(Veth, VanishedLinkIsNotAnError) {
    ASSERT_TRUE(run_cmd({"ip", "-n", host_.name(), "link", "del", host_if_}).ok());
    auto att = liveness::attach(program_->prog_fd(), host_ifindex_);
    ASSERT_TRUE(att) << att.error().describe();
    EXPECT_FALSE(att->has_value());
    auto detached = liveness::detach_filter(host_ifindex_);
    ASSERT_TRUE(detached) << detached.error().describe();
    EXPECT_FALSE(*detached);
}

TEST_F(Veth, ObservationsSurviveARestartAndTrafficWhileDown) {
    ASSERT_TRUE(maps().watch(ip("10.250.0.2")));
    auto att = liveness::attach(program_->prog_fd(), host_ifindex_);
    ASSERT_TRUE(att && att->has_value());
    (*att)->leave_attached();  // as the agent does on exit
    ASSERT_TRUE(ping_from("10.250.0.2").ok());
    uint64_t before = (*maps().observation(ip("10.250.0.2")))->packets;
    ASSERT_GE(before, 3u);

    program_.reset();  // the agent is down; the filter keeps the old program running
    ASSERT_TRUE(ping_from("10.250.0.2").ok());

    auto p = liveness::Program::load({.bpffs_dir = pins_.path()});
    ASSERT_TRUE(p) << p.error().describe();
    auto m = p->maps();
    ASSERT_TRUE(m);
    ASSERT_TRUE(m->watch(ip("10.250.0.2")));  // re-watching keeps the evidence
    auto o = m->observation(ip("10.250.0.2"));
    ASSERT_TRUE(o && o->has_value());
    EXPECT_GE((*o)->packets, before + 3);
    EXPECT_EQ((*o)->ifindex, uint32_t(host_ifindex_));

    auto again = liveness::attach(p->prog_fd(), host_ifindex_);  // the new program replaces the old
    ASSERT_TRUE(again && again->has_value());
    ASSERT_TRUE(ping_from("10.250.0.2").ok());
    EXPECT_GE((*m->observation(ip("10.250.0.2")))->packets, before + 6);
}

TEST_F(Veth, DetachAllRemovesOurFiltersAndPinsOnly) {
    auto second = it::unique_name("wbx");
    auto peer = it::unique_name("wby");
    ASSERT_TRUE(run_cmd({"ip", "-n", host_.name(), "link", "add", second, "type", "veth", "peer",
                         "name", peer})
                    .ok());
    int second_ifindex = static_cast<int>(::if_nametoindex(second.c_str()));
    ASSERT_GT(second_ifindex, 0);
    auto a1 = liveness::attach(program_->prog_fd(), host_ifindex_);
    auto a2 = liveness::attach(program_->prog_fd(), second_ifindex);
    ASSERT_TRUE(a1 && a1->has_value() && a2 && a2->has_value());
    (*a1)->leave_attached();
    (*a2)->leave_attached();
    // Somebody else's program with warren's handle and priority on the loopback: left alone.
    Fd other = foreign_program();
    ASSERT_TRUE(other) << std::strerror(errno);
    auto lo = liveness::attach(other.get(), static_cast<int>(::if_nametoindex("lo")));
    ASSERT_TRUE(lo && lo->has_value());
    (*lo)->leave_attached();
    program_.reset();
    ASSERT_TRUE(fs::exists(pins_.path() + "/watch"));

    auto report = liveness::detach_all(pins_.path());
    ASSERT_TRUE(report) << report.error().describe();
    std::vector<std::string> links = report->links;
    std::sort(links.begin(), links.end());
    std::vector<std::string> want = {host_if_, second};
    std::sort(want.begin(), want.end());
    EXPECT_EQ(links, want);
    EXPECT_EQ(report->unpinned.size(), liveness::kPinnedMaps.size());  // watch ... spoofs
    EXPECT_TRUE(report->removed_dir);
    EXPECT_FALSE(fs::exists(pins_.path()));
    EXPECT_EQ(tc({"filter", "show", "dev", host_if_, "ingress"}), "");
    EXPECT_EQ(tc({"filter", "show", "dev", second, "ingress"}), "");
    EXPECT_EQ(tc({"qdisc", "show", "dev", second}).find("clsact"), std::string::npos);
    EXPECT_NE(tc({"filter", "show", "dev", "lo", "ingress"}).find("handle 0x5741"),
              std::string::npos);

    auto again = liveness::detach_all(pins_.path());  // nothing left: still success
    ASSERT_TRUE(again) << again.error().describe();
    EXPECT_TRUE(again->links.empty());
    EXPECT_TRUE(again->unpinned.empty());
}

// Echo requests the host namespace received (Icmp InEchos in /proc/net/snmp).
uint64_t in_echos(const Netns& ns) {
    auto r = ns.exec({"cat", "/proc/net/snmp"});
    EXPECT_TRUE(r.ok()) << r.describe();
    std::istringstream in(r.out);
    std::string names, values;
    while (std::getline(in, names))
        if (names.rfind("Icmp: ", 0) == 0 && std::getline(in, values)) break;
    std::istringstream n(names), v(values);
    std::string name, value;
    while (n >> name && v >> value)
        if (name == "InEchos") return std::stoull(value);
    ADD_FAILURE() << "no Icmp InEchos in /proc/net/snmp: " << r.out;
    return 0;
}

// The pod may send from 10.250.0.2 only; it also holds 10.250.0.3 and pings from it.
class VethGuard : public Veth {
  protected:
    void protect(liveness::SpoofMode mode) {
        auto g = program_->guard_maps();
        ASSERT_TRUE(g) << g.error().describe();
        guard_.emplace(std::move(*g));
        auto ok = guard_->set_link({uint32_t(host_ifindex_), mode, {ip("10.250.0.2")}});
        ASSERT_TRUE(ok) << ok.error().describe();
        auto att = liveness::attach(program_->prog_fd(), host_ifindex_);
        ASSERT_TRUE(att && att->has_value()) << (att ? "link gone" : att.error().describe());
        hook_.emplace(std::move(**att));
    }
    std::optional<liveness::Spoof> spoof_of(const char* source) {
        auto s = guard_->spoofs();
        EXPECT_TRUE(s) << s.error().describe();
        for (const auto& e : s ? *s : std::vector<liveness::Spoof>{})
            if (e.ifindex == uint32_t(host_ifindex_) && e.source == ip(source)) return e;
        return std::nullopt;
    }
    std::optional<liveness::BpfGuardMaps> guard_;
    std::optional<liveness::TcAttachment> hook_;
};

TEST_F(VethGuard, DropStopsASpoofedPingAndPassesTheOwnAddress) {
    protect(liveness::SpoofMode::drop);
    auto own = ping_from("10.250.0.2");  // also resolves the host's MAC for the next ping
    ASSERT_TRUE(own.ok()) << own.describe();
    EXPECT_EQ(spoof_of("10.250.0.2"), std::nullopt);

    uint64_t before = in_echos(host_);
    auto spoofed = ping_from("10.250.0.3");
    EXPECT_FALSE(spoofed.ok()) << "a spoofed ping was answered: " << spoofed.describe();
    EXPECT_EQ(in_echos(host_), before) << "an echo request from the spoofed address arrived";
    auto s = spoof_of("10.250.0.3");
    ASSERT_TRUE(s);
    EXPECT_GE(s->packets, 3u);
    EXPECT_EQ(s->dropped, s->packets);
    auto stats = program_->stats();
    ASSERT_TRUE(stats);
    EXPECT_EQ(stats->spoof_dropped, s->packets);

    EXPECT_TRUE(ping_from("10.250.0.2").ok()) << "the pod's own traffic still flows";
}

TEST_F(VethGuard, LogPassesASpoofedPingAndCountsIt) {
    protect(liveness::SpoofMode::log);
    uint64_t before = in_echos(host_);
    auto spoofed = ping_from("10.250.0.3");
    ASSERT_TRUE(spoofed.ok()) << spoofed.describe();
    EXPECT_GE(in_echos(host_), before + 3);
    auto s = spoof_of("10.250.0.3");
    ASSERT_TRUE(s);
    EXPECT_GE(s->packets, 3u);
    EXPECT_EQ(s->dropped, 0u);
    EXPECT_EQ(spoof_of("10.250.0.2"), std::nullopt);
}

TEST(Pins, ReloadReusesPinnedMaps) {
    WARREN_REQUIRE_ROOT();
    PinDir pins;
    {
        auto p = liveness::Program::load({.bpffs_dir = pins.path()});
        ASSERT_TRUE(p) << p.error().describe();
        ASSERT_TRUE(p->maps()->watch(ip("10.244.0.5")));
        ASSERT_EQ(run_frame(p->prog_fd(), ipv4("10.244.0.5"), 3).rc, 0);
        ASSERT_EQ(run_frame(p->prog_fd(), ipv4("10.244.0.9"), 3).rc, 0);
    }
    struct stat st {};
    ASSERT_EQ(::stat(pins.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0700u);
    auto p = liveness::Program::load({.bpffs_dir = pins.path()});
    ASSERT_TRUE(p) << p.error().describe();
    auto m = p->maps();
    EXPECT_EQ((*m->observation(ip("10.244.0.5")))->packets, 1u);
    ASSERT_EQ(m->strangers()->size(), 1u);
    ASSERT_EQ(run_frame(p->prog_fd(), ipv4("10.244.0.5"), 3).rc, 0);
    EXPECT_EQ((*m->observation(ip("10.244.0.5")))->packets, 2u);
}

TEST(Pins, IncompatiblePinnedMapIsRefusedWithAdvice) {
    WARREN_REQUIRE_ROOT();
    PinDir pins;
    ASSERT_EQ(::mkdir(pins.path().c_str(), 0700), 0);
    Fd old(bpf_map_create(BPF_MAP_TYPE_HASH, "watch", 16, 32, 1024, nullptr));  // value 32, not 40
    ASSERT_TRUE(old);
    ASSERT_EQ(bpf_obj_pin(old.get(), (pins.path() + "/watch").c_str()), 0);
    auto p = liveness::Program::load({.bpffs_dir = pins.path()});
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().code, Code::invalid_config);
    EXPECT_NE(p.error().message.find(pins.path() + "/watch"), std::string::npos)
        << p.error().message;
    EXPECT_NE(p.error().message.find("value 32/40"), std::string::npos) << p.error().message;
    EXPECT_NE(p.error().details.find("warrend --detach-all"), std::string::npos)
        << p.error().details;
}

TEST(Pins, DirectoryOutsideBpffsIsRefusedWithTheMountCommand) {
    testing::TempDir dir;  // plain files, not bpffs
    auto p = liveness::Program::load({.bpffs_dir = dir / "warren"});
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().message, "bpffs not mounted at " + dir.path());
    EXPECT_NE(p.error().details.find("mount -t bpf bpf " + dir.path()), std::string::npos)
        << p.error().details;
    EXPECT_FALSE(fs::exists(dir / "warren"));
}

}  // namespace
}  // namespace warren::bpftest

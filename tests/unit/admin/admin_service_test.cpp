// AdminService (issue 8): each command's JSON, refusals, the release veto and --force, dry-run
// GC, events.
#include "unit/admin/admin_fixture.hpp"

namespace warren::testing {
namespace {

using nlohmann::json;

struct FixedHealth : service::PoolHealthSource {
    service::PoolHealth health(const std::string& pool) const override {
        if (pool != "default") return {};
        return {service::AlertLevel::warn, 0.85, 12.5, 3600.0};
    }
};

TEST_F(AdminTest, StatusReportsPoolsLivenessJournalAndGc) {
    add("c1", "/run/netns/a");
    add("c2", "/run/netns/b");
    del("c2");
    auto s = ok("status");
    EXPECT_EQ(s["version"], "9.9.9");
    EXPECT_EQ(s["uptimeSeconds"], 5);
    ASSERT_EQ(s["pools"].size(), 1u);
    auto& p = s["pools"][0];
    EXPECT_EQ(p["name"], "default");
    EXPECT_EQ(p["source"], "config");
    EXPECT_EQ(p["family"], "ipv4");
    EXPECT_EQ(p["ranges"], json::array({"10.1.0.0/24"}));
    EXPECT_EQ(p["size"], 253);
    EXPECT_EQ(p["inUse"], 1);
    EXPECT_EQ(p["quarantined"], 1);
    EXPECT_EQ(p["free"], 251);
    EXPECT_DOUBLE_EQ(p["utilization"].get<double>(), 2.0 / 253);
    EXPECT_EQ(p["alert"], "ok");
    EXPECT_FALSE(p.contains("forecast")) << "no forecast is made up without a PoolHealthSource";
    ASSERT_EQ(p["sets"].size(), 1u);
    EXPECT_EQ(p["sets"][0]["ranges"], "10.1.0.0/24");
    EXPECT_EQ(p["sets"][0]["size"], 253);
    EXPECT_EQ(p["sets"][0]["inUse"], 1);
    EXPECT_EQ(p["sets"][0]["quarantined"], 1);
    EXPECT_EQ(p["sets"][0]["free"], 251);
    EXPECT_EQ(s["liveness"]["ebpf"]["mode"], "off");
    EXPECT_EQ(s["liveness"]["ebpf"]["on"], false);
    EXPECT_EQ(s["liveness"]["signals"]["netns"]["on"], true);
    EXPECT_EQ(s["liveness"]["signals"]["wire"]["on"], false);
    EXPECT_EQ(s["gc"]["passes"], 0);
    EXPECT_EQ(s["gc"]["intervalSeconds"], 30);
    EXPECT_EQ(s["gc"]["graceSeconds"], 60);
    EXPECT_EQ(s["gc"]["cooldownSeconds"], 30);
    EXPECT_EQ(s["journal"]["records"], 0) << "no journal info source: zeros";

    ok("gc");
    EXPECT_EQ(ok("status")["gc"]["passes"], 1);
}

TEST_F(AdminTest, StatusTakesAlertAndForecastFromThePoolHealthSource) {
    FixedHealth health;
    make_admin(&health);
    auto p = ok("status")["pools"][0];
    EXPECT_EQ(p["alert"], "warn");
    EXPECT_DOUBLE_EQ(p["forecast"]["netPerHour"].get<double>(), 12.5);
    EXPECT_DOUBLE_EQ(p["forecast"]["exhaustionSeconds"].get<double>(), 3600.0);
}

TEST_F(AdminTest, ExhaustedPoolIsSaidWithoutAHealthSource) {
    auto sets =
        core::range_sets_from_cidrs({"10.2.0.0/30"});  // one usable address (.2; .1 is the gateway)
    ASSERT_TRUE(sets);
    bool defined = false;
    svc.define_pool("tiny", *sets, core::PoolSource::config,
                    [&](Status st) { defined = st.has_value(); });
    pump();
    ASSERT_TRUE(defined);
    for (auto cid : {"t1"}) {
        proto::Request r;
        r.op = proto::Op::add;
        r.network = "net";
        r.container_id = cid;
        r.ifname = "eth0";
        r.pool = "tiny";
        bool added = false;
        svc.handle(std::move(r), [&](proto::Response x) { added = x.ok; });
        pump();
        ASSERT_TRUE(added) << cid;
    }
    auto pools = ok("status")["pools"];
    ASSERT_EQ(pools.size(), 2u);
    EXPECT_EQ(pools[1]["name"], "tiny");
    EXPECT_EQ(pools[1]["alert"], "exhausted");
    EXPECT_DOUBLE_EQ(pools[1]["utilization"].get<double>(), 1.0);
    EXPECT_EQ(pools[0]["alert"], "ok");
}

TEST_F(AdminTest, ListShowsAllocationsAndQuarantineSortedAndFiltered) {
    const auto a = add("c1", "/run/netns/a", "web-0");
    const auto b = add("c2", "/run/netns/b", "web-1");
    const auto c = add("c3", "/run/netns/c", "web-2");
    del("c2");
    auto all = ok("list")["entries"];
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0]["ip"], a);
    EXPECT_EQ(all[0]["state"], "active");
    EXPECT_EQ(all[0]["containerId"], "c1");
    EXPECT_EQ(all[0]["podNamespace"], "ns");
    EXPECT_EQ(all[0]["podName"], "web-0");
    EXPECT_EQ(all[0]["podUid"], "uid-web-0");
    EXPECT_EQ(all[0]["netns"], "/run/netns/a");
    EXPECT_EQ(all[0]["network"], "net");
    EXPECT_EQ(all[0]["allocatedNs"], wall.t);
    EXPECT_EQ(all[0]["lastSeenNs"], 0);
    EXPECT_EQ(all[0]["reason"], "");
    EXPECT_EQ(all[1]["ip"], b);
    EXPECT_EQ(all[1]["state"], "quarantined");
    EXPECT_EQ(all[1]["containerId"], "c2") << "a quarantined row names who released it";
    EXPECT_EQ(all[1]["reason"], "del");
    EXPECT_EQ(all[2]["ip"], c);

    auto q = ok("list", {{"state", "quarantined"}})["entries"];
    ASSERT_EQ(q.size(), 1u);
    EXPECT_EQ(q[0]["ip"], b);
    EXPECT_EQ(ok("list", {{"state", "active"}, {"pool", "default"}})["entries"].size(), 2u);

    auto bad_state = call("list", {{"state", "sleeping"}});
    EXPECT_EQ(bad_state["ok"], false);
    EXPECT_EQ(bad_state["code"], static_cast<int>(Code::invalid_config));
    EXPECT_NE(bad_state["error"].get<std::string>().find("arg 'state'"), std::string::npos)
        << bad_state.dump();
    auto bad_pool = call("list", {{"pool", "nope"}});
    EXPECT_EQ(bad_pool["ok"], false);
    EXPECT_NE(bad_pool["error"].get<std::string>().find("pools: default"), std::string::npos)
        << bad_pool.dump();
}

TEST_F(AdminTest, ShowFindsByIpContainerPrefixAndPodWithHistory) {
    const auto a = add("abc123", "/run/netns/a", "web-0");
    add("abd999", "/run/netns/b", "web-1");
    for (std::string target : {a, std::string("abc123"), std::string("abc"),
                               std::string("ns/web-0"), std::string("web-0")}) {
        auto m = ok("show", {{"target", target}})["matches"];
        ASSERT_EQ(m.size(), 1u) << target;
        EXPECT_EQ(m[0]["containerId"], "abc123") << target;
        EXPECT_EQ(m[0]["addresses"], json::array({a})) << target;
        EXPECT_EQ(m[0]["netnsInode"], 77) << target;
        ASSERT_EQ(m[0]["history"].size(), 1u) << target;
        EXPECT_EQ(m[0]["history"][0]["kind"], "allocated") << target;
    }
    auto ambiguous = call("show", {{"target", "ab"}});
    EXPECT_EQ(ambiguous["ok"], false);
    EXPECT_NE(ambiguous["error"].get<std::string>().find("prefix of 2 container IDs"),
              std::string::npos)
        << ambiguous.dump();
    auto none = call("show", {{"target", "zzz"}});
    EXPECT_EQ(none["ok"], false);
    EXPECT_EQ(none["code"], static_cast<int>(Code::unknown_container));

    del("abc123");
    auto q = ok("show", {{"target", a}})["matches"];
    ASSERT_EQ(q.size(), 1u);
    EXPECT_EQ(q[0]["state"], "quarantined");
    EXPECT_EQ(q[0]["quarantineEndsNs"], wall.t + 30 * kSec);
    ASSERT_EQ(q[0]["history"].size(), 2u);
    EXPECT_EQ(q[0]["history"][1]["kind"], "released");
    EXPECT_EQ(q[0]["history"][1]["reason"], "del");
}

TEST_F(AdminTest, ReleaseIsVetoedByALiveNetnsAndForcedWhenAsked) {
    prober->put("/run/netns/a", 77);
    const auto a = add("c1", "/run/netns/a");
    auto vetoed = call("release", {{"ip", a}});
    EXPECT_EQ(vetoed["ok"], false);
    EXPECT_EQ(vetoed["code"], static_cast<int>(Code::unavailable));
    EXPECT_NE(vetoed["error"].get<std::string>().find("its netns path still exists"),
              std::string::npos)
        << vetoed.dump();
    EXPECT_NE(vetoed["details"].get<std::string>().find("--force"), std::string::npos);
    ASSERT_NE(state.find({"net", "c1", "eth0"}), nullptr) << "a vetoed release changes nothing";

    auto forced = ok("release", {{"ip", a}, {"force", true}});
    EXPECT_EQ(forced["released"], json::array({a}));
    EXPECT_EQ(forced["forced"], true);
    EXPECT_EQ(forced["containerId"], "c1");
    EXPECT_EQ(forced["quarantineEndsNs"], wall.t + 30 * kSec);
    EXPECT_EQ(state.find({"net", "c1", "eth0"}), nullptr);
    auto last = ok("events", {{"limit", 1}})["events"];
    ASSERT_EQ(last.size(), 1u);
    EXPECT_EQ(last[0]["kind"], "released");
    EXPECT_EQ(last[0]["reason"], "admin-forced");

    auto again = call("release", {{"ip", a}});
    EXPECT_EQ(again["code"], static_cast<int>(Code::unknown_container));
    EXPECT_NE(again["error"].get<std::string>().find("cooling down"), std::string::npos)
        << again.dump();
    auto free_one = call("release", {{"ip", "10.1.0.200"}});
    EXPECT_EQ(free_one["code"], static_cast<int>(Code::unknown_container));
    auto not_ip = call("release", {{"ip", "10.1.0.300"}});
    EXPECT_EQ(not_ip["code"], static_cast<int>(Code::invalid_config));
}

TEST_F(AdminTest, ReleaseOfADeadAllocationIsAnAdminReleaseOnceDurable) {
    const auto a = add("c1", "/run/netns/gone");
    std::optional<json> answer;
    admin->handle({{"command", "release"}, {"args", {{"ip", a}}}},
                  [&](std::string r) { answer = json::parse(r); });
    EXPECT_FALSE(answer) << "answered before the journal write completed";
    pump();
    ASSERT_TRUE(answer);
    EXPECT_EQ((*answer)["ok"], true) << answer->dump();
    EXPECT_EQ((*answer)["result"]["forced"], false);
    auto last = ok("events", {{"limit", 1}})["events"];
    ASSERT_EQ(last.size(), 1u);
    EXPECT_EQ(last[0]["reason"], "admin");
}

TEST_F(AdminTest, DryRunGcDecidesWithoutRecordingAndARealPassRecords) {
    add("c1", "/run/netns/gone");  // the prober has no such path: gone
    const size_t before = events.events().size();
    auto dry = ok("gc", {{"dryRun", true}});
    EXPECT_EQ(dry["dryRun"], true);
    EXPECT_EQ(dry["allocations"], 1);
    ASSERT_EQ(dry["decisions"].size(), 1u);
    EXPECT_EQ(dry["decisions"][0]["kind"], "candidate");
    EXPECT_EQ(dry["decisions"][0]["reason"], "netns-gone");
    EXPECT_EQ(dry["decisions"][0]["containerId"], "c1");
    EXPECT_FALSE(dry["decisions"][0]["why"].get<std::string>().empty());
    EXPECT_FALSE(state.find({"net", "c1", "eth0"})->candidate) << "a dry run records nothing";
    EXPECT_EQ(events.events().size(), before);
    EXPECT_EQ(gc->counters().passes, 0u);

    auto real = ok("gc");
    EXPECT_EQ(real["dryRun"], false);
    ASSERT_EQ(real["decisions"].size(), 1u);
    EXPECT_EQ(real["decisions"][0]["kind"], "candidate");
    EXPECT_TRUE(state.find({"net", "c1", "eth0"})->candidate);
    EXPECT_EQ(events.events().back().kind, "candidate");
    EXPECT_EQ(gc->counters().passes, 1u);
    EXPECT_EQ(gc->counters().decisions.at("netns-gone"), 1u);
    auto listed = ok("list", {{"state", "stale-candidate"}})["entries"];
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0]["reason"], "netns-gone");
}

class AdminWireTest : public AdminTest {
  protected:
    AdminWireTest() { ebpf = true; }
};

// A dry run decides on a copy of the policy: a conflict it reports is still new to the next real
// pass, which reports (and logs as an event) it once.
TEST_F(AdminWireTest, DryRunLeavesTheConflictMemoryAsItWas) {
    prober->put("/run/netns/a", 77);  // alive: no GC decision, only the conflict
    const auto a = ip(add("c1", "/run/netns/a").c_str());
    ASSERT_TRUE(manager->watch(std::span(&a, 1)));
    dp->maps.see(a, 5, 4'000'000'000);
    dp->maps.see(a, 6, 4'100'000'000);  // a second link: a conflict

    for (int i = 0; i < 2; ++i) {
        auto dry = ok("gc", {{"dryRun", true}});
        ASSERT_EQ(dry["conflicts"].size(), 1u) << dry.dump();
        EXPECT_EQ(dry["conflicts"][0]["kind"], "two-links");
        EXPECT_EQ(dry["conflicts"][0]["holder"], "net/c1/eth0");
    }
    EXPECT_EQ(gc->counters().conflicts, 0u);
    auto real = ok("gc");
    ASSERT_EQ(real["conflicts"].size(), 1u) << "the dry runs used up the conflict: " << real.dump();
    EXPECT_EQ(events.events().back().kind, "conflict");
    EXPECT_EQ(events.events().back().ip, a.str());
    EXPECT_EQ(ok("gc")["conflicts"].size(), 0u) << "a real pass remembers what it reported";
    EXPECT_EQ(gc->counters().conflicts, 1u);
    auto row = ok("list")["entries"][0];
    EXPECT_GT(row["lastSeenNs"].get<int64_t>(), 0) << "last seen comes from the last pass's wire";
}

TEST_F(AdminTest, EventsAreNumberedAndFollowedWithSince) {
    add("c1", "/run/netns/a");
    add("c2", "/run/netns/b");
    add("c3", "/run/netns/c");
    auto all = ok("events");
    ASSERT_EQ(all["events"].size(), 3u);
    EXPECT_EQ(all["events"][0]["seq"], 1);
    EXPECT_EQ(all["events"][2]["seq"], 3);
    EXPECT_EQ(all["next"], 3);
    auto tail = ok("events", {{"limit", 2}});
    ASSERT_EQ(tail["events"].size(), 2u);
    EXPECT_EQ(tail["events"][0]["containerId"], "c2");
    auto after = ok("events", {{"since", 1}, {"limit", 1}});
    ASSERT_EQ(after["events"].size(), 1u);
    EXPECT_EQ(after["events"][0]["seq"], 2);
    EXPECT_EQ(after["next"], 2);
    auto idle = ok("events", {{"since", 3}});
    EXPECT_TRUE(idle["events"].empty());
    EXPECT_EQ(idle["next"], 3);
    del("c1");
    auto follow = ok("events", {{"since", 3}});
    ASSERT_EQ(follow["events"].size(), 1u);
    EXPECT_EQ(follow["events"][0]["kind"], "released");
    EXPECT_EQ(follow["next"], 4);

    for (json bad :
         {json{{"limit", 0}}, json{{"limit", 10001}}, json{{"since", -1}}, json{{"limit", "5"}}}) {
        auto r = call("events", bad);
        EXPECT_EQ(r["ok"], false) << bad.dump();
        EXPECT_EQ(r["code"], static_cast<int>(Code::invalid_config)) << bad.dump();
    }
}

TEST_F(AdminTest, EventsShowOnlyDurableChanges) {
    proto::Request r;
    r.op = proto::Op::add;
    r.network = "net";
    r.container_id = "c1";
    r.ifname = "eth0";
    svc.handle(std::move(r), [](proto::Response) {});
    EXPECT_TRUE(events.events().empty()) << "logged before the journal write completed";
    sink.complete_all(Status(fail(Code::io, "disk full")));
    io.restart();
    io.poll();
    EXPECT_TRUE(events.events().empty()) << "a change rolled back is no event";
}

TEST_F(AdminTest, MetricsComeFromTheRendererOrAreUnavailable) {
    auto off = call("metrics");
    EXPECT_EQ(off["ok"], false);
    EXPECT_EQ(off["code"], static_cast<int>(Code::unavailable));
    EXPECT_EQ(off["error"], "metrics are not enabled");
    make_admin(nullptr, [] { return std::string("warren_up 1\n"); });
    EXPECT_EQ(ok("metrics")["text"], "warren_up 1\n");
}

TEST_F(AdminTest, UnknownCommandsAndMalformedRequestsSayWhat) {
    auto unknown = call("frobnicate");
    EXPECT_EQ(unknown["ok"], false);
    EXPECT_EQ(unknown["code"], static_cast<int>(Code::invalid_config));
    EXPECT_NE(unknown["error"].get<std::string>().find("unknown command 'frobnicate'"),
              std::string::npos);
    std::optional<json> no_command;
    admin->handle(json{{"args", json::object()}},
                  [&](std::string r) { no_command = json::parse(r); });
    ASSERT_TRUE(no_command);
    EXPECT_EQ((*no_command)["code"], static_cast<int>(Code::invalid_config));
    std::optional<json> bad_args;
    admin->handle(json{{"command", "list"}, {"args", json::array()}},
                  [&](std::string r) { bad_args = json::parse(r); });
    ASSERT_TRUE(bad_args);
    EXPECT_NE((*bad_args)["error"].get<std::string>().find("\"args\" must be an object"),
              std::string::npos);
    auto force_type = call("release", {{"ip", "10.1.0.2"}, {"force", "yes"}});
    EXPECT_NE(force_type["error"].get<std::string>().find("arg 'force' must be true or false"),
              std::string::npos)
        << force_type.dump();
}

}  // namespace
}  // namespace warren::testing

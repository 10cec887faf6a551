// import-host-local (issue 8): adoption per entry with its refusals, the cursor, dry run.
#include "unit/admin/admin_fixture.hpp"

namespace warren::testing {
namespace {

using nlohmann::json;

json entry(const std::string& ip, const std::string& cid, const std::string& file = "") {
    return {
        {"ip", ip}, {"containerId", cid}, {"ifname", "eth0"}, {"file", file.empty() ? ip : file}};
}

std::string reason_of(const json& refused, const std::string& ip) {
    for (auto& r : refused)
        if (r["ip"] == ip) return r["reason"];
    return "(not refused)";
}

TEST_F(AdminTest, ImportAdoptsHostLocalEntriesAndRefusesEachBadOneSayingWhy) {
    const auto held = add("warren-pod", "/run/netns/a");  // 10.1.0.2
    add("leaver", "/run/netns/b");                        // 10.1.0.3
    del("leaver");                                        // cooling down
    json args{
        {"network", "net"},
        {"entries", json::array({entry("10.1.0.50", "hl1"), entry("10.1.0.51", "hl2"),
                                 entry("10.9.0.5", "hl3"), entry(held, "hl4"),
                                 entry("10.1.0.3", "hl5"), entry("10.1.0.51", "hl6", "copy-of-51"),
                                 entry("not-an-ip", "hl7"), entry("10.1.0.1", "hl8")})},
        {"lastReserved", json::array({{{"set", 0}, {"ip", "10.1.0.51"}}})}};
    auto r = ok("import-host-local", args);
    ASSERT_EQ(r["imported"].size(), 2u) << r.dump();
    EXPECT_EQ(
        r["imported"][0],
        (json{
            {"ip", "10.1.0.50"}, {"containerId", "hl1"}, {"ifname", "eth0"}, {"pool", "default"}}));
    EXPECT_EQ(r["imported"][1]["ip"], "10.1.0.51");
    EXPECT_EQ(reason_of(r["refused"], "10.9.0.5"), "out of range of every pool");
    EXPECT_EQ(reason_of(r["refused"], held), "held by net/warren-pod/eth0");
    EXPECT_NE(reason_of(r["refused"], "10.1.0.3").find("cooling down"), std::string::npos);
    EXPECT_EQ(reason_of(r["refused"], "10.1.0.51"), "duplicate: 10.1.0.51 is also in 10.1.0.51");
    EXPECT_NE(reason_of(r["refused"], "not-an-ip").find("malformed"), std::string::npos);
    EXPECT_EQ(reason_of(r["refused"], "10.1.0.1"), "out of range of every pool")
        << "the gateway is never adopted";
    EXPECT_EQ(r["refused"].size(), 6u) << r.dump();

    const auto* a = state.find({"net", "hl1", "eth0"});
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->netns, "") << "no netns: netns-based GC never marks it";
    EXPECT_EQ(events.events().back().kind, "imported");
    // warren continues where host-local stopped.
    EXPECT_EQ(add("next", "/run/netns/n"), "10.1.0.52");

    auto again = ok("import-host-local",
                    {{"network", "net"}, {"entries", json::array({entry("10.1.0.50", "hl1")})}});
    EXPECT_TRUE(again["imported"].empty());
    EXPECT_EQ(reason_of(again["refused"], "10.1.0.50"),
              "already held by net/hl1/eth0 (imported before)");
}

TEST_F(AdminTest, ImportDryRunReportsWithoutChangingAnything) {
    auto r = ok("import-host-local",
                {{"network", "net"},
                 {"dryRun", true},
                 {"entries", json::array({entry("10.1.0.60", "hl1")})},
                 {"lastReserved", json::array({{{"set", 0}, {"ip", "10.1.0.60"}}})}});
    ASSERT_EQ(r["imported"].size(), 1u);
    EXPECT_EQ(state.find({"net", "hl1", "eth0"}), nullptr);
    EXPECT_TRUE(sink.jobs.empty());
    EXPECT_EQ(add("first", "/run/netns/f"), "10.1.0.2") << "the cursor did not move";
}

TEST_F(AdminTest, ImportIntoANamedPoolRefusesAddressesOutsideIt) {
    auto missing = call("import-host-local",
                        {{"network", "net"}, {"pool", "nope"}, {"entries", json::array()}});
    EXPECT_EQ(missing["code"], static_cast<int>(Code::invalid_config));
    auto no_entries = call("import-host-local", {{"network", "net"}});
    EXPECT_NE(no_entries["error"].get<std::string>().find("arg 'entries'"), std::string::npos);
    auto r = ok("import-host-local", {{"network", "net"},
                                      {"pool", "default"},
                                      {"entries", json::array({entry("10.7.0.9", "x")})}});
    EXPECT_EQ(reason_of(r["refused"], "10.7.0.9"), "out of range of pool 'default'");
}

TEST(IpamStateAdopt, RefusesWhatIsNotFreeAndJournalsAnAllocatedWithoutNetns) {
    core::IpamState st(30'000'000'000);
    auto sets = core::range_sets_from_cidrs({"10.1.0.0/24", "fd00::/120"});
    ASSERT_TRUE(sets);
    ASSERT_TRUE(st.define_pool("p", *sets, core::PoolSource::config));
    const auto ip = [](const char* t) { return *IpAddress::parse(t); };
    core::Change ch;
    auto two = st.adopt("p", {"n", "c", "eth0"}, {ip("fd00::9"), ip("10.1.0.9")}, 5, ch);
    ASSERT_TRUE(two) << two.error().message;
    EXPECT_EQ((*two)->addresses, (std::vector<IpAddress>{ip("10.1.0.9"), ip("fd00::9")}))
        << "range-set order";
    ASSERT_EQ(ch.events.size(), 1u);
    EXPECT_EQ(std::get<core::Allocated>(ch.events[0]).netns, "");
    core::Change ch2;
    auto held = st.adopt("p", {"n", "d", "eth0"}, {ip("10.1.0.9")}, 5, ch2);
    ASSERT_FALSE(held);
    EXPECT_EQ(held.error().message, "10.1.0.9 is held by n/c/eth0");
    auto same_set = st.adopt("p", {"n", "d", "eth0"}, {ip("10.1.0.10"), ip("10.1.0.11")}, 5, ch2);
    ASSERT_FALSE(same_set);
    EXPECT_NE(same_set.error().message.find("same range set"), std::string::npos);
    auto out = st.adopt("p", {"n", "d", "eth0"}, {ip("10.2.0.1")}, 5, ch2);
    ASSERT_FALSE(out);
    EXPECT_NE(out.error().message.find("out of range"), std::string::npos);
    auto gw = st.adopt("p", {"n", "d", "eth0"}, {ip("10.1.0.1")}, 5, ch2);
    ASSERT_FALSE(gw);
    EXPECT_NE(gw.error().message.find("the gateway"), std::string::npos);
    EXPECT_TRUE(ch2.empty());
    ASSERT_TRUE(st.move_cursor("p", ip("10.1.0.200"), ch2));
    EXPECT_EQ(st.pool("p")->cursors[0], ip("10.1.0.200"));
    EXPECT_FALSE(st.move_cursor("p", ip("10.3.0.1"), ch2));
}

}  // namespace
}  // namespace warren::testing

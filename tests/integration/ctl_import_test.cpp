// warrenctl import-host-local with a data dir written by Debian's real host-local plugin: the
// reservations become warren's, ADDs through warren never hand them out again, and what cannot
// be imported (out of the pool, already held) is refused with why.
#include <filesystem>
#include <map>
#include <set>

#include "ctl_support.hpp"

namespace warren::it {
namespace {

constexpr const char* kHostLocal = "/usr/lib/cni/host-local";
constexpr const char* kCidr = "10.197.0.0/27";
constexpr const char* kNetwork = "hlnet";

class CtlImportTest : public IntegrationTest {
  protected:
    json host_local_conf(const std::string& data_dir) {
        json range = {
            {"subnet", kCidr}, {"rangeStart", "10.197.0.10"}, {"rangeEnd", "10.197.0.20"}};
        return {{"cniVersion", "1.0.0"},
                {"name", kNetwork},
                {"ipam", {{"type", "host-local"}, {"dataDir", data_dir}, {"ranges", {{range}}}}}};
    }
    json warren_conf() { return plugin_conf(kNetwork, warren_ipam(agent().socket()), "1.0.0"); }
};

TEST_F(CtlImportTest, ImportsRealHostLocalReservationsAndWarrenNeverReusesThem) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(agent().start(with_admin(agent(), {.pod_cidrs = {kCidr}})));
    Netns& ns = new_netns();
    ASSERT_TRUE(ns.ok());

    // A pod warren already serves: its address, written into the dir too, is refused as held.
    auto first = warren_plugin(warren_conf(), call("ADD", "wr-first", ns.path()));
    ASSERT_TRUE(first.ok()) << first.describe() << "\nagent log:\n" << agent().log();
    const std::string held = strip_prefix(first.addresses().at(0));

    // Four containers through the real host-local, then two files it could have left behind.
    const std::string data_dir = tmp("host-local");
    std::map<std::string, std::string> host_local;  // ip -> container
    for (int i = 0; i < 4; ++i) {
        const std::string id = "hl-" + std::to_string(i);
        auto r = cni_exec(kHostLocal, host_local_conf(data_dir), call("ADD", id, ns.path()));
        ASSERT_TRUE(r.ok()) << r.describe();
        host_local[strip_prefix(r.addresses().at(0))] = id;
    }
    ASSERT_FALSE(host_local.contains(held)) << held << " was handed out by both";
    const std::string dir = data_dir + "/" + kNetwork;
    ASSERT_TRUE(std::filesystem::exists(dir + "/last_reserved_ip.0"));
    write_file(dir + "/10.9.9.9", "hl-out\r\neth0");
    write_file(dir + "/" + held, "hl-dup\r\neth0");

    // A dry run reports and changes nothing.
    auto dry = warrenctl(agent(), {"import-host-local", dir, "--dry-run"});
    ASSERT_EQ(dry.exit_code, 0) << dry.describe() << "\nagent log:\n" << agent().log();
    EXPECT_TRUE(dry.out.starts_with("would import 4 addresses\n")) << dry.out;
    EXPECT_EQ(warrenctl_json(agent(), {"list"})["entries"].size(), 1u);

    json r = warrenctl_json(agent(), {"import-host-local", dir});
    ASSERT_TRUE(r.contains("imported")) << r.dump(2) << "\nagent log:\n" << agent().log();
    std::map<std::string, std::string> imported;
    for (auto& e : r["imported"]) {
        imported[e["ip"]] = e["containerId"];
        EXPECT_EQ(e["ifname"], "eth0") << e.dump();
    }
    EXPECT_EQ(imported, host_local) << r.dump(2);
    std::map<std::string, std::string> refused;  // ip -> reason
    for (auto& e : r["refused"]) refused[e["ip"]] = e["reason"];
    ASSERT_EQ(refused.size(), 2u) << r.dump(2);
    EXPECT_NE(refused["10.9.9.9"].find("out of range"), std::string::npos) << r.dump(2);
    EXPECT_NE(refused[held].find("held"), std::string::npos) << r.dump(2);

    // The imported reservations are warren's allocations now, under their containers.
    json list = warrenctl_json(agent(), {"list"});
    std::map<std::string, std::string> listed;
    for (auto& e : list["entries"]) listed[e["ip"]] = e["containerId"];
    for (auto& [ip, id] : host_local) EXPECT_EQ(listed[ip], id) << list.dump(2);
    EXPECT_EQ(listed[held], "wr-first");

    // Every free address through warren: none is an imported one; then the pool is exhausted.
    json status = warrenctl_json(agent(), {"status"});
    ASSERT_EQ(status["pools"].size(), 1u) << status.dump(2);
    const int64_t free = status["pools"][0]["free"].get<int64_t>();
    EXPECT_EQ(status["pools"][0]["inUse"], 5);
    std::set<std::string> handed;
    for (int64_t i = 0; i < free; ++i) {
        auto add = warren_plugin(warren_conf(), call("ADD", "wr-" + std::to_string(i), ns.path()));
        ASSERT_TRUE(add.ok()) << i << ": " << add.describe();
        const std::string ip = strip_prefix(add.addresses().at(0));
        EXPECT_FALSE(host_local.contains(ip)) << ip << " was imported from host-local";
        EXPECT_NE(ip, held);
        EXPECT_TRUE(handed.insert(ip).second) << ip << " handed out twice";
    }
    auto full = warren_plugin(warren_conf(), call("ADD", "wr-one-too-many", ns.path()));
    EXPECT_EQ(full.code(), 100) << full.describe();

    // A runtime's DEL of an imported container releases its address through warren.
    const auto& [ip0, id0] = *host_local.begin();
    auto del = warren_plugin(warren_conf(), call("DEL", id0, ns.path()));
    ASSERT_TRUE(del.ok()) << del.describe();
    json after = warrenctl_json(agent(), {"list", "--state", "active"});
    for (auto& e : after["entries"]) EXPECT_NE(e["ip"], ip0) << after.dump(2);
}

// The human report names each refusal and its file.
TEST_F(CtlImportTest, HumanReportListsRefusalsWithTheirFiles) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(agent().start(with_admin(agent(), {.pod_cidrs = {kCidr}})));
    const std::string dir = tmp("data/" + std::string(kNetwork));
    std::filesystem::create_directories(dir);
    write_file(dir + "/10.9.9.9", "hl-out\r\neth0");
    write_file(dir + "/not-an-ip", "hl-x\r\neth0");
    write_file(dir + "/lock", "");
    auto r = warrenctl(agent(), {"import-host-local", dir});
    ASSERT_EQ(r.exit_code, 0) << r.describe() << "\nagent log:\n" << agent().log();
    EXPECT_TRUE(r.out.starts_with("imported nothing\n\nrefused 2\nIP ")) << r.out;
    EXPECT_NE(r.out.find("10.9.9.9  10.9.9.9   out of range"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("-         not-an-ip  not named by an IP address"), std::string::npos)
        << r.out;
}

}  // namespace
}  // namespace warren::it

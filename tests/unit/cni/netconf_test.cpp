#include "netconf.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <utility>

namespace warren::cni {
namespace {

using nlohmann::json;

Result<NetConf> parse(const std::string& text) {
    auto j = parse_json_object(text);
    if (!j) return std::unexpected(j.error());
    return parse_netconf(*j);
}

Result<NetConf> parse(const json& j) {
    return parse_netconf(j);
}

json base() {
    return json::parse(
        R"({"cniVersion":"1.0.0","name":"podnet","type":"bridge","ipam":{"type":"warren"}})");
}

void expect_config_error(const json& j, const std::string& needle) {
    auto c = parse(j);
    ASSERT_FALSE(c) << j.dump();
    EXPECT_EQ(c.error().code, Code::invalid_config) << j.dump();
    EXPECT_NE((c.error().message + c.error().details).find(needle), std::string::npos)
        << "'" << c.error().message << "' lacks '" << needle << "'";
}

TEST(NetConf, MalformedJsonIsCode6) {
    for (const char* bad : {"", "{", "{\"name\":}", "[1,2]", "\"str\"", "null"}) {
        auto c = parse(std::string(bad));
        ASSERT_FALSE(c) << bad;
        EXPECT_EQ(c.error().code, Code::decode) << bad;
    }
}

TEST(NetConf, Defaults) {
    auto c = parse(base());
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->cni_version, "1.0.0");
    EXPECT_EQ(c->name, "podnet");
    EXPECT_EQ(c->type, "bridge");
    EXPECT_EQ(c->ipam.type, "warren");
    EXPECT_EQ(c->ipam.socket, "/run/warren/warren.sock");
    EXPECT_EQ(c->ipam.delete_queue_dir, "/run/warren/delete-queue");
    EXPECT_EQ(c->ipam.timeout_ms, 10000);
    EXPECT_FALSE(c->ipam.pool);
    EXPECT_FALSE(c->ipam.ranges);
    EXPECT_TRUE(c->ipam.routes.empty());
    EXPECT_TRUE(c->ipam.resolv_conf.empty());
    EXPECT_FALSE(c->prev_result);
    EXPECT_FALSE(c->valid_attachments);
}

TEST(NetConf, IpamOptions) {
    auto j = base();
    j["ipam"] = {{"type", "warren"},      {"socket", "/var/run/w/agent.sock"},
                 {"pool", "blue"},        {"resolvConf", "/etc/r.conf"},
                 {"timeoutSeconds", 2.5}, {"dataDir", "/var/lib/cni"}};
    auto c = parse(j);
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->ipam.socket, "/var/run/w/agent.sock");
    EXPECT_EQ(c->ipam.delete_queue_dir, "/var/run/w/delete-queue");
    EXPECT_EQ(c->ipam.pool, "blue");
    EXPECT_EQ(c->ipam.resolv_conf, "/etc/r.conf");
    EXPECT_EQ(c->ipam.timeout_ms, 2500);

    j["ipam"]["deleteQueueDir"] = "/var/lib/warren/dq";
    c = parse(j);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->ipam.delete_queue_dir, "/var/lib/warren/dq");
}

TEST(NetConf, InvalidTopLevel) {
    auto j = base();
    j.erase("name");
    expect_config_error(j, "missing network name");
    j = base();
    j["name"] = "bad name";
    expect_config_error(j, "network name");
    j = base();
    j["name"] = 5;
    expect_config_error(j, "name must be a string");
    j = base();
    j.erase("ipam");
    expect_config_error(j, "'ipam'");
    j = base();
    j["ipam"] = "warren";
    expect_config_error(j, "ipam must be an object");
}

TEST(NetConf, InvalidIpamFields) {
    for (auto [key, value, needle] : std::vector<std::tuple<std::string, json, std::string>>{
             {"socket", "", "socket"},
             {"socket", 1, "socket"},
             {"pool", "", "pool"},
             {"timeoutSeconds", 0, "timeoutSeconds"},
             {"timeoutSeconds", -1, "timeoutSeconds"},
             {"timeoutSeconds", "10", "timeoutSeconds"},
             {"resolvConf", true, "resolvConf"},
             {"routes", json::object(), "routes"},
         }) {
        auto j = base();
        j["ipam"][key] = value;
        expect_config_error(j, needle);
    }
}

TEST(NetConf, LegacySubnetBecomesOneRange) {
    auto j = base();
    j["ipam"]["subnet"] = "10.1.0.0/24";
    j["ipam"]["rangeStart"] = "10.1.0.10";
    j["ipam"]["rangeEnd"] = "10.1.0.200";
    j["ipam"]["gateway"] = "10.1.0.1";
    auto c = parse(j);
    ASSERT_TRUE(c) << c.error().message;
    ASSERT_TRUE(c->ipam.ranges);
    EXPECT_EQ(*c->ipam.ranges, json::parse(R"([[{"subnet":"10.1.0.0/24","rangeStart":"10.1.0.10",
        "rangeEnd":"10.1.0.200","gateway":"10.1.0.1"}]])"));
}

TEST(NetConf, RangeOrderIsRuntimeThenLegacyThenRanges) {
    auto j = base();
    j["ipam"]["subnet"] = "10.1.0.0/24";
    j["ipam"]["ranges"] = json::parse(R"([[{"subnet":"fd00::/64"}]])");
    j["runtimeConfig"] = {{"ipRanges", json::parse(R"([[{"subnet":"10.9.0.0/16"}]])")}};
    auto c = parse(j);
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(*c->ipam.ranges,
              json::parse(R"([[{"subnet":"10.9.0.0/16"}],[{"subnet":"10.1.0.0/24"}],
        [{"subnet":"fd00::/64"}]])"));
}

TEST(NetConf, RangesShapeIsChecked) {
    for (auto [ranges, needle] : std::vector<std::pair<json, std::string>>{
             {json::object(), "array of range sets"},
             {json::parse("[[]]"), "non-empty"},
             {json::parse("[[1]]"), "must be an object"},
             {json::parse(R"([[{"rangeStart":"10.0.0.1"}]])"), "subnet is required"},
             {json::parse(R"([[{"subnet":"10.0.0.0"}]])"), "subnet"},
             {json::parse(R"([[{"subnet":"10.0.0.0/8","gateway":"10.0.0.300"}]])"), "gateway"},
         }) {
        auto j = base();
        j["ipam"]["ranges"] = ranges;
        expect_config_error(j, needle);
    }
    auto j = base();
    j["ipam"]["rangeStart"] = "10.0.0.5";
    expect_config_error(j, "needs ipam.subnet");
}

TEST(NetConf, PoolAndRangesAreExclusive) {
    auto j = base();
    j["ipam"]["pool"] = "default";
    j["ipam"]["subnet"] = "10.1.0.0/24";
    expect_config_error(j, "not both");
}

TEST(NetConf, Routes) {
    auto j = base();
    j["ipam"]["routes"] = json::parse(R"([{"dst":"0.0.0.0/0"},
        {"dst":"10.96.0.0/12","gw":"10.1.0.1","mtu":1400,"advmss":1360,"priority":5,"table":100,"scope":0},
        {"dst":"::/0","gw":"fd00::1"}])");
    auto c = parse(j);
    ASSERT_TRUE(c) << c.error().message;
    ASSERT_EQ(c->ipam.routes.size(), 3u);
    EXPECT_EQ(c->ipam.routes[0], (Route{"0.0.0.0/0", "", {}, {}, {}, {}, {}}));
    EXPECT_EQ(c->ipam.routes[1], (Route{"10.96.0.0/12", "10.1.0.1", 1400, 1360, 5, 100, 0}));
    EXPECT_EQ(c->ipam.routes[2].gw, "fd00::1");

    for (auto [route, needle] : std::vector<std::pair<json, std::string>>{
             {json::parse(R"({"gw":"10.0.0.1"})"), "dst is required"},
             {json::parse(R"({"dst":"10.0.0.0/33"})"), "dst"},
             {json::parse(R"({"dst":"0.0.0.0/0","gw":"nope"})"), "gw"},
             {json::parse(R"({"dst":"0.0.0.0/0","mtu":"1400"})"), "mtu"},
             {json::parse(R"({"dst":"0.0.0.0/0","table":1.5})"), "table"},
         }) {
        j["ipam"]["routes"] = json::array({route});
        expect_config_error(j, needle);
    }
}

TEST(NetConf, RequestedIpSources) {
    auto j = base();
    j["args"] = {{"cni", {{"ips", {"10.1.0.7", "10.1.0.8/24"}}}}};
    j["runtimeConfig"] = {{"ips", {"fd00::7/64"}}, {"portMappings", json::array()}};
    auto c = parse(j);
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->args_ips, (std::vector<std::string>{"10.1.0.7", "10.1.0.8/24"}));
    EXPECT_EQ(c->runtime_ips, (std::vector<std::string>{"fd00::7/64"}));

    j["args"]["cni"]["ips"] = "10.1.0.7";
    expect_config_error(j, "args.cni.ips");
    j = base();
    j["runtimeConfig"] = {{"ips", {1}}};
    expect_config_error(j, "runtimeConfig.ips");
}

TEST(NetConf, PoolAskFromArgsOrRuntimeConfig) {
    auto none = parse(base());
    ASSERT_TRUE(none) << none.error().message;
    EXPECT_FALSE(none->requested_pool);
    EXPECT_EQ(none->requested_pool_from, "");

    auto j = base();
    j["args"] = {{"cni", {{"pool", "pci"}}}};
    auto args = parse(j);
    ASSERT_TRUE(args) << args.error().message;
    EXPECT_EQ(args->requested_pool, "pci");
    EXPECT_EQ(args->requested_pool_from, "args.cni.pool");

    j = base();
    j["runtimeConfig"] = {{"pool", "dev"}};
    auto runtime = parse(j);
    ASSERT_TRUE(runtime) << runtime.error().message;
    EXPECT_EQ(runtime->requested_pool, "dev");
    EXPECT_EQ(runtime->requested_pool_from, "runtimeConfig.pool");

    j["args"] = {{"cni", {{"pool", "dev"}}}};
    auto both = parse(j);
    ASSERT_TRUE(both) << both.error().message;
    EXPECT_EQ(both->requested_pool, "dev");
    EXPECT_EQ(both->requested_pool_from, "args.cni.pool");
}

TEST(NetConf, PoolAskMistakesNameTheKey) {
    for (const json& bad : {json(5), json(""), json::array({"pci"})}) {
        auto j = base();
        j["args"] = {{"cni", {{"pool", bad}}}};
        expect_config_error(j, "args.cni.pool must be a non-empty string");
        j = base();
        j["runtimeConfig"] = {{"pool", bad}};
        expect_config_error(j, "runtimeConfig.pool must be a non-empty string");
    }
    auto j = base();
    j["args"] = {{"cni", {{"pool", "pci"}}}};
    j["runtimeConfig"] = {{"pool", "dev"}};
    expect_config_error(
        j, "args.cni.pool ('pci') and runtimeConfig.pool ('dev') name different pools");
}

TEST(NetConf, PrevResult) {
    auto j = base();
    j["prevResult"] = json::parse(R"({"cniVersion":"1.0.0","ips":[{"address":"10.1.0.5/24"}]})");
    auto c = parse(j);
    ASSERT_TRUE(c);
    ASSERT_TRUE(c->prev_result);
    EXPECT_EQ((*c->prev_result)["ips"][0]["address"], "10.1.0.5/24");
    j["prevResult"] = json::array();
    expect_config_error(j, "prevResult");
}

TEST(NetConf, GcAttachmentsFromBothKeys) {
    auto j = base();
    j["cni.dev/valid-attachments"] = json::parse(R"([{"containerID":"a","ifname":"eth0"},
        {"containerID":"b","ifname":"eth0"}])");
    j["cni.dev/attachments"] = json::parse(R"([{"containerID":"b","ifname":"eth0"},
        {"containerID":"c","ifname":"net1"}])");
    auto c = parse(j);
    ASSERT_TRUE(c) << c.error().message;
    ASSERT_TRUE(c->valid_attachments);
    EXPECT_EQ(*c->valid_attachments,
              (std::vector<proto::Attachment>{{"a", "eth0"}, {"b", "eth0"}, {"c", "net1"}}));

    auto only_old = base();
    only_old["cni.dev/attachments"] = json::parse(R"([{"containerID":"x","ifname":"eth0"}])");
    c = parse(only_old);
    ASSERT_TRUE(c && c->valid_attachments);
    EXPECT_EQ(*c->valid_attachments, (std::vector<proto::Attachment>{{"x", "eth0"}}));

    auto null_list = base();
    null_list["cni.dev/valid-attachments"] = nullptr;  // libcni's encoding of "none"
    c = parse(null_list);
    ASSERT_TRUE(c && c->valid_attachments);
    EXPECT_TRUE(c->valid_attachments->empty());
}

TEST(NetConf, MalformedAttachmentIsRefusedNotSkipped) {
    auto j = base();
    j["cni.dev/valid-attachments"] =
        json::parse(R"([{"containerID":"a","ifname":"eth0"},{"containerID":"b"}])");
    expect_config_error(j, "cni.dev/valid-attachments[1]");
    j["cni.dev/valid-attachments"] = json::object();
    expect_config_error(j, "must be an array");
}

TEST(NetConf, AgentUser) {
    auto with = [](json user) {
        auto c = base();
        c["ipam"]["agentUser"] = user;
        return parse_netconf(c);
    };
    auto none = parse_netconf(base());
    ASSERT_TRUE(none);
    EXPECT_EQ(none->ipam.agent_uid, std::nullopt);
    EXPECT_EQ(none->ipam.agent_user, "");
    for (auto [given, uid] : {std::pair{json(0), 0u},
                              {json(998), 998u},
                              {json("998"), 998u},
                              {json(4294967294u), 4294967294u}}) {
        auto nc = with(given);
        ASSERT_TRUE(nc) << given << ": " << nc.error().message;
        EXPECT_EQ(nc->ipam.agent_uid, uid) << given;
        EXPECT_EQ(nc->ipam.agent_user, "") << given;
    }
    auto named = with("warren");
    ASSERT_TRUE(named) << named.error().message;
    EXPECT_EQ(named->ipam.agent_user, "warren");
    EXPECT_EQ(named->ipam.agent_uid, std::nullopt);
    for (json bad : {json(-1), json(1.5), json(4294967295u), json("4294967295"), json(""),
                     json("bad:name"), json("-x"), json(true), json::array({998})}) {
        auto nc = with(bad);
        ASSERT_FALSE(nc) << bad << " was accepted";
        EXPECT_EQ(nc.error().code, Code::invalid_config) << bad;
        EXPECT_EQ(nc.error().message,
                  "ipam.agentUser must be the user warrend runs as: a name, or a uid (0 to "
                  "4294967294)")
            << bad;
    }
}

TEST(NetConf, UidInPasswd) {
    const std::string passwd =
        "root:x:0:0:root:/root:/bin/bash\n"
        "warrend:x:997:997::/:/bin/false\n"
        "warren:x:998:998:warren agent:/var/lib/warren:/usr/sbin/nologin\n"
        "broken:x:notanumber:1::/:/bin/false\n"
        "short:x\n"
        "last:x:1000:1000::/home/last:/bin/sh";
    EXPECT_EQ(uid_in_passwd(passwd, "root"), 0u);
    EXPECT_EQ(uid_in_passwd(passwd, "warren"), 998u);
    EXPECT_EQ(uid_in_passwd(passwd, "warrend"), 997u);
    EXPECT_EQ(uid_in_passwd(passwd, "last"), 1000u);
    EXPECT_EQ(uid_in_passwd(passwd, "war"), std::nullopt);
    EXPECT_EQ(uid_in_passwd(passwd, "broken"), std::nullopt);
    EXPECT_EQ(uid_in_passwd(passwd, "short"), std::nullopt);
    EXPECT_EQ(uid_in_passwd("", "root"), std::nullopt);
}

}  // namespace
}  // namespace warren::cni

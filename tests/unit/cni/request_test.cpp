#include "request.hpp"

#include <gtest/gtest.h>

namespace warren::cni {
namespace {

using nlohmann::json;

NetConf conf_from(const std::string& text) {
    auto j = parse_json_object(text);
    EXPECT_TRUE(j);
    auto c = parse_netconf(*j);
    EXPECT_TRUE(c) << c.error().message;
    return *c;
}

Env env_for(Command c) {
    Env e;
    e.command = c;
    e.container_id = "c0ffee";
    e.netns = "/var/run/netns/p";
    e.ifname = "eth0";
    e.path = "/opt/cni/bin";
    e.args.pod = {"ns", "pod", "uid"};
    return e;
}

TEST(RequestedIps, UnionOfThreeSourcesInOrderWithoutLengthsOrDuplicates) {
    CniArgs args;
    args.ips = {"10.1.0.5", "10.1.0.6/24"};
    auto conf = conf_from(R"({"cniVersion":"1.0.0","name":"n","ipam":{},
        "args":{"cni":{"ips":["10.1.0.6","fd00:0:0::7/64"]}},"runtimeConfig":{"ips":["10.1.0.8/24","10.1.0.5"]}})");
    auto ips = requested_ips(args, conf);
    ASSERT_TRUE(ips) << ips.error().message;
    EXPECT_EQ(*ips, (std::vector<std::string>{"10.1.0.5", "10.1.0.6", "fd00::7", "10.1.0.8"}));
}

TEST(RequestedIps, InvalidAddressIsCode7NamingTheSource) {
    auto conf = conf_from(R"({"cniVersion":"1.0.0","name":"n","ipam":{}})");
    for (auto [ip, from] :
         std::vector<std::pair<std::string, std::string>>{{"10.1.0.300", "CNI_ARGS IP"},
                                                          {"10.1.0.5/99", "CNI_ARGS IP"},
                                                          {"host", "CNI_ARGS IP"}}) {
        CniArgs args;
        args.ips = {ip};
        auto r = requested_ips(args, conf);
        ASSERT_FALSE(r) << ip;
        EXPECT_EQ(r.error().code, Code::invalid_config);
        EXPECT_NE(r.error().message.find(from), std::string::npos);
        EXPECT_NE(r.error().message.find(ip), std::string::npos);
    }
    auto bad_args =
        conf_from(R"({"cniVersion":"1.0.0","name":"n","ipam":{},"args":{"cni":{"ips":["x"]}}})");
    auto r = requested_ips({}, bad_args);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("args.cni.ips"), std::string::npos);
    auto bad_rt = conf_from(
        R"({"cniVersion":"1.0.0","name":"n","ipam":{},"runtimeConfig":{"ips":["1.2.3"]}})");
    r = requested_ips({}, bad_rt);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("runtimeConfig.ips"), std::string::npos);
}

TEST(PrevResultIps, FromPrevResult) {
    auto conf =
        conf_from(R"({"cniVersion":"1.0.0","name":"n","ipam":{},"prevResult":{"cniVersion":"1.0.0",
        "interfaces":[{"name":"eth0"}],"ips":[{"address":"10.1.0.5/24","gateway":"10.1.0.1","interface":0},
        {"address":"fd00::5/64"}]}})");
    auto ips = prev_result_ips(conf);
    ASSERT_TRUE(ips) << ips.error().message;
    EXPECT_EQ(*ips, (std::vector<std::string>{"10.1.0.5", "fd00::5"}));

    auto none = conf_from(R"({"cniVersion":"1.0.0","name":"n","ipam":{}})");
    auto r = prev_result_ips(none);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Code::invalid_config);

    auto bad = conf_from(
        R"({"cniVersion":"1.0.0","name":"n","ipam":{},"prevResult":{"ips":[{"address":"10.1.0.5"}]}})");
    r = prev_result_ips(bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Code::invalid_config);
}

TEST(BuildRequest, Add) {
    auto conf = conf_from(R"({"cniVersion":"1.0.0","name":"podnet","ipam":{"subnet":"10.1.0.0/24"},
        "runtimeConfig":{"ips":["10.1.0.9/24"]}})");
    auto r = build_request(env_for(Command::add), conf);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->op, proto::Op::add);
    EXPECT_EQ(r->network, "podnet");
    EXPECT_EQ(r->container_id, "c0ffee");
    EXPECT_EQ(r->ifname, "eth0");
    EXPECT_EQ(r->netns, "/var/run/netns/p");
    EXPECT_EQ(r->pod, (proto::PodRef{"ns", "pod", "uid"}));
    EXPECT_FALSE(r->pool);
    ASSERT_TRUE(r->ranges);
    EXPECT_EQ(*r->ranges, json::parse(R"([[{"subnet":"10.1.0.0/24"}]])"));
    EXPECT_EQ(r->ips, (std::vector<std::string>{"10.1.0.9"}));
}

TEST(BuildRequest, AddCarriesThePodsPoolAskOnlyWhenGiven) {
    auto plain = conf_from(R"({"cniVersion":"1.0.0","name":"podnet","ipam":{"pool":"blue"}})");
    auto without = build_request(env_for(Command::add), plain);
    ASSERT_TRUE(without) << without.error().message;
    EXPECT_FALSE(without->requested_pool);
    const std::string old_bytes = proto::encode_binary(*without).value();
    EXPECT_EQ(static_cast<uint8_t>(old_bytes[2]) & 8, 0);

    auto asked = conf_from(R"({"cniVersion":"1.0.0","name":"podnet","ipam":{"pool":"blue"},
        "runtimeConfig":{"pool":"pci"}})");
    auto with = build_request(env_for(Command::add), asked);
    ASSERT_TRUE(with) << with.error().message;
    EXPECT_EQ(with->pool, "blue");
    EXPECT_EQ(with->requested_pool, "pci");
    EXPECT_EQ(with->requested_pool_from, "runtimeConfig.pool");
    const std::string bytes = proto::encode_binary(*with).value();
    EXPECT_EQ(static_cast<uint8_t>(bytes[2]) & 8, 8);
    auto back = proto::decode_binary_request(bytes);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->requested_pool, "pci");
    EXPECT_EQ(back->requested_pool_from, "runtimeConfig.pool");

    auto del = build_request(env_for(Command::del), asked);
    ASSERT_TRUE(del) << del.error().message;
    EXPECT_FALSE(del->requested_pool) << "only an ADD picks a pool";
}

TEST(BuildRequest, PoolAskTooLongForTheWireNamesTheKey) {
    const std::string pool(proto::kMaxCompactField + 1, 'p');
    auto conf =
        conf_from(R"({"cniVersion":"1.0.0","name":"podnet","ipam":{},"args":{"cni":{"pool":")" +
                  pool + R"("}}})");
    auto r = build_request(env_for(Command::add), conf);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Code::invalid_config);
    EXPECT_NE(r.error().message.find("args.cni.pool is 65536 bytes long"), std::string::npos)
        << r.error().message;
}

TEST(BuildRequest, DelAndCheck) {
    auto conf = conf_from(R"({"cniVersion":"1.0.0","name":"podnet","ipam":{"pool":"blue"},
        "prevResult":{"ips":[{"address":"10.1.0.5/24"}]},"runtimeConfig":{"ips":["10.1.0.9"]}})");
    auto del = build_request(env_for(Command::del), conf);
    ASSERT_TRUE(del);
    EXPECT_EQ(del->op, proto::Op::del);
    EXPECT_EQ(del->pool, "blue");
    EXPECT_EQ(del->container_id, "c0ffee");
    EXPECT_TRUE(del->ips.empty()) << "DEL releases everything the attachment holds";
    auto check = build_request(env_for(Command::check), conf);
    ASSERT_TRUE(check);
    EXPECT_EQ(check->op, proto::Op::check);
    EXPECT_EQ(check->ips, (std::vector<std::string>{"10.1.0.5"}));
}

TEST(BuildRequest, GcCarriesAttachmentsAndRefusesWithoutThem) {
    auto conf = conf_from(R"({"cniVersion":"1.1.0","name":"podnet","ipam":{},
        "cni.dev/valid-attachments":[{"containerID":"a","ifname":"eth0"}],
        "cni.dev/attachments":[{"containerID":"b","ifname":"eth0"}]})");
    Env env;
    env.command = Command::gc;
    env.path = "/opt/cni/bin";
    auto gc = build_request(env, conf);
    ASSERT_TRUE(gc);
    EXPECT_EQ(gc->op, proto::Op::gc);
    EXPECT_EQ(gc->valid_attachments,
              (std::vector<proto::Attachment>{{"a", "eth0"}, {"b", "eth0"}}));
    EXPECT_TRUE(gc->container_id.empty());

    auto bare = conf_from(R"({"cniVersion":"1.1.0","name":"podnet","ipam":{}})");
    auto refused = build_request(env, bare);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Code::invalid_config);

    auto none = conf_from(
        R"({"cniVersion":"1.1.0","name":"podnet","ipam":{},"cni.dev/valid-attachments":[]})");
    auto empty = build_request(env, none);
    ASSERT_TRUE(empty) << "an explicit empty list is a valid GC";
    EXPECT_TRUE(empty->valid_attachments.empty());
}

TEST(BuildRequest, Status) {
    auto conf = conf_from(R"({"cniVersion":"1.1.0","name":"podnet","ipam":{"pool":"blue"}})");
    Env env;
    env.command = Command::status;
    auto st = build_request(env, conf);
    ASSERT_TRUE(st);
    EXPECT_EQ(st->op, proto::Op::status);
    EXPECT_EQ(st->network, "podnet");
    EXPECT_EQ(st->pool, "blue");
}

}  // namespace
}  // namespace warren::cni

// The admin socket of a real warrend over raw frames (issue 8): status and list after ADDs
// through Debian's bridge plugin, frames of the other protocol refused on each socket, an
// oversized admin frame, and a caller that is not allowed (SO_PEERCRED) told why.
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <map>

#include "fixture.hpp"
#include "support/as_nobody.hpp"
#include "raw_conn.hpp"
#include "warren/admin_protocol.hpp"

namespace warren::it {
namespace {

constexpr const char* kV4 = "10.198.0.0/24";

std::string admin_socket(const Agent& a) {
    return a.dir() + "/admin.sock";
}

std::string admin_frame(const json& request) {
    return proto::encode_frame(proto::Kind::admin_request, request.dump());
}

// Whole admin response frames: Kind 5 and its JSON, or null.
json admin_response_of(const std::string& bytes) {
    if (bytes.size() < proto::kHeaderSize) return nullptr;
    auto len = proto::decode_header(reinterpret_cast<const uint8_t*>(bytes.data()),
                                    proto::Kind::admin_response, admin::kAdminMaxResponse);
    if (!len || bytes.size() != proto::kHeaderSize + *len) return nullptr;
    auto j = json::parse(bytes.substr(proto::kHeaderSize), nullptr, false);
    return j.is_discarded() ? json(nullptr) : j;
}

RawConn::Got read_admin_frame(RawConn& c) {
    return c.read_until(10s, [](const std::string& b) {
        if (b.size() < proto::kHeaderSize) return false;
        auto len = proto::decode_header(reinterpret_cast<const uint8_t*>(b.data()),
                                        proto::Kind::admin_response, admin::kAdminMaxResponse);
        return !len || b.size() >= proto::kHeaderSize + *len;
    });
}

// One exchange; the response object (null when none came).
json admin_call(const std::string& socket, const json& request) {
    RawConn c(socket);
    if (!c.ok() || !c.send(admin_frame(request))) return nullptr;
    return admin_response_of(read_admin_frame(c).bytes);
}

class AdminSocketTest : public IntegrationTest {
  protected:
    json conf() { return bridge_conf("wrn-adm", bridge_name(), warren_ipam(agent().socket())); }
};

TEST_F(AdminSocketTest, StatusAndListShowPodsAddedThroughTheBridgePlugin) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(agent().start({.pod_cidrs = {kV4}}));
    struct stat st {};
    ASSERT_EQ(::stat(admin_socket(agent()).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u) << "the admin socket is root's alone by default";

    std::map<std::string, std::string> ip_of;  // container -> address
    for (int i = 0; i < 2; ++i) {
        Netns& ns = new_netns();
        ASSERT_TRUE(ns.ok());
        const std::string cid = "adm-pod-" + std::to_string(i);
        auto c = call("ADD", cid, ns.path());
        c.args = "IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-" + std::to_string(i) +
                 ";K8S_POD_UID=uid-" + std::to_string(i);
        auto r = bridge(conf(), c);
        ASSERT_TRUE(r.ok()) << r.describe() << "\nagent log:\n" << agent().log();
        ASSERT_EQ(r.addresses().size(), 1u);
        ip_of[cid] = strip_prefix(r.addresses()[0]);
    }

    auto status = admin_call(admin_socket(agent()), {{"command", "status"}});
    ASSERT_EQ(status.value("ok", false), true) << status.dump() << "\nagent log:\n"
                                               << agent().log();
    auto& pools = status["result"]["pools"];
    ASSERT_EQ(pools.size(), 1u) << status.dump();
    EXPECT_EQ(pools[0]["name"], "default");
    EXPECT_EQ(pools[0]["size"], 253);
    EXPECT_EQ(pools[0]["inUse"], 2);
    EXPECT_EQ(pools[0]["free"], 251);
    EXPECT_GE(status["result"]["journal"]["records"].get<uint64_t>(), 3u)
        << "a pool and two allocations";
    EXPECT_GE(status["result"]["journal"]["syncs"].get<uint64_t>(), 1u);
    EXPECT_GE(status["result"]["gc"]["passes"].get<uint64_t>(), 1u)
        << "the first pass runs at start";

    auto list = admin_call(admin_socket(agent()), {{"command", "list"}});
    ASSERT_EQ(list.value("ok", false), true) << list.dump();
    auto& entries = list["result"]["entries"];
    ASSERT_EQ(entries.size(), 2u) << list.dump();
    for (auto& e : entries) {
        const std::string cid = e["containerId"];
        ASSERT_TRUE(ip_of.contains(cid)) << e.dump();
        EXPECT_EQ(e["ip"], ip_of[cid]);
        EXPECT_EQ(e["state"], "active");
        EXPECT_EQ(e["network"], "wrn-adm");
        EXPECT_EQ(e["ifname"], "eth0");
        EXPECT_EQ(e["podNamespace"], "shop");
        EXPECT_EQ(e["podName"], "web-" + cid.substr(cid.size() - 1));
        EXPECT_FALSE(e["netns"].get<std::string>().empty());
    }
    auto show = admin_call(admin_socket(agent()),
                           {{"command", "show"}, {"args", {{"target", "shop/web-1"}}}});
    ASSERT_EQ(show.value("ok", false), true) << show.dump();
    ASSERT_EQ(show["result"]["matches"].size(), 1u);
    EXPECT_EQ(show["result"]["matches"][0]["ip"], ip_of["adm-pod-1"]);
    EXPECT_EQ(show["result"]["matches"][0]["history"][0]["kind"], "allocated");
}

TEST_F(AdminSocketTest, FramesOfTheOtherProtocolAndOversizedOnesAreRefusedCleanly) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(agent().start({.pod_cidrs = {kV4}}));
    {
        RawConn cni(agent().socket());
        ASSERT_TRUE(cni.ok());
        ASSERT_TRUE(cni.send(admin_frame({{"command", "status"}})));
        auto got = cni.read_until_close(10s);
        EXPECT_TRUE(got.eof) << "the CNI socket closes after refusing an admin frame";
        auto r = response_of(got.bytes);
        ASSERT_TRUE(r.is_object()) << "a CNI response frame, got " << got.bytes.size() << " bytes";
        EXPECT_EQ(r["ok"], false);
        EXPECT_EQ(r["code"], static_cast<int>(Code::decode));
        EXPECT_EQ(r["msg"], "bad frame: unexpected message kind");
    }
    {
        RawConn adm(admin_socket(agent()));
        ASSERT_TRUE(adm.ok());
        ASSERT_TRUE(adm.send(proto::encode_frame(proto::Kind::request, R"({"op":"ping"})")));
        auto got = adm.read_until_close(10s);
        EXPECT_TRUE(got.eof) << "the admin socket closes after refusing a CNI frame";
        auto r = admin_response_of(got.bytes);
        ASSERT_TRUE(r.is_object())
            << "an admin response frame, got " << got.bytes.size() << " bytes";
        EXPECT_EQ(r["ok"], false);
        EXPECT_EQ(r["code"], static_cast<int>(Code::decode));
        EXPECT_EQ(r["error"], "bad frame: unexpected message kind");
    }
    {
        RawConn adm(admin_socket(agent()));
        ASSERT_TRUE(adm.ok());
        auto header = proto::encode_header(proto::Kind::admin_request, admin::kAdminMaxRequest + 1);
        ASSERT_TRUE(adm.send(std::string(header.begin(), header.end())));
        auto got = adm.read_until_close(10s);
        EXPECT_TRUE(got.eof);
        auto r = admin_response_of(got.bytes);
        ASSERT_TRUE(r.is_object()) << got.bytes.size() << " bytes";
        EXPECT_EQ(r["code"], static_cast<int>(Code::decode));
        EXPECT_EQ(r["error"], "frame of " + std::to_string(admin::kAdminMaxRequest + 1) +
                                  " bytes exceeds the cap of " +
                                  std::to_string(admin::kAdminMaxRequest));
    }
    {
        RawConn adm(admin_socket(agent()));
        ASSERT_TRUE(adm.ok());
        ASSERT_TRUE(adm.send(proto::encode_frame(proto::Kind::admin_request, "[1,2]")));
        auto r = admin_response_of(adm.read_until_close(10s).bytes);
        EXPECT_EQ(r.value("error", ""), "an admin request must be a JSON object") << r.dump();
    }
    // Both sockets serve on.
    EXPECT_EQ(admin_call(admin_socket(agent()), {{"command", "status"}}).value("ok", false), true);
    auto c = call("STATUS");
    auto st = warren_plugin(plugin_conf("wrn-adm", warren_ipam(agent().socket()), "1.1.0"), c);
    EXPECT_TRUE(st.ok()) << st.describe();
}

// The test opens the socket to everyone (0666), so SO_PEERCRED is what refuses uid 65534.
TEST_F(AdminSocketTest, CallerNotAllowedIsToldWhyAndTheAgentServesOn) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(agent().start({.pod_cidrs = {kV4}}));
    for (auto dir : {tmp(), agent().dir()}) ASSERT_EQ(::chmod(dir.c_str(), 0755), 0) << dir;
    const std::string path = admin_socket(agent());
    ASSERT_EQ(::chmod(path.c_str(), 0666), 0);

    const std::string frame = admin_frame({{"command", "status"}});
    ASSERT_LT(path.size(), sizeof(sockaddr_un{}.sun_path));
    const auto answer = warren::testing::exchange_as_nobody(path, frame);
    ASSERT_TRUE(answer) << "the child could not drop to uid 65534 or connect";
    const std::string& got = *answer;

    auto r = admin_response_of(got);
    ASSERT_TRUE(r.is_object()) << got.size() << " bytes: " << got;
    EXPECT_EQ(r["ok"], false);
    EXPECT_EQ(r["code"], 5);
    const std::string error = r["error"];
    EXPECT_TRUE(error.starts_with("permission denied: uid 65534 ")) << error;
    EXPECT_NE(r["details"].get<std::string>().find("run as root (sudo)"), std::string::npos)
        << r.dump();
    EXPECT_EQ(r.contains("result"), false);
    EXPECT_NE(agent().log().find("refusing a connection to the admin socket from pid"),
              std::string::npos)
        << agent().log();
    EXPECT_EQ(admin_call(path, {{"command", "status"}}).value("ok", false), true)
        << "root is still served";
}

// `events` after a restart still shows what happened before it (seeded from the journal).
TEST_F(AdminSocketTest, EventsSurviveARestart) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(agent().start({.pod_cidrs = {kV4}}));
    Netns& ns = new_netns();
    ASSERT_TRUE(ns.ok());
    auto c = plugin_conf("wrn-adm", warren_ipam(agent().socket()), "1.1.0");
    auto added = warren_plugin(c, call("ADD", "adm-restart", ns.path()));
    ASSERT_TRUE(added.ok()) << added.describe();
    auto deleted = warren_plugin(c, call("DEL", "adm-restart", ns.path()));
    ASSERT_TRUE(deleted.ok()) << deleted.describe();
    ASSERT_TRUE(agent().stop());
    ASSERT_TRUE(agent().restart());

    auto ev = admin_call(admin_socket(agent()), {{"command", "events"}});
    ASSERT_EQ(ev.value("ok", false), true) << ev.dump();
    std::vector<std::string> kinds;
    for (auto& e : ev["result"]["events"])
        if (e.value("containerId", "") == "adm-restart") kinds.push_back(e["kind"]);
    EXPECT_EQ(kinds, (std::vector<std::string>{"allocated", "released"})) << ev.dump();
}

}  // namespace
}  // namespace warren::it

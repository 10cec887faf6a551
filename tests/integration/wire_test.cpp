// Bad input: malformed CNI stdin and environments at the plugin, and hostile bytes written
// straight to warrend's socket. The agent must answer or close, and keep serving.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <sstream>
#include <thread>

#include "fixture.hpp"
#include "raw_conn.hpp"
#include "warren/protocol.hpp"

namespace warren::it {
namespace {

constexpr const char* kV4 = "10.199.0.0/24";

std::string header(uint16_t version, uint16_t kind, uint32_t len) {
    auto h = proto::encode_header(proto::Kind::request, len);
    std::string s(reinterpret_cast<const char*>(h.data()), h.size());
    s[4] = static_cast<char>(version >> 8), s[5] = static_cast<char>(version & 0xff);
    s[6] = static_cast<char>(kind >> 8), s[7] = static_cast<char>(kind & 0xff);
    return s;
}

class WireTest : public IntegrationTest {
protected:
    CniResult add(const std::string& container) {
        return warren_plugin(plugin_conf("wrn-net", warren_ipam(agent().socket()), "1.0.0"),
                             call("ADD", container, netns_path_));
    }
    std::string netns_path_;
};

// 9a. Malformed stdin is a decode error (6); missing CNI variables are code 4.
TEST_F(WireTest, PluginReportsMalformedConfigAndMissingEnvironment) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(agent().start({.pod_cidrs = {kV4}}));
    Netns& ns = new_netns();
    ASSERT_TRUE(ns.ok());
    auto good = plugin_conf("wrn-net", warren_ipam(agent().socket()), "1.0.0");

    for (std::string input : {std::string("{\"cniVersion\": \"1.0.0\", \"name\": "), std::string("not json at all"),
                              std::string("[1, 2, 3]"), std::string("\xff\xfe\x00garbage", 10)}) {
        auto r = cni_exec_raw(plugin_path(), input, call("ADD", "bad-json", ns.path()));
        EXPECT_EQ(r.exit_code, 1) << r.describe();
        EXPECT_EQ(r.code(), 6) << "stdin '" << input << "': " << r.describe();
    }

    CniCall no_cmd = call("ADD", "no-cmd", ns.path());
    no_cmd.unset = {"CNI_COMMAND"};
    auto r = warren_plugin(good, no_cmd);
    EXPECT_EQ(r.exit_code, 1) << r.describe();
    EXPECT_EQ(r.code(), 4) << r.describe();
    EXPECT_NE(r.msg().find("CNI_COMMAND"), std::string::npos) << r.msg();

    r = warren_plugin(good, call("ADD", "", ns.path()));
    EXPECT_EQ(r.exit_code, 1) << r.describe();
    EXPECT_EQ(r.code(), 4) << r.describe();
    EXPECT_NE(r.msg().find("CNI_CONTAINERID"), std::string::npos) << r.msg();

    r = warren_plugin(good, call("BOGUS", "x", ns.path()));
    EXPECT_EQ(r.code(), 4) << r.describe();

    // None of that reached the agent as an allocation: the pool is untouched.
    netns_path_ = ns.path();
    auto first = add("after-bad-input");
    ASSERT_TRUE(first.ok()) << first.describe();
    EXPECT_EQ(first.addresses(), std::vector<std::string>{"10.199.0.2/24"});
}

// 9b. Garbage, an oversized frame header and a half frame written to the socket directly: the
// agent answers with an error and closes (or times the half frame out), never stalls other
// clients, and a following valid ADD is served.
TEST_F(WireTest, AgentSurvivesGarbageOversizedAndHalfFrames) {
    WARREN_REQUIRE_ROOT();
    const std::string cfg = tmp("warrend.json");
    write_file(cfg, R"({"requestTimeoutMs": 1000})");
    ASSERT_TRUE(agent().start({.pod_cidrs = {kV4}, .extra_args = {"--config", cfg}}));
    Netns& ns = new_netns();
    ASSERT_TRUE(ns.ok());
    netns_path_ = ns.path();

    {  // Garbage bytes: not our magic.
        RawConn conn(agent().socket());
        ASSERT_TRUE(conn.ok());
        std::string garbage(64, '\0');
        for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>(0xA5 ^ (i * 37));
        ASSERT_TRUE(conn.send(garbage));
        auto got = conn.read_until_close(3s);
        EXPECT_TRUE(got.eof) << "agent kept a garbage connection open";
        auto resp = response_of(got.bytes);
        ASSERT_TRUE(resp.is_object()) << "no error frame for garbage (" << got.bytes.size() << " bytes)";
        EXPECT_EQ(resp.value("ok", true), false);
        EXPECT_EQ(resp.value("code", 0), 6) << resp;
    }
    {  // A header announcing 0x7fffffff bytes.
        RawConn conn(agent().socket());
        ASSERT_TRUE(conn.ok());
        ASSERT_TRUE(conn.send(header(proto::kVersion, 1, 0x7fffffff) + "{\"op\":"));
        auto got = conn.read_until_close(3s);
        EXPECT_TRUE(got.eof);
        auto resp = response_of(got.bytes);
        ASSERT_TRUE(resp.is_object()) << got.bytes.size() << " bytes";
        EXPECT_EQ(resp.value("code", 0), 6) << resp;
        EXPECT_NE(resp.value("msg", "").find("exceeds"), std::string::npos) << resp;
    }
    {  // Another protocol version: an explicit incompatibility, then close.
        RawConn conn(agent().socket());
        ASSERT_TRUE(conn.ok());
        ASSERT_TRUE(conn.send(header(7, 1, 2) + "{}"));
        auto got = conn.read_until_close(3s);
        EXPECT_TRUE(got.eof);
        EXPECT_EQ(response_of(got.bytes).value("code", 0), 1) << got.bytes;
    }
    {  // A whole frame whose payload is not a request.
        RawConn conn(agent().socket());
        ASSERT_TRUE(conn.ok());
        ASSERT_TRUE(conn.send(proto::encode_frame(proto::Kind::request, "{\"op\":\"explode\",\"network\":\"x\"}")));
        auto got = conn.read_until_close(3s);
        EXPECT_EQ(response_of(got.bytes).value("code", 0), 6) << got.bytes;
    }
    {  // A client that hangs up in the middle of a frame.
        RawConn conn(agent().socket());
        ASSERT_TRUE(conn.ok());
        ASSERT_TRUE(conn.send(header(proto::kVersion, 1, 500) + std::string(100, 'x')));
    }
    {  // Half a frame, then silence: other clients are served meanwhile; then the agent hangs up.
        RawConn conn(agent().socket());
        ASSERT_TRUE(conn.ok());
        std::string payload = proto::encode(proto::Request{.op = proto::Op::add, .network = "wrn-net",
                                                           .container_id = "half", .ifname = "eth0"});
        std::string frame = proto::encode_frame(proto::Kind::request, payload);
        ASSERT_TRUE(conn.send(frame.substr(0, frame.size() / 2)));

        const auto t0 = std::chrono::steady_clock::now();
        auto during = add("during-half-frame");
        EXPECT_TRUE(during.ok()) << during.describe();
        EXPECT_LT(std::chrono::steady_clock::now() - t0, 900ms) << "a stalled client held up another";

        auto got = conn.read_until_close(5s);
        EXPECT_TRUE(got.eof) << "a half frame kept the connection open past the request timeout";
        json with_prev = plugin_conf("wrn-net", warren_ipam(agent().socket()), "1.0.0");
        with_prev["prevResult"] = {{"cniVersion", "1.0.0"}, {"ips", {{{"address", "10.199.0.9/24"}}}}};
        auto check = warren_plugin(with_prev, call("CHECK", "half", netns_path_));
        EXPECT_EQ(check.code(), 3) << "the half frame must not have allocated: " << check.describe();
    }

    ASSERT_TRUE(agent().running()) << agent().log();
    auto after = add("after-abuse");
    ASSERT_TRUE(after.ok()) << after.describe() << "\nagent log:\n" << agent().log();
    EXPECT_EQ(after.addresses().size(), 1u);
}


// CPU seconds (user + system) a process has used so far.
double cpu_seconds(pid_t pid) {
    std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    auto close_paren = stat.rfind(')');
    if (close_paren == std::string::npos) return -1;
    std::istringstream in(stat.substr(close_paren + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && in >> field; ++i) {
        if (i == 14) utime = std::stoull(field);
        if (i == 15) stime = std::stoull(field);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

size_t count_of(const std::string& haystack, const std::string& needle) {
    size_t n = 0;
    for (size_t pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + 1)) ++n;
    return n;
}

// 9c. More idle connections than warrend has file descriptors: it must not spin on accept()
// (EMFILE) burning a core and flooding its log, and it serves again once they are gone.
TEST_F(WireTest, RunningOutOfFileDescriptorsDoesNotSpinOrFloodTheLog) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(agent().start({.pod_cidrs = {kV4}, .wrapper = {"prlimit", "--nofile=64:64"}}));
    Netns& ns = new_netns();
    ASSERT_TRUE(ns.ok());
    netns_path_ = ns.path();
    const double cpu_before = cpu_seconds(agent().pid());
    {
        std::vector<std::unique_ptr<RawConn>> idle;
        for (int i = 0; i < 100; ++i) {
            idle.push_back(std::make_unique<RawConn>(agent().socket()));
            ASSERT_TRUE(idle.back()->ok()) << i;
        }
        std::this_thread::sleep_for(1500ms);
        const double burnt = cpu_seconds(agent().pid()) - cpu_before;
        EXPECT_LT(burnt, 0.5) << "warrend used " << burnt << " s of CPU in 1.5 s while out of descriptors";
        const size_t lines = count_of(agent().log(), "accept on the CNI socket failed");
        EXPECT_LT(lines, 100u) << lines << " log lines about failed accepts in 1.5 s";
    }
    ASSERT_TRUE(agent().running());
    // The idle connections are closed; a new client is served at once.
    const auto t0 = std::chrono::steady_clock::now();
    auto r = add("after-fd-flood");
    EXPECT_TRUE(r.ok()) << r.describe();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 6s);
}

}  // namespace
}  // namespace warren::it

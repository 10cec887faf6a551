// Limits on what a client or a file can make warrend hold or do: JSON nesting (frames, queued
// DELs, the agent's config), memory per connection and in total, the number of connections,
// fields too long for the compact request form, and what client bytes may put in the log.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include "fixture.hpp"
#include "raw_conn.hpp"

namespace warren::it {
namespace {

constexpr const char* kV4 = "10.199.0.0/24";

std::string nested_arrays(size_t depth) {
    return std::string(depth, '[') + std::string(depth, ']');
}

// A JSON-form ADD whose `ranges` is `ranges_text`, verbatim.
std::string json_add(const std::string& container, const std::string& ranges_text) {
    return R"({"op":"add","network":"wrn-net","containerId":")" + container +
           R"(","ifname":"eth0","ranges":)" + ranges_text + "}";
}

// A compact-form ADD (layout in include/warren/protocol.hpp) carrying `ranges_text` verbatim.
std::string compact_add(const std::string& container, const std::string& ranges_text) {
    std::string out{'\x01', '\x01', '\x02', '\x00'};
    out.append(8, '\0');  // netns inode
    auto str = [&](const std::string& s) {
        out.push_back(static_cast<char>(s.size() & 0xff));
        out.push_back(static_cast<char>(s.size() >> 8));
        out += s;
    };
    for (const std::string& s : {std::string("wrn-net"), container, std::string("eth0"),
                                 std::string(), std::string(), std::string(), std::string()})
        str(s);
    for (int i = 0; i < 4; ++i)
        out.push_back(static_cast<char>((ranges_text.size() >> (8 * i)) & 0xff));
    out += ranges_text;
    out.append(4, '\0');  // no ips, no attachments
    return out;
}

std::string header_claiming(uint32_t len) {
    auto h = proto::encode_header(proto::Kind::request, len);
    return std::string(reinterpret_cast<const char*>(h.data()), h.size());
}

// warrend's resident set in KiB (VmRSS of /proc/<pid>/status), -1 when unreadable.
long rss_kib(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

size_t count_of(const std::string& haystack, const std::string& needle) {
    size_t n = 0;
    for (size_t pos = haystack.find(needle); pos != std::string::npos;
         pos = haystack.find(needle, pos + 1))
        ++n;
    return n;
}

// Waits (up to `limit`) until `pred` holds; returns its last value.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
        if (std::chrono::steady_clock::now() >= deadline) return pred();
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

class LimitsTest : public IntegrationTest {
  protected:
    json conf(const std::string& network = "wrn-net") {
        return plugin_conf(network, warren_ipam(agent().socket()), "1.0.0");
    }
    CniResult add(const std::string& container, const std::string& args = {}) {
        if (netns_path_.empty()) netns_path_ = new_netns().path();
        auto k = call("ADD", container, netns_path_);
        k.args = args;
        return warren_plugin(conf(), k);
    }
    // Starts warrend with `config_json` as its config file.
    ::testing::AssertionResult start_with(const std::string& config_json) {
        const std::string cfg = tmp("warrend.json");
        write_file(cfg, config_json);
        return agent().start({.pod_cidrs = {kV4}, .extra_args = {"--config", cfg}});
    }
    // One request frame on a fresh connection; the answer as JSON (null when none came).
    json exchange(proto::Kind kind, const std::string& payload) {
        RawConn conn(agent().socket());
        if (!conn.ok() || !conn.send(proto::encode_frame(kind, payload))) return nullptr;
        return response_of(conn.read_frame(5s).bytes);
    }
    std::string netns_path_;
};

// Defect 5: 100,000 levels of '[' in `ranges` overflowed the stack while the request was copied.
// Both request forms now get a clear decode error, and the agent serves the next request.
TEST_F(LimitsTest, DeeplyNestedJsonInAFrameIsRefusedAndTheAgentServesOn) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(start_with(R"({"maxFrameBytes": 1048576})"));
    const std::string deep = nested_arrays(450'000);

    json resp = exchange(proto::Kind::request, json_add("deep-json", deep));
    ASSERT_TRUE(agent().running()) << "warrend died on a deeply nested JSON request; log:\n"
                                   << agent().log();
    ASSERT_TRUE(resp.is_object()) << "no answer to a deeply nested JSON request";
    EXPECT_EQ(resp.value("code", 0), 6) << resp;
    EXPECT_NE(resp.value("msg", "").find("nested deeper than 64 levels"), std::string::npos)
        << resp;

    resp = exchange(proto::Kind::request_binary, compact_add("deep-compact", deep));
    ASSERT_TRUE(agent().running())
        << "warrend died on deeply nested ranges in a compact request; log:\n"
        << agent().log();
    ASSERT_TRUE(resp.is_object()) << "no answer to a compact request with deeply nested ranges";
    EXPECT_EQ(resp.value("code", 0), 6) << resp;
    EXPECT_NE(resp.value("msg", "").find("nested deeper than 64 levels"), std::string::npos)
        << resp;

    // Nesting within the limit is still only a matter of the ranges' shape.
    resp = exchange(proto::Kind::request,
                    json_add("shallow", nested_arrays(63)));  // + the request object
    ASSERT_TRUE(resp.is_object());
    EXPECT_EQ(resp.value("msg", "").find("nested deeper"), std::string::npos) << resp;

    auto r = add("after-deep-json");
    ASSERT_TRUE(r.ok()) << r.describe() << "\nagent log:\n" << agent().log();
    EXPECT_EQ(r.addresses(), std::vector<std::string>{"10.199.0.2/24"});
}

// Defect 5: the same request queued as a DEL file crashed every start with default settings.
TEST_F(LimitsTest, DeeplyNestedJsonInAQueuedDelDoesNotStopTheAgent) {
    WARREN_REQUIRE_ROOT();
    std::filesystem::create_directories(agent().queue_dir());
    const std::string name = "del-00000000000000000001-1.json";
    const std::string entry = agent().queue_dir() + "/" + name;
    write_file(entry,
               R"({"op":"del","network":"wrn-net","containerId":"deep","ifname":"eth0","ranges":)" +
                   nested_arrays(450'000) + "}");
    ASSERT_TRUE(agent().start({.pod_cidrs = {kV4}}));
    const bool gone =
        eventually([&] { return !std::filesystem::exists(entry) || !agent().running(); });
    ASSERT_TRUE(agent().running()) << "warrend died on a deeply nested queued DEL; log:\n"
                                   << agent().log();
    EXPECT_TRUE(gone) << entry << " is still in the queue";
    // The entry is moved aside before the line that says why is written: wait for the line.
    const bool said = eventually(
        [&] { return agent().log().find("nested deeper than 64 levels") != std::string::npos; });
    EXPECT_TRUE(said) << agent().log();
    auto r = add("after-deep-queue");
    EXPECT_TRUE(r.ok()) << r.describe();
}

// Defect 5: the agent's own config is capped as well; too deep is a start-up error, not a crash.
TEST_F(LimitsTest, DeeplyNestedAgentConfigIsAStartUpError) {
    WARREN_REQUIRE_ROOT();
    const std::string cfg = tmp("deep.json");
    write_file(cfg, R"({"pools":{"deep":{"ranges":)" + nested_arrays(450'000) + "}}}");
    auto r = run_cmd(
        {warrend_path(), "--config", cfg, "--state-dir", tmp("state"), "--socket", tmp("s.sock")});
    EXPECT_EQ(r.exit_code, 2) << r.describe();
    EXPECT_NE(r.err.find("nested deeper than 64 levels"), std::string::npos) << r.describe();
    EXPECT_NE(r.err.find(cfg), std::string::npos) << r.describe();
}

// Defect 6: each connection reserved the size its header claimed; 100 headers claiming 16 MiB
// took 1.6 GiB. Buffers now grow with the bytes that arrive.
TEST_F(LimitsTest, HeadersClaimingHugeFramesDoNotReserveMemory) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(start_with(R"({"maxFrameBytes": 16777216})"));
    std::vector<std::unique_ptr<RawConn>> conns;
    for (int i = 0; i < 100; ++i) {
        conns.push_back(std::make_unique<RawConn>(agent().socket()));
        ASSERT_TRUE(conns.back()->ok()) << i;
        ASSERT_TRUE(conns.back()->send(header_claiming(16 * 1024 * 1024 - 64) +
                                       std::string(i % 2 ? 4096 : 0, 'x')))
            << i;
    }
    // A request on another connection is served after warrend has read those headers.
    auto r = add("beside-huge-headers");
    ASSERT_TRUE(r.ok()) << r.describe() << "\nagent log:\n" << agent().log();
    long peak = 0;
    for (int i = 0; i < 10; ++i) {
        peak = std::max(peak, rss_kib(agent().pid()));
        std::this_thread::sleep_for(30ms);
    }
    ASSERT_GT(peak, 0);
    RecordProperty("warrend_peak_rss_kib", static_cast<int>(peak));
    EXPECT_LT(peak, 100 * 1024) << "warrend's RSS is " << peak / 1024
                                << " MiB with 100 connections that sent "
                                << "only a header";
    ASSERT_TRUE(agent().running());
}

// Defect 6: a cap on concurrent connections; the one over it gets a clear error (try again) and
// the log says so, once per interval.
TEST_F(LimitsTest, ConnectionsOverTheCapAreRefusedWithAClearError) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(start_with(R"({"maxConnections": 4})"));
    std::vector<std::unique_ptr<RawConn>> held;
    for (int i = 0; i < 4; ++i) {
        held.push_back(std::make_unique<RawConn>(agent().socket()));
        ASSERT_TRUE(held.back()->ok());
        ASSERT_TRUE(held.back()->send(header_claiming(100).substr(0, 6)));
    }
    for (int i = 0; i < 3; ++i) {
        RawConn over(agent().socket());
        ASSERT_TRUE(over.ok());
        auto got = over.read_until_close(3s);
        EXPECT_TRUE(got.eof) << "connection over the cap kept open";
        auto resp = response_of(got.bytes);
        ASSERT_TRUE(resp.is_object()) << got.bytes.size() << " bytes";
        EXPECT_EQ(resp.value("code", 0), 11) << resp;
        EXPECT_NE(resp.value("msg", "").find("maxConnections"), std::string::npos) << resp;
    }
    const std::string log = agent().log();
    EXPECT_EQ(count_of(log, "maxConnections"), 1u)
        << "one log line per interval, not per refusal:\n"
        << log;

    held.clear();
    EXPECT_TRUE(eventually([&] {
        RawConn probe(agent().socket());
        return probe.ok() &&
               probe.send(proto::encode_frame(proto::Kind::request, R"({"op":"ping"})")) &&
               response_of(probe.read_frame(2s).bytes).value("ok", false);
    })) << "connections are still refused after the held ones closed";
    auto r = add("after-connection-cap");
    EXPECT_TRUE(r.ok()) << r.describe();
}

// Defect 6: a cap on the bytes buffered across connections; the connection whose growth would
// pass it is refused with a clear error, the others keep theirs.
TEST_F(LimitsTest, BufferedBytesOverTheCapAreRefusedWithAClearError) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(start_with(
        R"({"maxFrameBytes": 262144, "maxBufferedBytes": 524288, "requestTimeoutMs": 60000})"));
    std::vector<std::unique_ptr<RawConn>> conns;
    for (int i = 0; i < 8; ++i) {
        conns.push_back(std::make_unique<RawConn>(agent().socket()));
        ASSERT_TRUE(conns.back()->ok());
        // A refused connection is closed by the agent while this is sent: no assertion on it.
        conns.back()->send(header_claiming(262144) + std::string(200 * 1024, 'x'));
    }
    int refused = 0, kept = 0;
    for (auto& c : conns) {
        auto got = c->read_until_close(1500ms);
        if (!got.eof) {
            EXPECT_TRUE(got.bytes.empty());
            ++kept;
            continue;
        }
        ++refused;
        auto resp = response_of(got.bytes);
        ASSERT_TRUE(resp.is_object()) << got.bytes.size() << " bytes";
        EXPECT_EQ(resp.value("code", 0), 11) << resp;
        EXPECT_NE(resp.value("msg", "").find("maxBufferedBytes"), std::string::npos) << resp;
    }
    EXPECT_GE(refused, 1) << "8 x 200 KiB buffered under a cap of 512 KiB";
    EXPECT_GE(kept, 1) << "a partial frame under the cap must be kept";
    EXPECT_NE(agent().log().find("maxBufferedBytes"), std::string::npos) << agent().log();
    conns.clear();
    auto r = add("after-buffer-cap");
    EXPECT_TRUE(r.ok()) << r.describe();
}

// Defect 7a: the compact form cut lengths to 16 bits; the plugin now refuses such fields with a
// CNI error naming them before it connects, and nothing reaches the agent.
TEST_F(LimitsTest, PluginRefusesFieldsTooLongForTheWire) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(agent().start({.pod_cidrs = {kV4}}));
    auto r = add("long-pod-name", "K8S_POD_NAME=" + std::string(70'000, 'p'));
    EXPECT_EQ(r.exit_code, 1) << r.describe();
    EXPECT_EQ(r.code(), 4) << r.describe();
    EXPECT_NE(r.msg().find("K8S_POD_NAME"), std::string::npos) << r.msg();
    EXPECT_NE(r.msg().find("65535"), std::string::npos) << r.msg();

    auto k = call("ADD", "long-network", netns_path_);
    auto n = warren_plugin(conf(std::string(70'000, 'n')), k);
    EXPECT_EQ(n.exit_code, 1) << n.describe();
    EXPECT_EQ(n.code(), 7) << n.describe();
    EXPECT_NE(n.msg().find("65535"), std::string::npos) << n.msg();

    EXPECT_EQ(agent().log().find("malformed request"), std::string::npos)
        << "the agent saw a bad frame:\n"
        << agent().log();
    auto ok = add("after-long-fields");
    ASSERT_TRUE(ok.ok()) << ok.describe();
    EXPECT_EQ(ok.addresses(), std::vector<std::string>{"10.199.0.2/24"});
}

// Defect 7b: a client's control characters reach the log escaped, so it cannot forge lines.
TEST_F(LimitsTest, ClientStringsAreEscapedInTheLog) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(agent().start({.pod_cidrs = {kV4}}));
    json resp = exchange(
        proto::Kind::request,
        R"({"op":"add","network":"wrn-net","containerId":"evil\nFORGED LINE\u001b[31m","ifname":"eth0"})");
    ASSERT_TRUE(resp.is_object());
    EXPECT_EQ(resp.value("ok", false), true) << resp;
    resp = exchange(
        proto::Kind::request,
        R"({"op":"add","network":"wrn-net","containerId":"bad","ifname":"eth0","ips":["1.2.3.4\r\nFORGED TOO"]})");
    ASSERT_TRUE(resp.is_object());
    EXPECT_EQ(resp.value("ok", true), false) << resp;
    resp = exchange(proto::Kind::request, R"({"op":"fly\nFORGED THREE"})");
    ASSERT_TRUE(resp.is_object());
    EXPECT_EQ(resp.value("ok", true), false) << resp;
    ASSERT_TRUE(eventually([&] { return agent().log().find("FORGED THREE") != std::string::npos; }))
        << agent().log();
    const std::string log = agent().log();
    EXPECT_EQ(log.find("\nFORGED"), std::string::npos) << log;
    EXPECT_EQ(log.find('\x1b'), std::string::npos) << log;
    EXPECT_EQ(log.find('\r'), std::string::npos) << log;
    EXPECT_NE(log.find(R"(evil\nFORGED LINE\x1b[31m)"), std::string::npos) << log;
}

// Defect 7c: a flood of bad frames makes one log line per interval with a count, not one each.
TEST_F(LimitsTest, BadFramesAreLoggedOncePerIntervalWithACount) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(agent().start({.pod_cidrs = {kV4}}));
    for (int i = 0; i < 50; ++i) {
        json resp = exchange(proto::Kind::request, "{\"op\":\"fly-" + std::to_string(i) + "\"}");
        ASSERT_TRUE(resp.is_object()) << i;
        EXPECT_EQ(resp.value("code", 0), 6) << resp;
    }
    EXPECT_LE(count_of(agent().log(), "malformed request"), 2u) << agent().log();
    // The rest are summed up once the interval (10 s) has passed.
    EXPECT_TRUE(eventually(
        [&] { return agent().log().find("refused 49 malformed requests") != std::string::npos; },
        15s))
        << agent().log();
    EXPECT_NE(agent().log().find("fly-49"), std::string::npos) << "the summary names the last one";
    auto r = add("after-bad-frames");
    EXPECT_TRUE(r.ok()) << r.describe();
}

}  // namespace
}  // namespace warren::it

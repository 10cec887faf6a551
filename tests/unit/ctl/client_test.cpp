// admin::call against a fake admin socket: the frames it sends, answers of every size, and each
// way an answer can be wrong or missing.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "fake_admin.hpp"
#include "warren/admin_protocol.hpp"

namespace warren::ctl::testing {
namespace {

using warren::testing::TempDir;

TEST(AdminCall, SendsOneAdminRequestFrameAndReturnsTheAnswer) {
    FakeAdmin agent(ok_frame({{"version", "0.1.0"}}));
    json req = {{"command", "status"}, {"args", json::object()}};
    auto r = admin::call(agent.path(), req, 5000);
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_EQ(*r, (json{{"ok", true}, {"result", {{"version", "0.1.0"}}}}));
    ASSERT_EQ(agent.requests().size(), 1u);
    EXPECT_EQ(agent.requests()[0], req);
}

TEST(AdminCall, ReadsALargeAnswerWhole) {
    json entries = json::array();
    for (int i = 0; i < 20000; ++i)
        entries.push_back(
            {{"ip", "10.1." + std::to_string(i / 256) + "." + std::to_string(i % 256)}});
    const json result = {{"entries", entries}};
    FakeAdmin agent(ok_frame(result));
    auto r = admin::call(agent.path(), {{"command", "list"}}, 5000);
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_GT(r->dump().size(), 256u * 1024);
    EXPECT_EQ((*r)["result"], result);
}

TEST(AdminCall, ErrorAnswerIsReturnedAsSent) {
    FakeAdmin agent(error_frame(3, "no allocation matches 10.9.9.9", "try warrenctl list"));
    auto r = admin::call(agent.path(), {{"command", "show"}}, 5000);
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_EQ((*r)["ok"], false);
    EXPECT_EQ((*r)["code"], 3);
    EXPECT_EQ((*r)["error"], "no allocation matches 10.9.9.9");
}

struct BadAnswer {
    std::string name;
    std::string bytes;
    std::string message;
};

class AdminCallBadAnswer : public ::testing::TestWithParam<BadAnswer> {};

TEST_P(AdminCallBadAnswer, IsADecodeError) {
    FakeAdmin agent(GetParam().bytes);
    auto r = admin::call(agent.path(), {{"command", "status"}}, 5000);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Code::decode);
    std::string expected = GetParam().message;
    if (auto at = expected.find("SOCKET"); at != std::string::npos)
        expected.replace(at, 6, agent.path());
    EXPECT_EQ(r.error().message, expected);
}

std::string header_claiming(uint32_t len, proto::Kind kind = proto::Kind::admin_response) {
    auto h = proto::encode_header(kind, len);
    return std::string(h.begin(), h.end());
}

INSTANTIATE_TEST_SUITE_P(
    All, AdminCallBadAnswer,
    ::testing::Values(
        BadAnswer{"NotJson", admin_frame("{oops"),
                  "malformed answer from warrend at SOCKET: not JSON"},
        BadAnswer{"NotObject", admin_frame("[1]"),
                  "malformed answer from warrend at SOCKET: not a JSON object"},
        BadAnswer{"NoOk", admin_frame(R"({"result":{}})"),
                  "malformed answer from warrend at SOCKET: no boolean \"ok\""},
        BadAnswer{"OkWithoutResult", admin_frame(R"({"ok":true})"),
                  "malformed answer from warrend at SOCKET: ok without a \"result\" object"},
        BadAnswer{"FailureWithoutError", admin_frame(R"({"ok":false,"code":3})"),
                  "malformed answer from warrend at SOCKET: a failure without an \"error\" text"},
        BadAnswer{"FailureWithoutCode", admin_frame(R"({"ok":false,"error":"x"})"),
                  "malformed answer from warrend at SOCKET: a failure without a \"code\""},
        BadAnswer{"CniResponseKind",
                  proto::encode_frame(proto::Kind::response, R"({"ok":true,"result":{}})"),
                  "bad frame: unexpected message kind"},
        BadAnswer{"OverTheCap", header_claiming(uint32_t{300} << 20),
                  "frame of 314572800 bytes exceeds the cap of 268435456"},
        BadAnswer{"WrongMagic", std::string(12, 'x') + "{}",
                  "bad frame: wrong magic (not a warren client?)"}),
    [](const auto& info) { return info.param.name; });

// The header claims more than arrives: the client must not trust the length (no allocation of
// it up front) and reports the early close.
TEST(AdminCall, TruncatedAnswerIsAConnectionReset) {
    FakeAdmin agent(header_claiming(200u << 20) + "{\"ok\":");
    auto r = admin::call(agent.path(), {{"command", "status"}}, 5000);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Code::try_again);
    EXPECT_EQ(r.error().sys_errno, ECONNRESET);
    EXPECT_EQ(r.error().message,
              "warrend at " + agent.path() + " closed the connection before answering");
}

// warrend refuses a caller by its peer credentials before reading the request, answers and
// closes: a request too large for the socket buffer then fails to send (EPIPE), and the answer
// waiting in the buffer is still what the caller gets.
TEST(AdminCall, AnswerSentBeforeTheRequestWasReadIsStillRead) {
    FakeAdmin agent(error_frame(5, "permission denied: uid 65534 is not allowed"), false);
    json req = {{"command", "import-host-local"}, {"args", {{"pad", std::string(4u << 20, 'x')}}}};
    auto r = admin::call(agent.path(), req, 5000);
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_EQ((*r)["code"], 5);
    EXPECT_EQ((*r)["error"], "permission denied: uid 65534 is not allowed");
}

TEST(AdminCall, NoSocketIsTryAgainWithEnoent) {
    TempDir tmp;
    auto r = admin::call(tmp / "admin.sock", {{"command", "status"}}, 5000);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Code::try_again);
    EXPECT_EQ(r.error().sys_errno, ENOENT);
    EXPECT_EQ(r.error().message, "cannot reach warrend at " + (tmp / "admin.sock"));
}

// A listener that never accepts: the request fits the socket buffer, the answer never comes.
TEST(AdminCall, SilentAgentTimesOut) {
    TempDir tmp;
    const std::string path = tmp / "admin.sock";
    Fd l{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.data(), path.size());
    ASSERT_EQ(::bind(l.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(l.get(), 4), 0);
    auto r = admin::call(path, {{"command", "status"}}, 100);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Code::try_again);
    EXPECT_EQ(r.error().sys_errno, ETIMEDOUT);
    EXPECT_EQ(r.error().message, "timed out waiting for the answer of warrend at " + path);
}

TEST(AdminCall, TooLongSocketPathIsInvalidConfig) {
    auto r = admin::call("/" + std::string(200, 'a'), {{"command", "status"}}, 100);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Code::invalid_config);
}

}  // namespace
}  // namespace warren::ctl::testing

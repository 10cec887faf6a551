// UnixServer serving either protocol (issue 8): the CNI socket and the admin socket each refuse
// the other's frames cleanly, an oversized admin frame is refused from its header, an admin
// connection carries several exchanges, and a peer SO_PEERCRED does not allow is told why on
// the admin socket (closed without a word on the CNI socket).
#include "server/unix_server.hpp"

#include <grp.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <cstring>
#include <future>
#include <thread>

#include "integration/raw_conn.hpp"
#include "server/admin_frames.hpp"
#include "server/cni_protocol.hpp"
#include "support/as_nobody.hpp"
#include "support/privileged.hpp"
#include "support/temp_dir.hpp"
#include "warren/admin_protocol.hpp"

namespace warren::server {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::TempDir;

class UnixServerTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_EQ(::chmod(tmp.path().c_str(), 0755), 0);
        auto cni_fd = listen_unix(cni_path, 0660, "");
        ASSERT_TRUE(cni_fd) << cni_fd.error().describe();
        auto admin_fd = listen_unix(admin_path, 0600, "");
        ASSERT_TRUE(admin_fd) << admin_fd.error().describe();
        cni = std::make_unique<UnixServer>(
            io, std::move(*cni_fd), ServerOptions{},
            std::make_shared<CniProtocol>(
                [](proto::Request, CniProtocol::Reply r) { r(proto::Response{true}); }));
        ServerOptions ao;
        ao.max_payload = static_cast<uint32_t>(admin::kAdminMaxRequest);
        ao.max_buffered_bytes = 2 * admin::kAdminMaxRequest;
        admin = std::make_unique<UnixServer>(
            io, std::move(*admin_fd), ao,
            std::make_shared<AdminFrames>([](json req, AdminFrames::Reply r) {
                r(json{{"ok", true}, {"result", {{"echo", req["command"]}}}}.dump());
            }));
        cni->start();
        admin->start();
        thread = std::thread([this] { io.run(); });
    }
    void TearDown() override {
        std::promise<void> stopped;
        boost::asio::post(io, [&] {
            if (cni) cni->stop();
            if (admin) admin->stop();
            stopped.set_value();
        });
        stopped.get_future().wait();
        guard.reset();
        io.stop();
        if (thread.joinable()) thread.join();
    }

    static json admin_answer(const std::string& bytes) {
        if (bytes.size() < proto::kHeaderSize) return nullptr;
        auto len = proto::decode_header(reinterpret_cast<const uint8_t*>(bytes.data()),
                                        proto::Kind::admin_response, admin::kAdminMaxResponse);
        if (!len || bytes.size() != proto::kHeaderSize + *len) return nullptr;
        return json::parse(bytes.substr(proto::kHeaderSize), nullptr, false);
    }
    static it::RawConn::Got read_admin(it::RawConn& c) {
        return c.read_until(10s, [](const std::string& b) {
            if (b.size() < proto::kHeaderSize) return false;
            auto len = proto::decode_header(reinterpret_cast<const uint8_t*>(b.data()),
                                            proto::Kind::admin_response, admin::kAdminMaxResponse);
            return !len || b.size() >= proto::kHeaderSize + *len;
        });
    }


    TempDir tmp;
    const std::string cni_path = tmp / "warren.sock";
    const std::string admin_path = tmp / "admin.sock";
    boost::asio::io_context io;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{
        io.get_executor()};
    std::unique_ptr<UnixServer> cni, admin;
    std::thread thread;
};

TEST_F(UnixServerTest, EachSocketRefusesTheOtherProtocolsFramesCleanly) {
    it::RawConn to_cni(cni_path);
    ASSERT_TRUE(to_cni.ok());
    ASSERT_TRUE(
        to_cni.send(proto::encode_frame(proto::Kind::admin_request, R"({"command":"status"})")));
    auto got = to_cni.read_until_close(10s);
    EXPECT_TRUE(got.eof);
    auto r = it::response_of(got.bytes);
    ASSERT_TRUE(r.is_object()) << got.bytes.size() << " bytes";
    EXPECT_EQ(r["ok"], false);
    EXPECT_EQ(r["code"], static_cast<int>(Code::decode));
    EXPECT_EQ(r["msg"], "bad frame: unexpected message kind");

    it::RawConn to_admin(admin_path);
    ASSERT_TRUE(to_admin.ok());
    ASSERT_TRUE(to_admin.send(proto::encode_frame(proto::Kind::request, R"({"op":"ping"})")));
    auto got2 = to_admin.read_until_close(10s);
    EXPECT_TRUE(got2.eof);
    auto a = admin_answer(got2.bytes);
    ASSERT_TRUE(a.is_object()) << got2.bytes.size() << " bytes";
    EXPECT_EQ(a["ok"], false);
    EXPECT_EQ(a["code"], static_cast<int>(Code::decode));
    EXPECT_EQ(a["error"], "bad frame: unexpected message kind");
}

TEST_F(UnixServerTest, OversizedAdminFrameIsRefusedFromItsHeader) {
    it::RawConn c(admin_path);
    ASSERT_TRUE(c.ok());
    auto h = proto::encode_header(proto::Kind::admin_request, admin::kAdminMaxRequest + 1);
    ASSERT_TRUE(c.send(std::string(h.begin(), h.end())));
    auto got = c.read_until_close(10s);
    EXPECT_TRUE(got.eof);
    auto a = admin_answer(got.bytes);
    ASSERT_TRUE(a.is_object());
    EXPECT_EQ(a["code"], static_cast<int>(Code::decode));
    EXPECT_EQ(a["error"], "frame of " + std::to_string(admin::kAdminMaxRequest + 1) +
                              " bytes exceeds the cap of " +
                              std::to_string(admin::kAdminMaxRequest));
}

TEST_F(UnixServerTest, AdminConnectionCarriesSeveralExchangesAndLargeRequests) {
    it::RawConn c(admin_path);
    ASSERT_TRUE(c.ok());
    for (const std::string cmd : {"status", "list"}) {
        ASSERT_TRUE(
            c.send(proto::encode_frame(proto::Kind::admin_request, json{{"command", cmd}}.dump())));
        auto a = admin_answer(read_admin(c).bytes);
        ASSERT_TRUE(a.is_object()) << cmd;
        EXPECT_EQ(a["result"]["echo"], cmd);
    }
    // Far past the CNI socket's 64 KiB: an import of a large host-local directory.
    const std::string big =
        json{{"command", "import-host-local"}, {"args", {{"pad", std::string(1 << 20, 'x')}}}}
            .dump();
    ASSERT_TRUE(c.send(proto::encode_frame(proto::Kind::admin_request, big)));
    auto a = admin_answer(read_admin(c).bytes);
    ASSERT_TRUE(a.is_object());
    EXPECT_EQ(a["result"]["echo"], "import-host-local");
}

TEST_F(UnixServerTest, PeerNotAllowedIsToldWhyOnTheAdminSocketAndJustClosedOnTheCniSocket) {
    WARREN_REQUIRE_ROOT();
    ASSERT_EQ(::chmod(admin_path.c_str(), 0666), 0);
    ASSERT_EQ(::chmod(cni_path.c_str(), 0666), 0);
    auto got = warren::testing::exchange_as_nobody(
        admin_path, proto::encode_frame(proto::Kind::admin_request, R"({"command":"status"})"));
    ASSERT_TRUE(got) << "the child could not drop to uid 65534 or connect";
    auto a = admin_answer(*got);
    ASSERT_TRUE(a.is_object()) << got->size() << " bytes";
    EXPECT_EQ(a["ok"], false);
    EXPECT_EQ(a["code"], 5);
    EXPECT_TRUE(a["error"].get<std::string>().starts_with("permission denied: uid 65534 (pid "))
        << a.dump();
    EXPECT_NE(a["error"].get<std::string>().find("may not use warrend's admin socket"),
              std::string::npos);
    EXPECT_EQ(a["details"],
              "only root or uid " + std::to_string(::geteuid()) +
                  " (warrend's user) may use the admin socket; run as root (sudo), or configure a "
                  "group for it and add the user to it");

    auto cni_got =
        warren::testing::exchange_as_nobody(cni_path, proto::encode_frame(proto::Kind::request, R"({"op":"ping"})"));
    ASSERT_TRUE(cni_got);
    EXPECT_EQ(*cni_got, "") << "the CNI socket closes on a refused peer without an answer";

    it::RawConn root(admin_path);  // and serves on
    ASSERT_TRUE(
        root.send(proto::encode_frame(proto::Kind::admin_request, R"({"command":"status"})")));
    EXPECT_EQ(admin_answer(read_admin(root).bytes)["result"]["echo"], "status");
}

}  // namespace
}  // namespace warren::server

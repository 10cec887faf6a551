#include "metrics/http_server.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <thread>

#include "support/http_client.hpp"

namespace warren::metrics {
namespace {

using namespace std::chrono_literals;
using warren::testing::connect_tcp;
using warren::testing::http_request;
using warren::testing::HttpAnswer;
using warren::testing::parse_answer;
using warren::testing::read_to_close;
using warren::testing::send_all;

class MetricsHttpTest : public ::testing::Test {
  protected:
    void start(HttpOptions opts = {}, std::string body = "demo_up 1\n") {
        body_ = std::move(body);
        auto s = MetricsHttpServer::listen(
            io_, "127.0.0.1:0",
            [this] {
                ++renders_;
                return body_;
            },
            opts);
        ASSERT_TRUE(s) << s.error().describe();
        server_ = std::move(*s);
        server_->start();
        port_ = server_->local_endpoint().port();
        thread_ = std::thread([this] { io_.run(); });
    }
    // Runs `f` on the I/O thread and waits for it.
    template <class F>
    auto on_io(F f) {
        std::packaged_task<decltype(f())()> task(std::move(f));
        auto fut = task.get_future();
        boost::asio::post(io_, [&task] { task(); });
        return fut.get();
    }
    void TearDown() override {
        if (thread_.joinable()) {
            on_io([this] {
                server_->stop();
                return 0;
            });
            guard_.reset();
            io_.stop();
            thread_.join();
        }
    }

    boost::asio::io_context io_{1};
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_{
        io_.get_executor()};
    std::unique_ptr<MetricsHttpServer> server_;
    std::thread thread_;
    std::string body_;
    std::atomic<int> renders_{0};
    uint16_t port_ = 0;
};

TEST_F(MetricsHttpTest, GetMetricsAnswersTheRenderedTextInFormat004) {
    start();
    auto a = http_request(port_, "GET", "/metrics");
    ASSERT_TRUE(a.ok) << a.headers;
    EXPECT_EQ(a.status, 200);
    EXPECT_NE(a.headers.find("Content-Type: text/plain; version=0.0.4; charset=utf-8"),
              std::string::npos)
        << a.headers;
    EXPECT_EQ(a.body, "demo_up 1\n");
    EXPECT_EQ(renders_.load(), 1);
}

TEST_F(MetricsHttpTest, EverythingElseIs404AndRendersNothing) {
    start();
    for (auto [method, target] :
         std::vector<std::pair<std::string, std::string>>{{"GET", "/"},
                                                          {"GET", "/metricsx"},
                                                          {"GET", "/debug/pprof"},
                                                          {"HEAD", "/metrics"},
                                                          {"POST", "/metrics"}}) {
        auto a = http_request(port_, method, target);
        ASSERT_TRUE(a.ok) << method << " " << target;
        EXPECT_EQ(a.status, 404) << method << " " << target;
        EXPECT_EQ(a.body.empty(), method == "HEAD") << method << " " << target << ": " << a.body;
    }
    EXPECT_EQ(renders_.load(), 0);
}

TEST_F(MetricsHttpTest, KeepAliveServesSeveralScrapesOnOneConnection) {
    start();
    Fd fd = connect_tcp(port_);
    ASSERT_TRUE(fd);
    const std::string get = "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n";
    ASSERT_TRUE(
        send_all(fd, get + get + "GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
    auto r = read_to_close(fd);
    EXPECT_TRUE(r.closed);
    size_t answers = 0;
    for (size_t at = r.bytes.find("HTTP/1.1 200 OK"); at != std::string::npos;
         at = r.bytes.find("HTTP/1.1 200 OK", at + 1))
        ++answers;
    EXPECT_EQ(answers, 3u) << r.bytes;
}

TEST_F(MetricsHttpTest, APortInUseIsAClearErrorNamingTheAddress) {
    start();
    const std::string address = "127.0.0.1:" + std::to_string(port_);
    boost::asio::io_context other;
    auto s = MetricsHttpServer::listen(other, address, [] { return std::string(); });
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().describe().find("cannot bind the metrics address " + address),
              std::string::npos)
        << s.error().describe();
    EXPECT_NE(s.error().describe().find("--metrics-address"), std::string::npos)
        << s.error().describe();
}

// A client that connects and sends nothing, and one that sends half a request, hold no scrape
// back; the server closes them at the request deadline.
TEST_F(MetricsHttpTest, SilentAndPartialClientsDoNotDelayOtherScrapesAndAreClosed) {
    start({.timeout = 1000ms});
    Fd silent = connect_tcp(port_);
    Fd partial = connect_tcp(port_);
    ASSERT_TRUE(silent);
    ASSERT_TRUE(partial);
    ASSERT_TRUE(send_all(partial, "GET /metrics HTTP/1.1\r\nHost:"));
    for (int i = 0; i < 5; ++i) {
        auto a = http_request(port_, "GET", "/metrics");
        ASSERT_TRUE(a.ok);
        EXPECT_EQ(a.status, 200);
    }
    for (Fd* fd : {&silent, &partial}) {
        auto r = read_to_close(*fd);
        EXPECT_TRUE(r.closed) << "the server never closed a stalled client";
        EXPECT_EQ(r.bytes, "") << "a stalled client got an answer";
    }
}

// A client that asks and never reads: the answer (larger than the socket buffers) cannot be
// written, yet other scrapes are served meanwhile, and the writer gives up at its deadline.
TEST_F(MetricsHttpTest, AClientThatReadsNothingDoesNotDelayOtherScrapes) {
    start({.timeout = 3000ms}, std::string(16 << 20, '#') + "\n");
    Fd stuck = connect_tcp(port_);
    ASSERT_TRUE(stuck);
    int small = 4096;
    ::setsockopt(stuck.get(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    ASSERT_TRUE(send_all(stuck, "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n"));
    for (int i = 0; i < 3; ++i) {
        auto a = http_request(port_, "GET", "/metrics");
        ASSERT_TRUE(a.ok);
        EXPECT_EQ(a.status, 200);
        EXPECT_EQ(a.body.size(), (16u << 20) + 1);
    }
    // At its deadline the server resets it: draining then ends, never with the whole answer.
    for (int i = 0; i < 1000 && on_io([this] { return server_->stats().open; }) > 0; ++i)
        std::this_thread::sleep_for(10ms);
    EXPECT_EQ(on_io([this] { return server_->stats().open; }), 0u);
    auto r = read_to_close(stuck);
    EXPECT_TRUE(r.closed);
    EXPECT_LT(r.bytes.size(), (16u << 20));
}

TEST_F(MetricsHttpTest, ConnectionsOverTheCapAreClosedAtOnce) {
    start({.timeout = 2000ms, .max_connections = 2});
    Fd a = connect_tcp(port_), b = connect_tcp(port_);
    ASSERT_TRUE(a);
    ASSERT_TRUE(b);
    // Both are held (the server has accepted them once a later connection is refused).
    auto refused = http_request(port_, "GET", "/metrics");
    EXPECT_EQ(refused.status, 0) << "a third connection was served past the cap of 2";
    EXPECT_EQ(on_io([this] { return server_->stats().refused; }), 1u);
    a = Fd{};
    b = Fd{};
    // Closed clients free their slots (the server sees EOF at once).
    HttpAnswer again;
    for (int i = 0; i < 100 && again.status != 200; ++i) {
        again = http_request(port_, "GET", "/metrics");
        if (again.status != 200) std::this_thread::sleep_for(10ms);
    }
    EXPECT_EQ(again.status, 200);
}

TEST_F(MetricsHttpTest, AnOversizedRequestIsClosedUnanswered) {
    start({.max_request_bytes = 1024});
    Fd fd = connect_tcp(port_);
    ASSERT_TRUE(fd);
    ASSERT_TRUE(send_all(
        fd, "GET /metrics HTTP/1.1\r\nHost: t\r\nX-Pad: " + std::string(4096, 'x') + "\r\n\r\n"));
    auto r = read_to_close(fd);
    EXPECT_TRUE(r.closed);
    EXPECT_EQ(r.bytes, "");
    EXPECT_EQ(renders_.load(), 0);
}

TEST(MetricsAddress, ParsesIpv4Ipv6AndLocalhost) {
    auto v4 = parse_listen_address("10.1.2.3:9464");
    ASSERT_TRUE(v4);
    EXPECT_EQ(v4->address().to_string(), "10.1.2.3");
    EXPECT_EQ(v4->port(), 9464);
    auto v6 = parse_listen_address("[::1]:80");
    ASSERT_TRUE(v6);
    EXPECT_TRUE(v6->address().is_v6());
    auto lh = parse_listen_address("localhost:0");
    ASSERT_TRUE(lh);
    EXPECT_EQ(lh->address().to_string(), "127.0.0.1");
    EXPECT_TRUE(metrics_disabled("off"));
    EXPECT_TRUE(metrics_disabled(""));
    EXPECT_FALSE(metrics_disabled("127.0.0.1:9464"));
}

TEST(MetricsAddress, AcceptsAnUnbracketedIpv6HostAsTheDownwardApiGivesIt) {
    auto v6 = parse_listen_address("fd00:10::7:9464");
    ASSERT_TRUE(v6) << v6.error().message;
    EXPECT_EQ(v6->address().to_string(), "fd00:10::7");
    EXPECT_EQ(v6->port(), 9464);
    auto bad = parse_listen_address("fd00:zz::7:9464");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("is not an IPv6 address"), std::string::npos) << bad.error().message;
}

}  // namespace
}  // namespace warren::metrics

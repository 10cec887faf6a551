#include "metrics/http_server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <optional>
#include <unordered_set>

namespace warren::metrics {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

Error bad_address(const std::string& address, const std::string& why) {
    return Error{Code::invalid_config,
                 "metrics address '" + address + "' (metrics.address, --metrics-address): " + why +
                     "; give HOST:PORT with HOST an IPv4 address, [IPv6 address] or localhost "
                     "(e.g. 127.0.0.1:9464), or \"off\""};
}

class Session;

}  // namespace

struct MetricsHttpServer::Shared {
    Render render;
    HttpOptions opts;
    bool stopped = false;
    size_t refused = 0, scrapes = 0;
    std::unordered_set<Session*> sessions;
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
  public:
    Session(tcp::socket s, std::shared_ptr<MetricsHttpServer::Shared> shared)
        : stream_(std::move(s)),
          buffer_(shared->opts.max_request_bytes),
          shared_(std::move(shared)) {
        shared_->sessions.insert(this);
    }
    ~Session() { shared_->sessions.erase(this); }

    void read() {
        parser_.emplace();
        parser_->header_limit(static_cast<uint32_t>(shared_->opts.max_request_bytes));
        parser_->body_limit(shared_->opts.max_request_bytes);
        stream_.expires_after(shared_->opts.timeout);
        http::async_read(
            stream_, buffer_, *parser_,
            [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
    }

    // `abort`: a stalled or broken client; a reset frees the kernel's buffers for it at once
    // instead of trickling the rest of an answer out to a peer that does not read.
    void close(bool abort = false) {
        beast::error_code ignored;
        if (abort) stream_.socket().set_option(asio::socket_base::linger(true, 0), ignored);
        stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream_.socket().close(ignored);
    }

  private:
    void on_read(beast::error_code ec) {
        // Timeouts, resets, oversized or malformed requests: nothing to answer; just close.
        if (ec || shared_->stopped) return close(ec && ec != http::error::end_of_stream);
        const auto& req = parser_->get();
        res_ = {};
        res_.version(req.version());
        res_.keep_alive(req.keep_alive());
        const auto target = req.target();
        const bool metrics_path = target == "/metrics" || target.starts_with("/metrics?");
        if (req.method() == http::verb::get && metrics_path) {
            res_.result(http::status::ok);
            res_.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
            res_.body() = shared_->render();
            ++shared_->scrapes;
        } else {
            res_.result(http::status::not_found);
            res_.set(http::field::content_type, "text/plain; charset=utf-8");
            if (req.method() != http::verb::head)
                res_.body() = "not found: this port serves only GET /metrics\n";
        }
        res_.prepare_payload();
        // Reset, not drain, if the deadline closes it (the stream closes the socket itself): an
        // unread answer must not sit in the kernel trickling out to a peer that does not read.
        beast::error_code ignored;
        stream_.socket().set_option(asio::socket_base::linger(true, 0), ignored);
        stream_.expires_after(shared_->opts.timeout);
        http::async_write(stream_, res_, [self = shared_from_this()](beast::error_code ec, size_t) {
            if (ec) return self->close(true);
            beast::error_code ignored;
            self->stream_.socket().set_option(asio::socket_base::linger(false, 0), ignored);
            if (self->shared_->stopped || !self->res_.keep_alive()) return self->close();
            self->read();
        });
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    http::response<http::string_body> res_;
    std::shared_ptr<MetricsHttpServer::Shared> shared_;
};

}  // namespace

Result<tcp::endpoint> parse_listen_address(const std::string& address) {
    const auto colon = address.rfind(':');
    if (colon == std::string::npos) return std::unexpected(bad_address(address, "no port"));
    std::string host = address.substr(0, colon);
    const std::string port_text = address.substr(colon + 1);
    unsigned port = 0;
    auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc{} || p != port_text.data() + port_text.size() ||
        port > 65535)
        return std::unexpected(
            bad_address(address, "the port '" + port_text + "' is not a number from 0 to 65535"));
    if (host == "localhost") host = "127.0.0.1";
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
        boost::system::error_code aec;
        auto a = asio::ip::make_address_v6(host, aec);
        if (aec)
            return std::unexpected(bad_address(address, "'" + host + "' is not an IPv6 address"));
        return tcp::endpoint(a, static_cast<uint16_t>(port));
    }
    boost::system::error_code aec;
    // An IPv6 address without brackets: a DaemonSet's $(HOST_IP):9464 on an IPv6 node. The port
    // is required, so the last colon is the port's.
    if (host.find(':') != std::string::npos) {
        auto a6 = asio::ip::make_address_v6(host, aec);
        if (aec)
            return std::unexpected(bad_address(address, "'" + host + "' is not an IPv6 address"));
        return tcp::endpoint(a6, static_cast<uint16_t>(port));
    }
    auto a = asio::ip::make_address_v4(host, aec);
    if (aec) return std::unexpected(bad_address(address, "'" + host + "' is not an IPv4 address"));
    return tcp::endpoint(a, static_cast<uint16_t>(port));
}

MetricsHttpServer::MetricsHttpServer(tcp::acceptor acceptor, std::shared_ptr<Shared> shared)
    : acceptor_(std::move(acceptor)), shared_(std::move(shared)) {}

MetricsHttpServer::~MetricsHttpServer() {
    stop();
}

Result<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::listen(asio::io_context& io,
                                                                     const std::string& address,
                                                                     Render render,
                                                                     HttpOptions opts) {
    auto ep = parse_listen_address(address);
    if (!ep) return std::unexpected(ep.error());
    tcp::acceptor acceptor(io);
    boost::system::error_code ec;
    auto failed = [&](const char* step) {
        std::string advice =
            ec == asio::error::address_in_use
                ? "; another process (another warrend?) listens there: stop it or choose "
                  "another --metrics-address (\"off\" disables metrics)"
                : "";
        return fail_errno(
            "cannot " + std::string(step) + " the metrics address " + address + advice, ec.value(),
            Code::io);
    };
    if (acceptor.open(ep->protocol(), ec); ec) return failed("open a socket for");
    if (acceptor.set_option(tcp::acceptor::reuse_address(true), ec); ec)
        return failed("set SO_REUSEADDR on");
    if (acceptor.bind(*ep, ec); ec) return failed("bind");
    if (acceptor.listen(asio::socket_base::max_listen_connections, ec); ec)
        return failed("listen on");
    auto shared = std::make_shared<Shared>();
    shared->render = std::move(render);
    shared->opts = opts;
    return std::unique_ptr<MetricsHttpServer>(
        new MetricsHttpServer(std::move(acceptor), std::move(shared)));
}

void MetricsHttpServer::start() {
    accept();
}

void MetricsHttpServer::accept() {
    acceptor_.async_accept([this, shared = shared_](boost::system::error_code ec, tcp::socket s) {
        if (shared->stopped || ec == asio::error::operation_aborted) return;
        if (ec) {
            // EMFILE and the like: the listener stays; the next connection may fit.
            spdlog::warn("metrics: accept failed: {}", ec.message());
            auto timer = std::make_shared<asio::steady_timer>(acceptor_.get_executor(),
                                                              std::chrono::milliseconds(100));
            timer->async_wait([this, timer, shared](boost::system::error_code tec) {
                if (!tec && !shared->stopped) accept();
            });
            return;
        }
        if (shared->sessions.size() >= shared->opts.max_connections) {
            ++shared->refused;
            boost::system::error_code ignored;
            s.close(ignored);
        } else {
            std::make_shared<Session>(std::move(s), shared)->read();
        }
        accept();
    });
}

void MetricsHttpServer::stop() {
    if (shared_->stopped) return;
    shared_->stopped = true;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    for (auto* s : std::vector<Session*>(shared_->sessions.begin(), shared_->sessions.end()))
        s->close();
}

tcp::endpoint MetricsHttpServer::local_endpoint() const {
    boost::system::error_code ec;
    return acceptor_.local_endpoint(ec);
}

MetricsHttpServer::Stats MetricsHttpServer::stats() const {
    return {shared_->sessions.size(), shared_->refused, shared_->scrapes};
}

}  // namespace warren::metrics

#include "kube/transport.hpp"

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <limits>
#include <nlohmann/json.hpp>

#include "kube/objects.hpp"

namespace warren::kube {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using net::ip::tcp;
using Stream = beast::ssl_stream<beast::tcp_stream>;

namespace {

constexpr size_t kMaxLine = 16 * 1024 * 1024;
constexpr size_t kMaxBody = 256 * 1024 * 1024;

std::unexpected<ApiError> api_fail(std::string message, int status = 0) {
    return std::unexpected(ApiError{status, std::move(message)});
}

// The target without its query (resourceVersion, continue tokens): an error's text stays the
// same from one retry to the next, so it is logged once.
std::string_view path_of(std::string_view target) {
    return target.substr(0, target.find('?'));
}

bool is_ip(const std::string& host) {
    boost::system::error_code ec;
    net::ip::make_address(host, ec);
    return !ec;
}

// A server answer's reason: the Status object's message when the body is one.
std::string answer_reason(const std::string& body) {
    auto j = parse_api_json(body, "answer");
    if (j) {
        auto st = parse_status(*j);
        if (!st.message.empty()) return st.message;
    }
    return body.size() > 200 ? body.substr(0, 200) + "..." : body;
}

ApiError status_error(const ApiConfig& config, int status, const std::string& target,
                      const std::string& body) {
    const std::string reason = answer_reason(body);
    if (status == 401) {
        const std::string source = config.token_file.empty()
                                       ? fmt::format("the token in {}", config.origin)
                                       : fmt::format("the token file {}", config.token_file);
        return ApiError{status, fmt::format("the API server {} rejected the bearer token (401 "
                                            "Unauthorized: expired or rotated?); check {}",
                                            server_text(config), source)};
    }
    if (status == 403) {
        return ApiError{status, fmt::format("the API server {} forbids GET {} (403: {}); the "
                                            "account needs get/list/watch on nodes, list/watch "
                                            "on pods and, for zones' namespaceSelector, "
                                            "get/list/watch on namespaces (the warren "
                                            "ClusterRole)",
                                            server_text(config), path_of(target), reason)};
    }
    return ApiError{status, fmt::format("GET {} on {}: HTTP {}: {}", path_of(target),
                                        server_text(config), status, reason)};
}

std::string io_message(const ApiConfig& config, const TransportOptions& options,
                       const boost::system::error_code& ec, std::string_view step) {
    if (ec == beast::error::timeout) {
        return fmt::format("no answer from the API server {} within {} ms ({})",
                           server_text(config), options.request_timeout.count(), step);
    }
    return fmt::format("API server {}: {}: {}", server_text(config), step, ec.message());
}

struct Connection {
    Stream stream;
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    Connection(net::any_io_executor ex, net::ssl::context& ssl) : stream(ex, ssl) {
        parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    }
};

// Connects, verifies the server, sends the GET and reads the answer's header.
net::awaitable<ApiResult<void>> open(Connection& c, const ApiConfig& config,
                                     const TransportOptions& options, const std::string& target) {
    auto token = current_token(config);
    if (!token) co_return api_fail(token.error().message);
    auto& tcp_layer = beast::get_lowest_layer(c.stream);
    tcp_layer.expires_after(options.request_timeout);
    boost::system::error_code ec;
    tcp::resolver resolver(co_await net::this_coro::executor);
    auto endpoints = co_await resolver.async_resolve(config.host, config.port,
                                                     net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return api_fail(io_message(config, options, ec, "resolving the host"));
    co_await tcp_layer.async_connect(endpoints, net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return api_fail(io_message(config, options, ec, "connecting"));

    SSL* ssl = c.stream.native_handle();
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    const bool pinned = is_ip(config.host)
                            ? X509_VERIFY_PARAM_set1_ip_asc(param, config.host.c_str()) == 1
                            : X509_VERIFY_PARAM_set1_host(param, config.host.c_str(), 0) == 1 &&
                                  SSL_set_tlsext_host_name(ssl, config.host.c_str()) == 1;
    if (!pinned) {
        co_return api_fail(
            fmt::format("cannot ask OpenSSL to verify the API server's name {}", config.host));
    }
    co_await c.stream.async_handshake(net::ssl::stream_base::client,
                                      net::redirect_error(net::use_awaitable, ec));
    if (ec) {
        const long verdict = SSL_get_verify_result(ssl);
        if (verdict != X509_V_OK) {
            co_return api_fail(fmt::format(
                "the API server {}'s certificate did not verify against {}: {}; is that the "
                "cluster's CA and the server's address?",
                server_text(config), config.ca_origin, X509_verify_cert_error_string(verdict)));
        }
        co_return api_fail(io_message(config, options, ec, "TLS handshake"));
    }

    http::request<http::empty_body> req{http::verb::get, config.base_path + target, 11};
    req.set(http::field::host, server_text(config));
    req.set(http::field::user_agent, "warren/" WARREN_VERSION);
    req.set(http::field::accept, "application/json");
    if (!token->empty()) req.set(http::field::authorization, "Bearer " + *token);
    co_await http::async_write(c.stream, req, net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return api_fail(io_message(config, options, ec, "sending the request"));
    co_await http::async_read_header(c.stream, c.buffer, c.parser,
                                     net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return api_fail(io_message(config, options, ec, "reading the answer"));
    co_return ApiResult<void>{};
}

}  // namespace

std::string url_encode(std::string_view value) {
    std::string out;
    for (unsigned char c : value) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += fmt::format("%{:02X}", c);
        }
    }
    return out;
}

Result<std::unique_ptr<Transport>> Transport::create(ApiConfig config, TransportOptions options) {
    std::unique_ptr<Transport> t(new Transport(std::move(config), options));
    boost::system::error_code ec;
    SSL_CTX_set_min_proto_version(t->ssl_.native_handle(), TLS1_2_VERSION);
    t->ssl_.set_verify_mode(net::ssl::verify_peer, ec);
    t->ssl_.add_certificate_authority(net::buffer(t->config_.ca_pem), ec);
    if (ec) {
        return fail(Code::invalid_config,
                    fmt::format("the CA {} is not a PEM certificate ({}); give the cluster's CA",
                                t->config_.ca_origin, ec.message()));
    }
    if (!t->config_.client_cert_pem.empty()) {
        t->ssl_.use_certificate_chain(net::buffer(t->config_.client_cert_pem), ec);
        if (!ec) {
            t->ssl_.use_private_key(net::buffer(t->config_.client_key_pem), net::ssl::context::pem,
                                    ec);
        }
        if (ec) {
            return fail(Code::invalid_config,
                        fmt::format("{}: the client certificate or key is not usable PEM ({}); "
                                    "give a matching certificate and key",
                                    t->config_.origin, ec.message()));
        }
    }
    return t;
}

Transport::Transport(ApiConfig config, TransportOptions options)
    : config_(std::move(config)), options_(options), ssl_(net::ssl::context::tls_client) {}

net::awaitable<ApiResult<std::string>> Transport::get(std::string target) {
    Connection c(co_await net::this_coro::executor, ssl_);
    c.parser.body_limit(kMaxBody);
    if (auto st = co_await open(c, config_, options_, target); !st) {
        co_return std::unexpected(st.error());
    }
    boost::system::error_code ec;
    co_await http::async_read(c.stream, c.buffer, c.parser,
                              net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return api_fail(io_message(config_, options_, ec, "reading the answer"));
    auto& res = c.parser.get();
    if (res.result_int() != 200) {
        co_return std::unexpected(status_error(config_, res.result_int(), target, res.body()));
    }
    co_return std::move(res.body());
}

net::awaitable<ApiResult<void>> Transport::watch(std::string target, LineHandler on_line) {
    Connection c(co_await net::this_coro::executor, ssl_);
    if (auto st = co_await open(c, config_, options_, target); !st) {
        co_return std::unexpected(st.error());
    }
    boost::system::error_code ec;
    const int status = c.parser.get().result_int();
    if (status != 200) {
        c.parser.body_limit(kMaxBody);
        co_await http::async_read(c.stream, c.buffer, c.parser,
                                  net::redirect_error(net::use_awaitable, ec));
        co_return std::unexpected(status_error(config_, status, target, c.parser.get().body()));
    }
    auto& tcp_layer = beast::get_lowest_layer(c.stream);
    std::string& body = c.parser.get().body();
    while (!c.parser.is_done()) {
        tcp_layer.expires_after(options_.watch_idle);
        co_await http::async_read_some(c.stream, c.buffer, c.parser,
                                       net::redirect_error(net::use_awaitable, ec));
        if (ec == http::error::end_of_stream) break;
        if (ec == beast::error::timeout) {
            co_return api_fail(fmt::format(
                "the watch of {} on the API server {} sent nothing for {} s (the server should "
                "end it after timeoutSeconds)",
                path_of(target), server_text(config_), options_.watch_idle.count() / 1000));
        }
        if (ec) co_return api_fail(io_message(config_, options_, ec, "reading the watch"));
        size_t start = 0;
        for (size_t nl; (nl = body.find('\n', start)) != std::string::npos; start = nl + 1) {
            std::string_view line(body.data() + start, nl - start);
            if (line.empty()) continue;
            if (auto st = on_line(line); !st) co_return std::unexpected(st.error());
        }
        body.erase(0, start);
        if (body.size() > kMaxLine) {
            co_return api_fail(fmt::format("a watch event from {} is longer than {} bytes",
                                           server_text(config_), kMaxLine));
        }
    }
    if (!body.empty()) {
        if (auto st = on_line(body); !st) co_return std::unexpected(st.error());
    }
    co_return ApiResult<void>{};
}

}  // namespace warren::kube

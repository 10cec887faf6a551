#pragma once
// HTTPS to the API server (Boost.Beast + OpenSSL): one connection per request, the server's
// certificate verified against the configured CA and for the host name or IP address, SNI for
// names, the bearer token re-read before each request. Coroutines on the caller's executor.
//
// Thread-safety: a Transport is immutable after create(); requests may run concurrently.
#include <utility>
// <utility> first: Boost 1.74's asio/awaitable.hpp uses std::exchange without it.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <expected>
#include <functional>
#include <string>
#include <string_view>

#include "kube/config.hpp"
#include "warren/error.hpp"

namespace warren::kube {

// What went wrong with one request, worded for the log and status().error.
struct ApiError {
    int http_status = 0;  // 0: no HTTP answer (connect, TLS, timeout, I/O, a bad token file)
    std::string message;
    bool gone() const { return http_status == 410; }
};
template <class T>
using ApiResult = std::expected<T, ApiError>;

struct TransportOptions {
    std::chrono::milliseconds request_timeout{10'000};  // connect + TLS + request + answer header
    std::chrono::milliseconds watch_idle{310'000};      // longest silence inside a watch body
};

class Transport {
  public:
    // Code::invalid_config when the CA or the client certificate/key is not usable PEM.
    static Result<std::unique_ptr<Transport>> create(ApiConfig config, TransportOptions options);

    // GET `target` (path and query); the body of a 200 answer. Another status is an ApiError
    // with the Status object's message; 401 says the token was rejected and names its file.
    boost::asio::awaitable<ApiResult<std::string>> get(std::string target);

    // GET `target` as a watch: calls `on_line` with each line of the chunked body as it
    // arrives. Ends with success when the server ends the stream, with `on_line`'s error when
    // it returns one (the stream is dropped), or with an ApiError on a non-200 answer, an I/O
    // error or `watch_idle` without a byte.
    using LineHandler = std::function<ApiResult<void>(std::string_view)>;
    boost::asio::awaitable<ApiResult<void>> watch(std::string target, LineHandler on_line);

    const ApiConfig& config() const { return config_; }
    const TransportOptions& options() const { return options_; }

  private:
    Transport(ApiConfig config, TransportOptions options);

    ApiConfig config_;
    TransportOptions options_;
    boost::asio::ssl::context ssl_;
};

// Percent-encoding for a query value (RFC 3986 unreserved characters pass as they are).
std::string url_encode(std::string_view value);

}  // namespace warren::kube

#pragma once
// GET /metrics over HTTP/1.1 (Boost.Beast) on the agent's io_context (DESIGN §8). Every other
// path or method, HEAD included, gets 404. A client cannot stall the agent: everything is
// asynchronous on the I/O thread, each read and write has a deadline, a request is capped in
// size, and connections over the cap are closed at once.
//
// Thread-safety: all members on the io_context's thread. `render` runs there too, once per
// scrape. Lifetime: stop() before destroying it while the io_context still runs; connections
// still open then are closed, and none calls `render` afterwards.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "warren/error.hpp"

namespace warren::metrics {

// "HOST:PORT" with HOST an IPv4 address, "[IPv6]" or "localhost"; PORT 0 picks a free port.
// Code::invalid_config saying what is wrong and what is expected.
Result<boost::asio::ip::tcp::endpoint> parse_listen_address(const std::string& address);
// "" and "off" turn the listener off.
inline bool metrics_disabled(const std::string& address) {
    return address.empty() || address == "off";
}

struct HttpOptions {
    std::chrono::milliseconds timeout{10'000};  // for a whole request, and for each answer's write
    size_t max_connections = 16;
    size_t max_request_bytes = 8 * 1024;
};

class MetricsHttpServer {
  public:
    using Render = std::function<std::string()>;

    // Binds and listens on `address` (parse_listen_address). A port in use is Code::io naming
    // the address and what to do.
    static Result<std::unique_ptr<MetricsHttpServer>> listen(boost::asio::io_context& io,
                                                             const std::string& address,
                                                             Render render, HttpOptions opts = {});
    ~MetricsHttpServer();

    void start();
    void stop();
    boost::asio::ip::tcp::endpoint local_endpoint() const;

    struct Stats {
        size_t open = 0;     // connections open now
        size_t refused = 0;  // closed at once: over max_connections
        size_t scrapes = 0;  // GET /metrics answered
    };
    Stats stats() const;

    struct Shared;  // what connections share with the server (outlives it while they run)

  private:
    MetricsHttpServer(boost::asio::ip::tcp::acceptor acceptor, std::shared_ptr<Shared> shared);
    void accept();

    boost::asio::ip::tcp::acceptor acceptor_;
    std::shared_ptr<Shared> shared_;
};

}  // namespace warren::metrics

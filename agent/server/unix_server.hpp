#pragma once
// The CNI socket: a Boost.Asio Unix stream server speaking the framed protocol
// (include/warren/protocol.hpp).
//
// Each connection is checked once with SO_PEERCRED (root, warrend's own uid, or the configured
// group). A connection must deliver each request within the request timeout; a frame with a bad
// header, an oversized length or an undecodable payload gets an error answer and the connection
// is closed. One request is served at a time per connection; any number of connections run
// concurrently on the one I/O thread.
//
// Thread-safety: everything runs on the io_context's thread.
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <unordered_set>
#include <functional>
#include <memory>
#include <optional>
#include <sys/types.h>

#include "warren/error.hpp"
#include "warren/fd.hpp"
#include "warren/protocol.hpp"

namespace warren::server {

struct ServerOptions {
    uint32_t max_payload = proto::kDefaultMaxPayload;
    int request_timeout_ms = 5000;
    std::optional<gid_t> allowed_gid;
};

class UnixServer {
public:
    using Reply = std::function<void(proto::Response)>;
    using Handler = std::function<void(proto::Request, Reply)>;

    // Takes ownership of a bound, listening socket.
    UnixServer(boost::asio::io_context& io, Fd listener, ServerOptions opts, Handler handler);
    void start();
    void stop();  // closes the listener; open connections finish their current exchange

    struct Stats {
        uint64_t accepted = 0, refused_peers = 0, bad_frames = 0, timeouts = 0, accept_errors = 0;
    };
    const Stats& stats() const { return shared_->stats; }

private:
    class Session;
    struct Shared {
        ServerOptions opts;
        Handler handler;
        Stats stats;
        std::unordered_set<Session*> sessions;
    };
    void accept_next();
    void reap();
    bool peer_allowed(int fd);

    boost::asio::io_context& io_;
    boost::asio::local::stream_protocol::acceptor acceptor_;
    boost::asio::steady_timer reaper_;
    boost::asio::steady_timer backoff_;
    std::shared_ptr<Shared> shared_;
};

// Binds a Unix stream socket at `path` (missing directories made 0755), mode `mode`, group `group`
// when not empty. Refuses when another live process already listens there; removes a stale one.
Result<Fd> listen_unix(const std::string& path, unsigned mode, const std::string& group, int backlog = 1024);
Result<gid_t> group_id(const std::string& group);

}  // namespace warren::server

#pragma once
// A Boost.Asio Unix stream server for the framed protocol (include/warren/protocol.hpp): the
// CNI socket and the admin socket, each with its Protocol (protocol_handler.hpp) saying which
// request kind it takes and how a payload is served.
//
// Each connection is checked once with SO_PEERCRED (root, warrend's own euid, or the configured
// group, primary or supplementary); a peer not allowed is closed, told why first when the
// protocol says so. A connection must deliver each request within the request timeout; a frame
// with a bad header, an oversized length or an undecodable payload gets an error answer and the
// connection is closed. One request is served at a time per connection; up to max_connections run
// concurrently on the one I/O thread.
//
// Memory follows the bytes that arrive, not what a header claims: a connection's buffer starts
// at 4 KiB and at most doubles while it is full. Buffers count against max_buffered_bytes; a
// connection whose growth would pass it, and one over max_connections, gets a try-again error
// answer and is closed. Refusals are logged at most once per 10 s, with a count.
//
// Thread-safety: everything runs on the io_context's thread.
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <sys/types.h>

#include "server/log_throttle.hpp"
#include "server/protocol_handler.hpp"
#include "warren/error.hpp"
#include "warren/fd.hpp"
#include "warren/protocol.hpp"

namespace warren::server {

struct ServerOptions {
    uint32_t max_payload = proto::kDefaultMaxPayload;
    int request_timeout_ms = 5000;
    std::optional<gid_t> allowed_gid;
    std::string allowed_group;  // its name, for the refusal's hint
    size_t max_connections = 1024;
    size_t max_buffered_bytes = 64u << 20;
};

struct ServerStats {
    uint64_t accepted = 0, refused_peers = 0, bad_frames = 0, timeouts = 0, accept_errors = 0;
    uint64_t over_connection_cap = 0, over_buffer_cap = 0;
};
struct ServerShared;

class UnixServer {
public:
    using Stats = ServerStats;

    // Takes ownership of a bound, listening socket.
    UnixServer(boost::asio::io_context& io, Fd listener, ServerOptions opts,
               std::shared_ptr<Protocol> protocol);
    ~UnixServer();
    void start();
    void stop();  // closes the listener; open connections finish their current exchange

    const Stats& stats() const;

private:
    void accept_next();
    void reap();
    bool peer_allowed(boost::asio::local::stream_protocol::socket& sock);
    void refuse_connection(boost::asio::local::stream_protocol::socket sock);

    boost::asio::io_context& io_;
    boost::asio::local::stream_protocol::acceptor acceptor_;
    boost::asio::steady_timer reaper_;
    boost::asio::steady_timer backoff_;
    std::shared_ptr<ServerShared> shared_;
};

// Binds a Unix stream socket at `path` (missing directories made 0755), mode `mode`, group `group`
// when not empty. Refuses when another live process already listens there; removes a stale one.
Result<Fd> listen_unix(const std::string& path, unsigned mode, const std::string& group, int backlog = 1024);
Result<gid_t> group_id(const std::string& group);

}  // namespace warren::server

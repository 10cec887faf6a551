#include "server/unix_server.hpp"

#include <fcntl.h>
#include <grp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_set>
#include <vector>

#include "warren/fs.hpp"
#include "warren/log_text.hpp"

namespace warren::server {

namespace asio = boost::asio;
using stream = asio::local::stream_protocol;

namespace {
constexpr size_t kInitialBuffer = 4096;

// What a throttled refusal logs: `one` for a single event, `many` for a count of them; the
// first argument of both is the socket's name ("CNI", "admin").
struct Words {
    const char* one;   // {name} {detail}
    const char* many;  // {name} {count} {seconds} {last detail}
};
constexpr Words kBadFrameWords{
    "refusing a malformed request on the {} socket: {}",
    "refused {} malformed requests on the {} socket in the last {} s; last: {}"};
constexpr Words kPeerWords{
    "refusing a connection to the {} socket from {}",
    "refused {} connections to the {} socket from peers not allowed in the last {} s; last: {}"};
constexpr Words kConnectionCapWords{
    "refusing a connection to the {} socket: {}",
    "refused {} connections to the {} socket over maxConnections in the last {} s; last: {}"};
constexpr Words kBufferCapWords{
    "refusing a request on the {} socket: {}",
    "refused {} requests on the {} socket over maxBufferedBytes in the last {} s; last: {}"};

void log_burst(std::string_view name, const LogThrottle::Burst& b, const Words& w) {
    if (b.count == 1) {
        spdlog::warn(fmt::runtime(w.one), name, b.last);
        return;
    }
    spdlog::warn(fmt::runtime(w.many), b.count, name,
                 std::chrono::duration_cast<std::chrono::seconds>(b.span).count(), b.last);
}
}  // namespace

struct ServerShared {
    ServerOptions opts;
    std::shared_ptr<Protocol> protocol;
    ServerStats stats;
    std::unordered_set<Connection*> sessions;
    size_t buffered = 0;  // bytes of every session's read buffer
    LogThrottle bad_frames_log, peers_log, connection_cap_log, buffer_cap_log;

    void note(LogThrottle& throttle, const Words& w, std::string detail) {
        if (auto b = throttle.note(LogThrottle::Clock::now(), std::move(detail)))
            log_burst(protocol->name(), *b, w);
    }
    void flush_logs(LogThrottle::Clock::time_point now) {
        const auto name = protocol->name();
        if (auto b = bad_frames_log.flush(now)) log_burst(name, *b, kBadFrameWords);
        if (auto b = peers_log.flush(now)) log_burst(name, *b, kPeerWords);
        if (auto b = connection_cap_log.flush(now)) log_burst(name, *b, kConnectionCapWords);
        if (auto b = buffer_cap_log.flush(now)) log_burst(name, *b, kBufferCapWords);
    }
};

class Connection : public std::enable_shared_from_this<Connection> {
  public:
    Connection(std::shared_ptr<ServerShared> shared, stream::socket sock)
        : server_(std::move(shared)), sock_(std::move(sock)) {
        server_->sessions.insert(this);
    }
    ~Connection() {
        server_->buffered -= buf_.capacity();
        server_->sessions.erase(this);
    }

    void start() {
        boost::system::error_code ec;
        sock_.non_blocking(true, ec);
        if (ec) return close();
        read_header();
    }

    // Called by the server's reaper; closing cancels the pending read, which ends the session.
    void close_if_expired(std::chrono::steady_clock::time_point now) {
        if (deadline_ && now >= *deadline_) {
            ++server_->stats.timeouts;
            spdlog::debug("closing a connection that sent no complete request in time");
            close();
        }
    }

    void answer(std::string payload) { send(std::move(payload), true); }

    void refuse(const Error& e) {
        ++server_->stats.bad_frames;
        server_->note(server_->bad_frames_log, kBadFrameWords, log_text(e.message));
        deadline_.reset();
        send(server_->protocol->encode_error(e), false);
    }

private:
    // Reads whatever is available: a small request usually arrives whole in one read, header
    // and payload together.
    // An idle connection, or a request that does not arrive whole, is closed once the request
    // timeout has passed (checked coarsely by the reaper: no timer syscalls per request).
    void read_header() {
        deadline_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(server_->opts.request_timeout_ms);
        have_ = 0;
        need_ = proto::kHeaderSize;
        if (buf_.capacity() != kInitialBuffer) set_buffer(kInitialBuffer);
        read_more();
    }

    // Asio tries a read at once only while the socket is known to have data; after a read that
    // drained it, the next read just waits for the reactor, without a syscall (async_wait would
    // re-arm with epoll_ctl every time).
    void read_more() {
        // A full buffer doubles, up to the frame: memory follows the bytes that came, never the
        // length a header claims.
        if (have_ == buf_.size() && !grow(std::min(need_, 2 * buf_.size()))) return;
        sock_.async_read_some(asio::buffer(buf_.data() + have_, buf_.size() - have_),
                              [self = shared_from_this()](boost::system::error_code ec, size_t n) {
                                  if (ec) return self->close();
                                  self->on_bytes(n);
                              });
    }

    void on_bytes(size_t n) {
        have_ += n;
        if (need_ == proto::kHeaderSize && have_ >= proto::kHeaderSize) {
            auto len = proto::decode_header(buf_.data(), server_->protocol->request_kind(),
                                            server_->opts.max_payload);
            if (!len) return refuse(len.error());
            need_ = proto::kHeaderSize + *len;
        }
        if (have_ < need_) return read_more();
        if (have_ > need_) return refuse(Error{Code::decode, "client sent a second request before the answer"});
        deadline_.reset();
        const auto kind = proto::header_kind(buf_.data());
        // A large buffer is not held while the request is served: the payload is copied out.
        if (buf_.capacity() != kInitialBuffer) {
            std::string payload(reinterpret_cast<const char*>(buf_.data()) + proto::kHeaderSize,
                                need_ - proto::kHeaderSize);
            have_ = 0;
            set_buffer(kInitialBuffer);
            return server_->protocol->serve(kind, payload, Answer(shared_from_this()));
        }
        server_->protocol->serve(
            kind,
            std::string_view(reinterpret_cast<const char*>(buf_.data()) + proto::kHeaderSize,
                             need_ - proto::kHeaderSize),
            Answer(shared_from_this()));
    }

    // Replaces the buffer by one of exactly `size` bytes holding the first have_ bytes.
    void set_buffer(size_t size) {
        std::vector<uint8_t> next;
        next.reserve(size);
        next.assign(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(std::min(have_, size)));
        next.resize(size);
        server_->buffered = server_->buffered - buf_.capacity() + next.capacity();
        buf_ = std::move(next);
    }

    bool grow(size_t size) {
        const size_t cap = server_->opts.max_buffered_bytes;
        const size_t after = server_->buffered - buf_.capacity() + size;
        if (after > cap) {
            ++server_->stats.over_buffer_cap;
            const std::string why = "warrend already holds " + std::to_string(server_->buffered) +
                                    " bytes of unfinished requests; reading this one (a frame of " +
                                    std::to_string(need_) + " bytes) further would pass maxBufferedBytes (" +
                                    std::to_string(cap) + ")";
            server_->note(server_->buffer_cap_log, kBufferCapWords, why);
            deadline_.reset();
            send(
                server_->protocol->encode_error(Error{Code::try_again, why + "; try again", {}, 0}),
                false);
            return false;
        }
        set_buffer(size);
        return true;
    }

    // Writes the answer at once; only a socket buffer that is full waits for the reactor.
    void send(std::string payload, bool keep_open) {
        out_ = proto::encode_frame(server_->protocol->response_kind(), payload);
        boost::system::error_code ec;
        size_t n = sock_.write_some(asio::buffer(out_), ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again) {
            n = 0;
        } else if (ec) {
            return close();
        }
        if (n == out_.size()) return keep_open ? read_header() : close();
        asio::async_write(sock_, asio::buffer(out_.data() + n, out_.size() - n),
                          [self = shared_from_this(), keep_open](boost::system::error_code ec2, size_t) {
                              if (ec2 || !keep_open) return self->close();
                              self->read_header();
                          });
    }

    void close() {
        boost::system::error_code ignored;
        deadline_.reset();
        sock_.close(ignored);
    }

    std::shared_ptr<ServerShared> server_;  // outlives the server object while handlers are pending
    stream::socket sock_;
    std::optional<std::chrono::steady_clock::time_point> deadline_;
    std::vector<uint8_t> buf_;  // capacity() == size(), counted in server_->buffered
    size_t have_ = 0;
    size_t need_ = proto::kHeaderSize;
    std::string out_;
};

void Answer::send(std::string payload) const {
    c_->answer(std::move(payload));
}
void Answer::refuse(const Error& e) const {
    c_->refuse(e);
}

UnixServer::UnixServer(asio::io_context& io, Fd listener, ServerOptions opts,
                       std::shared_ptr<Protocol> protocol)
    : io_(io), acceptor_(io), reaper_(io), backoff_(io), shared_(std::make_shared<ServerShared>()) {
    shared_->opts = std::move(opts);
    shared_->protocol = std::move(protocol);
    acceptor_.assign(stream(), listener.release());
}

UnixServer::~UnixServer() = default;

const ServerStats& UnixServer::stats() const {
    return shared_->stats;
}

void UnixServer::start() {
    accept_next();
    reap();
}

void UnixServer::stop() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    reaper_.cancel();
    backoff_.cancel();
}

void UnixServer::reap() {
    reaper_.expires_after(std::chrono::milliseconds(std::clamp(shared_->opts.request_timeout_ms / 4, 10, 500)));
    reaper_.async_wait([this](boost::system::error_code ec) {
        if (ec || !acceptor_.is_open()) return;
        auto now = std::chrono::steady_clock::now();
        std::vector<Connection*> all(shared_->sessions.begin(), shared_->sessions.end());
        for (auto* s : all)
            if (shared_->sessions.contains(s)) s->close_if_expired(now);
        shared_->flush_logs(now);
        reap();
    });
}

void UnixServer::accept_next() {
    acceptor_.async_accept([this](boost::system::error_code ec, stream::socket sock) {
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
        if (!ec) {
            ++shared_->stats.accepted;
            if (!peer_allowed(sock)) {
                ++shared_->stats.refused_peers;
            } else if (shared_->sessions.size() >= shared_->opts.max_connections) {
                refuse_connection(std::move(sock));
            } else {
                std::make_shared<Connection>(shared_, std::move(sock))->start();
            }
            accept_next();
            return;
        }
        // Out of descriptors (or another accept error): retrying at once would spin and flood
        // the log; wait a little, warn at most once per backoff.
        ++shared_->stats.accept_errors;
        spdlog::warn("accept on the {} socket failed: {} ({} so far); retrying in 100 ms",
                     shared_->protocol->name(), ec.message(), shared_->stats.accept_errors);
        backoff_.expires_after(std::chrono::milliseconds(100));
        backoff_.async_wait([this](boost::system::error_code e) {
            if (!e && acceptor_.is_open()) accept_next();
        });
    });
}

namespace {
bool pid_in_group(pid_t pid, gid_t gid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("Groups:", 0) != 0) continue;
        std::istringstream ss(line.substr(7));
        gid_t g;
        while (ss >> g)
            if (g == gid) return true;
    }
    return false;
}
}  // namespace

namespace {
// Who may connect, and how to become one of them, for a refusal's answer.
std::string allowed_hint(const ServerOptions& o, std::string_view name) {
    std::string who = "root or uid " + std::to_string(::geteuid()) + " (warrend's user)";
    if (!o.allowed_gid) {
        return "only " + who + " may use the " + std::string(name) +
               " socket; run as root (sudo), or configure a group for it and add the user to it";
    }
    const std::string group =
        o.allowed_group.empty() ? std::to_string(*o.allowed_gid) : o.allowed_group;
    return "only " + who + " or members of group '" + group + "' may use the " + std::string(name) +
           " socket; run as root (sudo), or add the user to group '" + group + "' (usermod -aG " +
           group + " USER, then log in again)";
}

// Writes one frame without waiting (a refusal: the peer may not read it) and closes.
void write_and_close(stream::socket sock, const std::string& frame) {
    boost::system::error_code ignored;
    sock.non_blocking(true, ignored);
    sock.write_some(asio::buffer(frame), ignored);
    sock.close(ignored);
}
}  // namespace

bool UnixServer::peer_allowed(stream::socket& sock) {
    const auto name = shared_->protocol->name();
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(sock.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
        spdlog::warn("refusing a connection to the {} socket: SO_PEERCRED failed: {}", name,
                     std::strerror(errno));
        return false;
    }
    if (cred.uid == 0 || cred.uid == ::geteuid()) return true;
    const auto& gid = shared_->opts.allowed_gid;
    if (gid && (cred.gid == *gid || pid_in_group(cred.pid, *gid)))
        return true;
    shared_->note(shared_->peers_log, kPeerWords,
                  fmt::format("pid {} uid {} gid {}: not root and not in the socket's group",
                              cred.pid, cred.uid, cred.gid));
    if (shared_->protocol->explain_refused_peers()) {
        const Error e{
            Code::io,
            fmt::format("permission denied: uid {} (pid {}) may not use warrend's {} socket",
                        cred.uid, cred.pid, name),
            allowed_hint(shared_->opts, name), 0};
        write_and_close(std::move(sock), proto::encode_frame(shared_->protocol->response_kind(),
                                                             shared_->protocol->encode_error(e)));
    }
    return false;
}

// Answers at once, without reading the request: a client over the cap learns why and may retry,
// instead of waiting in the listen backlog until its own timeout.
void UnixServer::refuse_connection(stream::socket sock) {
    ++shared_->stats.over_connection_cap;
    const std::string why = std::to_string(shared_->sessions.size()) +
                            " connections are open, as many as maxConnections allows";
    shared_->note(shared_->connection_cap_log, kConnectionCapWords, why);
    write_and_close(std::move(sock),
                    proto::encode_frame(
                        shared_->protocol->response_kind(),
                        shared_->protocol->encode_error(Error{
                            Code::try_again, "warrend is busy: " + why + "; try again", {}, 0})));
}

Result<gid_t> group_id(const std::string& group) {
    if (group.empty()) return fail(Code::invalid_config, "empty group name");
    if (group.find_first_not_of("0123456789") == std::string::npos) return static_cast<gid_t>(std::stoul(group));
    std::array<char, 4096> buf{};
    ::group g{}, *res = nullptr;
    if (::getgrnam_r(group.c_str(), &g, buf.data(), buf.size(), &res) != 0 || !res)
        return fail(Code::invalid_config, "unknown group '" + group + "'");
    return res->gr_gid;
}

Result<Fd> listen_unix(const std::string& path, unsigned mode, const std::string& group, int backlog) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) return fail(Code::invalid_config, "socket path too long: " + path);
    std::memcpy(addr.sun_path, path.data(), path.size());

    // 0755 whatever the umask: the plugin, perhaps not root (socketGroup), must reach the socket.
    auto dir = std::filesystem::path(path).parent_path();
    if (!dir.empty()) {
        if (auto s = make_dirs(dir.string(), 0755, "socket directory"); !s)
            return std::unexpected(s.error());
    }

    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) return fail(Code::invalid_config, path + " exists and is not a socket");
        Fd probe{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
        if (probe && ::connect(probe.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0)
            return fail(Code::invalid_config, "another process is already serving " + path + " (is warrend running?)");
        ::unlink(path.c_str());
    }
    Fd fd{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    if (!fd) return fail_errno("socket()");
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        return fail_errno("cannot bind " + path);
    std::optional<gid_t> gid;
    if (!group.empty()) {
        auto g = group_id(group);
        if (!g) return std::unexpected(g.error());
        gid = *g;
        if (::fchownat(AT_FDCWD, path.c_str(), static_cast<uid_t>(-1), *gid,
                       AT_SYMLINK_NOFOLLOW) != 0)
            return fail_errno("cannot chown " + path);
    }
    // Set exactly (bind made it 0777 minus the umask); no connection is possible before listen().
    if (::fchmodat(AT_FDCWD, path.c_str(), mode, AT_SYMLINK_NOFOLLOW) != 0)
        return fail_errno("cannot chmod " + path);
    if (::listen(fd.get(), backlog) != 0) return fail_errno("cannot listen on " + path);
    return fd;
}

}  // namespace warren::server

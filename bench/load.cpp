#include "load.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "stats.hpp"
#include "warren/fd.hpp"
#include "warren/protocol.hpp"

namespace warren::bench {

namespace {

constexpr size_t kDigits = 12;
constexpr std::string_view kDigitsMark = "############";  // replaced by the counter

struct Conn {
    Fd fd;
    std::string frame;    // header + payload, counter digits patched in place
    size_t digits_at = 0; // offset of the counter digits in `frame`
    uint64_t counter = 0;
    size_t sent = 0;      // bytes of `frame` written so far
    bool want_out = false;
    std::vector<char> rbuf = std::vector<char>(8192);
    size_t rlen = 0;
    uint64_t t_sent = 0;
    bool done = false;
};

[[noreturn]] void die(const std::string& what, int err = errno) {
    throw std::runtime_error(what + ": " + std::strerror(err));
}

Fd connect_unix(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) throw std::runtime_error("socket path too long: " + path);
    std::memcpy(addr.sun_path, path.data(), path.size());
    Fd fd{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)};
    if (!fd) die("socket");
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("connect " + path);
    return fd;
}

uint64_t netns_inode(const char* path) {
    struct stat st {};
    return ::stat(path, &st) == 0 ? st.st_ino : 0;
}

void patch_counter(Conn& c) {
    uint64_t v = c.counter++;
    if (c.digits_at == std::string::npos) return;
    char* p = c.frame.data() + c.digits_at + kDigits;
    for (size_t i = 0; i < kDigits; ++i, v /= 10) *--p = static_cast<char>('0' + v % 10);
}

// What the plugin sends (the compact request form) for a Kubernetes pod, with the container
// ID's tail left to patch.
std::string make_frame(const LoadOptions& o, int conn, size_t& digits_at) {
    proto::Request r;
    if (o.ping) {
        r.op = proto::Op::ping;
        digits_at = std::string::npos;
        return proto::encode_frame(proto::Kind::request_binary, proto::encode_binary(r).value());
    }
    char cid[64];
    std::snprintf(cid, sizeof cid, "%sc%03dn", o.id_prefix.c_str(), conn);
    char uid[64];
    std::snprintf(uid, sizeof uid, "6f1c2a8e-0000-4000-8000-000000000%03d", conn % 1000);
    r.op = proto::Op::add;
    r.network = o.network;
    r.container_id = std::string(cid) + std::string(kDigitsMark);
    r.ifname = "eth0";
    r.netns = "/proc/self/ns/net";
    r.netns_inode = netns_inode("/proc/self/ns/net");
    r.pool = o.pool;
    r.pod = {"bench", "load-" + std::to_string(conn), uid};
    std::string frame = proto::encode_frame(proto::Kind::request_binary, proto::encode_binary(r).value());
    digits_at = frame.find(kDigitsMark);
    return frame;
}

}  // namespace

LoadResult run_load(const LoadOptions& o) {
    LoadResult res;
    std::vector<Conn> conns(static_cast<size_t>(o.conns));
    Fd ep{::epoll_create1(EPOLL_CLOEXEC)};
    if (!ep) die("epoll_create1");
    for (int i = 0; i < o.conns; ++i) {
        Conn& c = conns[static_cast<size_t>(i)];
        c.fd = connect_unix(o.socket);
        c.frame = make_frame(o, i, c.digits_at);
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u32 = static_cast<uint32_t>(i);
        if (::epoll_ctl(ep.get(), EPOLL_CTL_ADD, c.fd.get(), &ev) != 0) die("epoll_ctl");
    }
    res.latency_ns.reserve(4u << 20);

    const uint64_t t_begin = now_ns();
    const uint64_t t_measure = t_begin + static_cast<uint64_t>(o.warmup_s * 1e9);
    const uint64_t t_end = t_measure + static_cast<uint64_t>(o.seconds * 1e9);
    const uint64_t t_abort = t_end + 10'000'000'000ull;  // answers owed after the window

    auto set_out = [&](Conn& c, uint32_t idx, bool on) {
        if (c.want_out == on) return;
        epoll_event ev{};
        ev.events = EPOLLIN | (on ? EPOLLOUT : 0u);
        ev.data.u32 = idx;
        if (::epoll_ctl(ep.get(), EPOLL_CTL_MOD, c.fd.get(), &ev) != 0) die("epoll_ctl");
        c.want_out = on;
    };
    auto flush = [&](Conn& c, uint32_t idx) {
        while (c.sent < c.frame.size()) {
            ssize_t n = ::send(c.fd.get(), c.frame.data() + c.sent, c.frame.size() - c.sent, MSG_NOSIGNAL);
            if (n > 0) {
                c.sent += static_cast<size_t>(n);
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                set_out(c, idx, true);
                return;
            }
            die("send to warrend");
        }
        set_out(c, idx, false);
    };
    uint64_t issued = 0;
    auto send_next = [&](Conn& c, uint32_t idx) {
        ++issued;
        patch_counter(c);
        c.sent = 0;
        c.t_sent = now_ns();
        flush(c, idx);
    };

    for (size_t i = 0; i < conns.size(); ++i) send_next(conns[i], static_cast<uint32_t>(i));

    size_t active = conns.size();
    std::vector<epoll_event> events(conns.size());
    while (active > 0) {
        check_stop();
        int n = ::epoll_wait(ep.get(), events.data(), static_cast<int>(events.size()), 100);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        uint64_t now = now_ns();
        if (now > t_abort) throw std::runtime_error("warrend did not answer outstanding requests within 10 s");
        for (int k = 0; k < n; ++k) {
            uint32_t idx = events[k].data.u32;
            Conn& c = conns[idx];
            if (c.done) continue;
            if (events[k].events & EPOLLOUT) flush(c, idx);
            if (!(events[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
            ssize_t r = ::recv(c.fd.get(), c.rbuf.data() + c.rlen, c.rbuf.size() - c.rlen, 0);
            if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            if (r <= 0) throw std::runtime_error("warrend closed a load connection");
            c.rlen += static_cast<size_t>(r);
            if (c.rlen < proto::kHeaderSize) continue;
            auto len = proto::decode_header(reinterpret_cast<const uint8_t*>(c.rbuf.data()), proto::Kind::response,
                                            1u << 20);
            if (!len) throw std::runtime_error("bad response frame: " + len.error().message);
            size_t total = proto::kHeaderSize + *len;
            if (total > c.rbuf.size()) c.rbuf.resize(total);
            if (c.rlen < total) continue;
            // One request is outstanding per connection, so a complete frame ends the buffer.
            now = now_ns();
            std::string_view payload(c.rbuf.data() + proto::kHeaderSize, *len);
            bool ok = payload.find(R"("ok":true)") != std::string_view::npos;
            if (now >= t_measure && now <= t_end) {
                if (ok) {
                    ++res.ok;
                    res.latency_ns.push_back(static_cast<uint32_t>(std::min<uint64_t>(now - c.t_sent, UINT32_MAX)));
                } else {
                    ++res.failed;
                }
            }
            if (ok) ++res.total_ok;
            if (!ok && res.first_error.empty()) res.first_error = std::string(payload);
            c.rlen = 0;
            if (now < t_end && (o.max_requests == 0 || issued < o.max_requests)) {
                send_next(c, idx);
            } else {
                c.done = true;
                --active;
            }
        }
    }
    res.seconds = static_cast<double>(t_end - t_measure) / 1e9;
    return res;
}

}  // namespace warren::bench

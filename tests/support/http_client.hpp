#pragma once
// A raw blocking HTTP/1.1 client for tests: sends exactly the bytes given, reads until the
// server closes (or a 10 s receive timeout, reported as such).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "warren/fd.hpp"

namespace warren::testing {

inline Fd connect_tcp(uint16_t port) {
    Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    timeval tv{10, 0};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return Fd{};
    return fd;
}

inline bool send_all(const Fd& fd, const std::string& bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
        ssize_t n = ::send(fd.get(), bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
        if (n <= 0) return false;
        off += size_t(n);
    }
    return true;
}

struct ReadResult {
    std::string bytes;
    bool closed = false;     // the peer closed (EOF or reset)
    bool timed_out = false;  // 10 s without a byte
};

inline ReadResult read_to_close(const Fd& fd) {
    ReadResult r;
    char buf[65536];
    for (;;) {
        ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
        if (n > 0) {
            r.bytes.append(buf, size_t(n));
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            r.timed_out = true;
        else
            r.closed = true;
        return r;
    }
}

struct HttpAnswer {
    int status = 0;
    std::string headers, body;
    bool ok = false;  // a complete answer arrived and the server closed
};

inline HttpAnswer parse_answer(const ReadResult& r) {
    HttpAnswer a;
    const auto end = r.bytes.find("\r\n\r\n");
    if (end == std::string::npos || r.bytes.size() < 12) return a;
    a.status = std::stoi(r.bytes.substr(9, 3));
    a.headers = r.bytes.substr(0, end);
    a.body = r.bytes.substr(end + 4);
    a.ok = r.closed;
    return a;
}

// One request with Connection: close.
inline HttpAnswer http_request(uint16_t port, const std::string& method,
                               const std::string& target) {
    Fd fd = connect_tcp(port);
    if (!fd) return {};
    if (!send_all(fd,
                  method + " " + target + " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"))
        return {};
    return parse_answer(read_to_close(fd));
}

}  // namespace warren::testing

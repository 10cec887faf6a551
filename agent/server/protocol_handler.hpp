#pragma once
// What a UnixServer speaks (the CNI protocol, the admin protocol): which frames a request comes
// in, how a payload is decoded and served, how an error answer is encoded. The server keeps the
// framing, peer credentials, limits and timeouts; a Protocol keeps the payloads.
//
// Thread-safety: everything runs on the server's io_context thread.
#include <memory>
#include <string>
#include <string_view>

#include "warren/error.hpp"
#include "warren/protocol.hpp"

namespace warren::server {

class Connection;

// The one answer to one request (copyable; the connection stays alive while one is held).
// Exactly one of send() and refuse() must be called, once, on the I/O thread.
class Answer {
  public:
    explicit Answer(std::shared_ptr<Connection> c) : c_(std::move(c)) {}
    // Answers with `payload` (framed with the protocol's response kind); the connection then
    // waits for its next request.
    void send(std::string payload) const;
    // A request that cannot be served (undecodable): answers with the protocol's error
    // encoding, logs it (throttled) and closes the connection.
    void refuse(const Error& e) const;

  private:
    std::shared_ptr<Connection> c_;
};

class Protocol {
  public:
    virtual ~Protocol() = default;
    // The socket's name in log lines: "CNI", "admin".
    virtual std::string_view name() const = 0;
    // The kind a request frame must carry (proto::decode_header's `expected`).
    virtual proto::Kind request_kind() const = 0;
    virtual proto::Kind response_kind() const = 0;
    // Serves one request frame's payload; answers through `answer`, now or later.
    virtual void serve(proto::Kind kind, std::string_view payload, Answer answer) = 0;
    // The payload of an error answer (bad frame, busy, refused peer).
    virtual std::string encode_error(const Error& e) const = 0;
    // Whether a peer that is not allowed is told why before the connection closes (else it is
    // just closed).
    virtual bool explain_refused_peers() const { return false; }
};

}  // namespace warren::server

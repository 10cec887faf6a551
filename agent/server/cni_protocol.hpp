#pragma once
// The CNI socket's protocol (include/warren/protocol.hpp): JSON or compact requests, framed
// responses; an undecodable request is refused and its connection closed.
#include <functional>

#include "server/protocol_handler.hpp"

namespace warren::server {

class CniProtocol final : public Protocol {
  public:
    using Reply = std::function<void(proto::Response)>;
    using Handler = std::function<void(proto::Request, Reply)>;

    explicit CniProtocol(Handler handler) : handler_(std::move(handler)) {}
    std::string_view name() const override { return "CNI"; }
    proto::Kind request_kind() const override { return proto::Kind::request; }
    proto::Kind response_kind() const override { return proto::Kind::response; }
    void serve(proto::Kind kind, std::string_view payload, Answer answer) override;
    std::string encode_error(const Error& e) const override;

  private:
    Handler handler_;
};

}  // namespace warren::server

#pragma once
// The admin socket's protocol (include/warren/admin_protocol.hpp): Kind 4 requests and Kind 5
// responses, both JSON objects. A payload that is not a JSON object is refused (an error answer,
// then the connection closes); anything else goes to the handler, which answers exactly once.
// A peer that is not allowed is told so ({"ok":false,"code":5,"error":"permission denied: ..."}).
#include <functional>
#include <nlohmann/json.hpp>

#include "server/protocol_handler.hpp"

namespace warren::server {

class AdminFrames final : public Protocol {
  public:
    using Reply = std::function<void(std::string)>;  // the response object, as JSON text
    using Handler = std::function<void(nlohmann::json request, Reply)>;

    explicit AdminFrames(Handler handler) : handler_(std::move(handler)) {}
    std::string_view name() const override { return "admin"; }
    proto::Kind request_kind() const override { return proto::Kind::admin_request; }
    proto::Kind response_kind() const override { return proto::Kind::admin_response; }
    void serve(proto::Kind kind, std::string_view payload, Answer answer) override;
    std::string encode_error(const Error& e) const override;
    bool explain_refused_peers() const override { return true; }

  private:
    Handler handler_;
};

// {"ok": false, "code": <int>, "error": message, "details": details}
nlohmann::json admin_error(const Error& e);

}  // namespace warren::server

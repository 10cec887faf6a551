#include "server/admin_frames.hpp"

#include "warren/json_depth.hpp"

namespace warren::server {

nlohmann::json admin_error(const Error& e) {
    return {{"ok", false},
            {"code", static_cast<int>(e.code)},
            {"error", e.describe()},
            {"details", e.details}};
}

void AdminFrames::serve(proto::Kind, std::string_view payload, Answer answer) {
    if (auto d = check_json_depth(payload); !d) return answer.refuse(d.error());
    auto req = nlohmann::json::parse(payload, nullptr, false);
    if (req.is_discarded() || !req.is_object())
        return answer.refuse(Error{Code::decode, "an admin request must be a JSON object",
                                   "send {\"command\": \"status\", \"args\": {}}"});
    handler_(std::move(req),
             [answer = std::move(answer)](std::string r) { answer.send(std::move(r)); });
}

std::string AdminFrames::encode_error(const Error& e) const {
    return admin_error(e).dump();
}

}  // namespace warren::server

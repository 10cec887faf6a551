#include "unix_exchange.hpp"
#include "warren/admin_protocol.hpp"
#include "warren/protocol.hpp"

namespace warren::admin {

namespace {

// The answer's shape as admin_protocol.hpp states it; anything else is Code::decode.
Status check_response(const nlohmann::json& r, const std::string& socket_path) {
    auto bad = [&](const std::string& why) {
        return fail(Code::decode, "malformed answer from warrend at " + socket_path + ": " + why);
    };
    if (!r.is_object()) return bad("not a JSON object");
    auto ok = r.find("ok");
    if (ok == r.end() || !ok->is_boolean()) return bad("no boolean \"ok\"");
    if (ok->get<bool>()) {
        auto result = r.find("result");
        if (result == r.end() || !result->is_object()) return bad("ok without a \"result\" object");
        return {};
    }
    auto error = r.find("error");
    if (error == r.end() || !error->is_string()) return bad("a failure without an \"error\" text");
    auto code = r.find("code");
    if (code == r.end() || !code->is_number_integer()) return bad("a failure without a \"code\"");
    return {};
}

}  // namespace

Result<nlohmann::json> decode_answer(std::string_view payload, const std::string& socket_path) {
    auto r = nlohmann::json::parse(payload, nullptr, false);
    if (r.is_discarded())
        return fail(Code::decode, "malformed answer from warrend at " + socket_path + ": not JSON");
    if (auto s = check_response(r, socket_path); !s) return std::unexpected(s.error());
    return r;
}

Result<nlohmann::json> call(const std::string& socket_path, const nlohmann::json& request,
                            int timeout_ms) {
    auto text = call_text(socket_path, request, timeout_ms);
    if (!text) return std::unexpected(text.error());
    return decode_answer(*text, socket_path);
}

Result<std::string> call_text(const std::string& socket_path, const nlohmann::json& request,
                              int timeout_ms) {
    const int64_t deadline = proto::detail::now_ms() + timeout_ms;
    std::string payload = request.dump();
    if (payload.size() > kAdminMaxRequest)
        return fail(Code::invalid_config, "admin request of " + std::to_string(payload.size()) +
                                              " bytes exceeds the agent's cap of " +
                                              std::to_string(kAdminMaxRequest));
    auto fd = proto::detail::connect_unix(socket_path, timeout_ms);
    if (!fd) return std::unexpected(fd.error());
    std::string frame = proto::encode_frame(proto::Kind::admin_request, payload);
    auto sent = proto::detail::send_all(fd->get(), frame, socket_path, deadline);
    // warrend refuses a caller it does not allow before reading the request: it answers and
    // closes, and the send fails. The answer may still be waiting to be read.
    if (!sent && sent.error().sys_errno != EPIPE && sent.error().sys_errno != ECONNRESET)
        return std::unexpected(sent.error());
    auto answer = proto::detail::read_frame(fd->get(), proto::Kind::admin_response,
                                            kAdminMaxResponse, socket_path, deadline);
    if (!answer) return std::unexpected(sent ? answer.error() : sent.error());
    return answer;
}

}  // namespace warren::admin

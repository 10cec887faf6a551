#include "server/cni_protocol.hpp"

namespace warren::server {

void CniProtocol::serve(proto::Kind kind, std::string_view payload, Answer answer) {
    auto req = proto::decode_request(kind, payload);
    if (!req) return answer.refuse(req.error());
    handler_(std::move(*req),
             [answer = std::move(answer)](proto::Response r) { answer.send(proto::encode(r)); });
}

std::string CniProtocol::encode_error(const Error& e) const {
    return proto::encode(proto::Response::failure(e));
}

}  // namespace warren::server

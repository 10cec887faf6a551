// A whole request frame as the agent reads it from its socket: the header, then the payload
// decoded by the frame's kind.
#include <cstring>

#include "fuzz.hpp"
#include "serve.hpp"

using namespace warren;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < proto::kHeaderSize) return 0;
    auto len = proto::decode_header(data, proto::Kind::request, proto::kDefaultMaxPayload);
    if (!len) {
        FUZZ_CHECK(!len.error().message.empty());
        return 0;
    }
    FUZZ_CHECK(*len <= proto::kDefaultMaxPayload);
    const proto::Kind kind = proto::header_kind(data);
    FUZZ_CHECK(kind == proto::Kind::request || kind == proto::Kind::request_binary);
    auto header = proto::encode_header(kind, *len);
    FUZZ_CHECK(std::memcmp(header.data(), data, proto::kHeaderSize) == 0);

    const std::string_view rest = fuzz::view(data + proto::kHeaderSize, size - proto::kHeaderSize);
    if (rest.size() < *len) return 0;  // the agent waits for the rest
    auto req = proto::decode_request(kind, rest.substr(0, *len));
    if (!req) {
        FUZZ_CHECK(!req.error().message.empty());
        return 0;
    }
    fuzz::serve(std::move(*req));
    return 0;
}

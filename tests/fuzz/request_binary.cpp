// The compact request the plugin sends (frame kind 3): decode, re-encode in both forms, and
// serve what decodes as the agent would.
#include "fuzz.hpp"
#include "serve.hpp"

using namespace warren;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size > proto::kDefaultMaxPayload) return 0;
    auto req = proto::decode_binary_request(fuzz::view(data, size));
    if (!req) {
        FUZZ_CHECK(!req.error().message.empty());
        return 0;
    }
    FUZZ_CHECK(proto::check_request(*req).has_value());
    const bool finite = !req->ranges || fuzz::finite(*req->ranges);

    auto compact = proto::decode_binary_request(proto::encode_binary(*req));
    FUZZ_CHECK(compact.has_value());
    if (finite) FUZZ_CHECK(fuzz::same(*compact, *req));

    // The JSON form replaces what is not UTF-8, so only well-formed strings come back as sent.
    auto json = proto::decode_request(proto::encode(*req));
    FUZZ_CHECK(json.has_value());
    if (finite && fuzz::all_utf8(*req)) {
        proto::Request expected = *req;
        if (expected.op != proto::Op::gc) expected.valid_attachments.clear();
        FUZZ_CHECK(fuzz::same(*json, expected));
    }
    fuzz::serve(std::move(*req));
    return 0;
}

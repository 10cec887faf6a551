// The JSON request (frame kind 1 and every delete-queue file): decode, re-encode in both forms,
// and serve what decodes as the agent would.
#include "fuzz.hpp"
#include "serve.hpp"

using namespace warren;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // The agent refuses larger frames by default.
    if (size > proto::kDefaultMaxPayload) return 0;
    auto req = proto::decode_request(fuzz::view(data, size));
    if (!req) {
        FUZZ_CHECK(!req.error().message.empty());
        return 0;
    }
    FUZZ_CHECK(proto::check_request(*req).has_value());
    FUZZ_CHECK(!req->ranges || !req->ranges->is_null());
    const bool finite = !req->ranges || fuzz::finite(*req->ranges);

    // Only GC carries valid attachments on the wire.
    proto::Request expected = *req;
    if (expected.op != proto::Op::gc) expected.valid_attachments.clear();
    auto again = proto::decode_request(proto::encode(*req));
    FUZZ_CHECK(again.has_value());
    if (finite) FUZZ_CHECK(fuzz::same(*again, expected));

    if (fuzz::fits_compact(*req)) {
        auto compact = proto::decode_binary_request(proto::encode_binary(*req));
        FUZZ_CHECK(compact.has_value());
        if (finite) FUZZ_CHECK(fuzz::same(*compact, *req));
    }
    fuzz::serve(std::move(*req));
    return 0;
}

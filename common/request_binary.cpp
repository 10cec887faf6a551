// The compact request encoding (frame kind request_binary) the plugin uses on its hop to the
// agent: decoding the JSON form was a quarter of the agent's CPU per ADD, this is a few length
// checks and copies. Layout in include/warren/protocol.hpp.
#include <cstring>

#include "warren/protocol.hpp"

namespace warren::proto {

namespace {

constexpr uint8_t kFormat = 1;
constexpr uint8_t kHasPool = 1, kHasRanges = 2;

uint8_t op_code(Op op) {
    switch (op) {
        case Op::add: return 1;
        case Op::del: return 2;
        case Op::check: return 3;
        case Op::gc: return 4;
        case Op::status: return 5;
        case Op::ping: return 6;
    }
    return 0;
}

std::optional<Op> op_of(uint8_t code) {
    for (Op op : {Op::add, Op::del, Op::check, Op::gc, Op::status, Op::ping})
        if (op_code(op) == code) return op;
    return std::nullopt;
}

void put_le(std::string& out, uint64_t v, int n) {
    for (int i = 0; i < n; ++i, v >>= 8) out.push_back(static_cast<char>(v & 0xff));
}

void put_str(std::string& out, std::string_view s) {
    put_le(out, s.size(), 2);
    out.append(s);
}

class Reader {
public:
    explicit Reader(std::string_view in) : in_(in) {}
    bool ok() const { return ok_; }
    bool at_end() const { return pos_ == in_.size(); }

    uint64_t le(int n) {
        if (!need(static_cast<size_t>(n))) return 0;
        uint64_t v = 0;
        for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(in_[pos_ + static_cast<size_t>(i)]);
        pos_ += static_cast<size_t>(n);
        return v;
    }
    std::string str(int len_bytes = 2) {
        const auto n = static_cast<size_t>(le(len_bytes));
        if (!need(n)) return {};
        std::string s(in_.substr(pos_, n));
        pos_ += n;
        return s;
    }

private:
    bool need(size_t n) {
        if (ok_ && in_.size() - pos_ >= n) return true;
        ok_ = false;
        return false;
    }
    std::string_view in_;
    size_t pos_ = 0;
    bool ok_ = true;
};

}  // namespace

std::string encode_binary(const Request& r) {
    std::string out;
    out.reserve(64 + r.network.size() + r.container_id.size() + r.netns.size() + r.pod.uid.size() +
                r.pod.name.size() + r.pod.namespace_.size());
    std::string ranges = r.ranges ? r.ranges->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) : "";
    out.push_back(static_cast<char>(kFormat));
    out.push_back(static_cast<char>(op_code(r.op)));
    out.push_back(static_cast<char>((r.pool ? kHasPool : 0) | (r.ranges ? kHasRanges : 0)));
    out.push_back(0);
    put_le(out, r.netns_inode, 8);
    for (const std::string* s : {&r.network, &r.container_id, &r.ifname, &r.netns, &r.pod.namespace_, &r.pod.name,
                                 &r.pod.uid})
        put_str(out, *s);
    if (r.pool) put_str(out, *r.pool);
    if (r.ranges) {
        put_le(out, ranges.size(), 4);
        out.append(ranges);
    }
    put_le(out, r.ips.size(), 2);
    for (auto& ip : r.ips) put_str(out, ip);
    put_le(out, r.valid_attachments.size(), 2);
    for (auto& a : r.valid_attachments) {
        put_str(out, a.container_id);
        put_str(out, a.ifname);
    }
    return out;
}

Result<Request> decode_binary_request(std::string_view payload) {
    Reader in(payload);
    const auto format = static_cast<uint8_t>(in.le(1));
    if (in.ok() && format != kFormat)
        return fail(Code::incompatible_version, "binary request format " + std::to_string(format) + " is not supported");
    const auto code = static_cast<uint8_t>(in.le(1));
    const auto flags = static_cast<uint8_t>(in.le(1));
    in.le(1);
    Request r;
    r.netns_inode = in.le(8);
    for (std::string* s : {&r.network, &r.container_id, &r.ifname, &r.netns, &r.pod.namespace_, &r.pod.name,
                           &r.pod.uid})
        *s = in.str();
    if (flags & kHasPool) r.pool = in.str();
    std::string ranges;
    if (flags & kHasRanges) ranges = in.str(4);
    for (auto n = in.le(2); in.ok() && n > 0; --n) r.ips.push_back(in.str());
    for (auto n = in.le(2); in.ok() && n > 0; --n) {
        Attachment a;
        a.container_id = in.str();
        a.ifname = in.str();
        r.valid_attachments.push_back(std::move(a));
    }
    if (!in.ok()) return fail(Code::decode, "binary request is truncated");
    if (!in.at_end()) return fail(Code::decode, "binary request has trailing bytes");
    auto op = op_of(code);
    if (!op) return fail(Code::decode, "binary request has an unknown op " + std::to_string(code));
    r.op = *op;
    if (flags & kHasRanges) {
        auto j = nlohmann::json::parse(ranges, nullptr, false);
        if (j.is_discarded()) return fail(Code::decode, "binary request carries 'ranges' that are not JSON");
        if (!j.is_null()) r.ranges = std::move(j);
    }
    if (auto s = check_request(r); !s) return std::unexpected(s.error());
    return r;
}

}  // namespace warren::proto

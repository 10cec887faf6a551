// The compact request encoding (frame kind request_binary) the plugin uses on its hop to the
// agent: decoding the JSON form was a quarter of the agent's CPU per ADD, this is a few length
// checks and copies. Layout in include/warren/protocol.hpp.
#include <cstring>

#include "warren/bytes.hpp"
#include "warren/json_depth.hpp"
#include "warren/protocol.hpp"

namespace warren::proto {

namespace {

constexpr uint8_t kFormat = 1;
constexpr uint8_t kHasPool = 1, kHasRanges = 2, kHasNetnsCookie = 4, kHasRequestedPool = 8;

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

void put_str(std::string& out, std::string_view s) {
    append_le(out, s.size(), 2);
    out.append(s);
}

// Reads fields in order; the first that does not fit the rest of the payload stops it (ok()
// false) and is named by problem().
class Reader {
public:
    explicit Reader(std::string_view in) : in_(in) {}
    bool ok() const { return problem_.empty(); }
    const std::string& problem() const { return problem_; }
    size_t left() const { return in_.size() - pos_; }

    uint64_t le(int n, const char* field) {
        if (!need(static_cast<size_t>(n), field)) return 0;
        const uint64_t v = load_le(in_.data() + pos_, static_cast<size_t>(n));
        pos_ += static_cast<size_t>(n);
        return v;
    }
    std::string str(const char* field, int len_bytes = 2) {
        const auto n = static_cast<size_t>(le(len_bytes, field));
        if (!need(n, field)) return {};
        std::string s(in_.substr(pos_, n));
        pos_ += n;
        return s;
    }
    // A list's count, refused when even empty entries of `min_entry` bytes could not fit.
    uint64_t count(const char* field, size_t min_entry) {
        const uint64_t n = le(2, field);
        if (ok() && n * min_entry > left())
            stop(std::string("it declares ") + std::to_string(n) + " " + field + " in the " +
                 std::to_string(left()) + " bytes left");
        return ok() ? n : 0;
    }
    void stop(std::string why) {
        if (ok()) problem_ = std::move(why);
    }

private:
    bool need(size_t n, const char* field) {
        if (!ok()) return false;
        if (left() >= n) return true;
        stop(std::string("field '") + field + "' needs " + std::to_string(n) + " bytes, " + std::to_string(left()) +
             " are left");
        return false;
    }
    std::string_view in_;
    size_t pos_ = 0;
    std::string problem_;
};

Status too_long(const char* field, size_t size, const char* what) {
    return fail(Code::invalid_config, std::string("request field '") + field + "' has " + std::to_string(size) + " " +
                                          what + "; the compact form carries at most " +
                                          std::to_string(kMaxCompactField));
}

}  // namespace

Status check_compact_limits(const Request& r) {
    const std::pair<const char*, const std::string*> strings[] = {
        {"network", &r.network},       {"containerId", &r.container_id}, {"ifname", &r.ifname},
        {"netns", &r.netns},           {"pod namespace", &r.pod.namespace_}, {"pod name", &r.pod.name},
        {"pod uid", &r.pod.uid}};
    for (auto& [field, s] : strings)
        if (s->size() > kMaxCompactField) return too_long(field, s->size(), "bytes");
    if (r.pool && r.pool->size() > kMaxCompactField) return too_long("pool", r.pool->size(), "bytes");
    if (r.requested_pool && r.requested_pool->size() > kMaxCompactField)
        return too_long("requestedPool", r.requested_pool->size(), "bytes");
    if (r.requested_pool && r.requested_pool_from.size() > kMaxCompactField)
        return too_long("requestedPoolFrom", r.requested_pool_from.size(), "bytes");
    if (r.ips.size() > kMaxCompactField) return too_long("ips", r.ips.size(), "entries");
    for (auto& ip : r.ips)
        if (ip.size() > kMaxCompactField) return too_long("ips", ip.size(), "bytes in one entry");
    if (r.valid_attachments.size() > kMaxCompactField)
        return too_long("validAttachments", r.valid_attachments.size(), "entries");
    for (auto& a : r.valid_attachments) {
        if (a.container_id.size() > kMaxCompactField)
            return too_long("validAttachments containerId", a.container_id.size(), "bytes");
        if (a.ifname.size() > kMaxCompactField) return too_long("validAttachments ifname", a.ifname.size(), "bytes");
    }
    return {};
}

Result<std::string> encode_binary(const Request& r) {
    if (auto s = check_compact_limits(r); !s) return std::unexpected(s.error());
    std::string out;
    out.reserve(64 + r.network.size() + r.container_id.size() + r.netns.size() + r.pod.uid.size() +
                r.pod.name.size() + r.pod.namespace_.size());
    std::string ranges = r.ranges ? r.ranges->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) : "";
    if (ranges.size() > UINT32_MAX)
        return fail(Code::invalid_config, "request field 'ranges' is larger than 4 GiB");
    out.push_back(static_cast<char>(kFormat));
    out.push_back(static_cast<char>(op_code(r.op)));
    out.push_back(static_cast<char>((r.pool ? kHasPool : 0) | (r.ranges ? kHasRanges : 0) |
                                    (r.netns_cookie ? kHasNetnsCookie : 0) |
                                    (r.requested_pool ? kHasRequestedPool : 0)));
    out.push_back(0);
    append_le(out, r.netns_inode, 8);
    if (r.netns_cookie) append_le(out, r.netns_cookie, 8);
    for (const std::string* s : {&r.network, &r.container_id, &r.ifname, &r.netns, &r.pod.namespace_, &r.pod.name,
                                 &r.pod.uid})
        put_str(out, *s);
    if (r.pool) put_str(out, *r.pool);
    if (r.ranges) {
        append_le(out, ranges.size(), 4);
        out.append(ranges);
    }
    append_le(out, r.ips.size(), 2);
    for (auto& ip : r.ips) put_str(out, ip);
    append_le(out, r.valid_attachments.size(), 2);
    for (auto& a : r.valid_attachments) {
        put_str(out, a.container_id);
        put_str(out, a.ifname);
    }
    if (r.requested_pool) {
        put_str(out, *r.requested_pool);
        put_str(out, r.requested_pool_from);
    }
    return out;
}

Result<Request> decode_binary_request(std::string_view payload) {
    Reader in(payload);
    const auto format = static_cast<uint8_t>(in.le(1, "format"));
    if (in.ok() && format != kFormat)
        return fail(Code::incompatible_version, "binary request format " + std::to_string(format) + " is not supported");
    const auto code = static_cast<uint8_t>(in.le(1, "op"));
    const auto flags = static_cast<uint8_t>(in.le(1, "flags"));
    if (flags & ~(kHasPool | kHasRanges | kHasNetnsCookie | kHasRequestedPool))
        in.stop("it has unknown flags " + std::to_string(flags));
    if (in.le(1, "reserved") != 0) in.stop("its reserved byte is not 0");
    Request r;
    r.netns_inode = in.le(8, "netnsInode");
    if (flags & kHasNetnsCookie) r.netns_cookie = in.le(8, "netnsCookie");
    const std::pair<const char*, std::string*> strings[] = {
        {"network", &r.network},       {"containerId", &r.container_id}, {"ifname", &r.ifname},
        {"netns", &r.netns},           {"pod namespace", &r.pod.namespace_}, {"pod name", &r.pod.name},
        {"pod uid", &r.pod.uid}};
    for (auto& [field, s] : strings) *s = in.str(field);
    if (flags & kHasPool) r.pool = in.str("pool");
    std::string ranges;
    if (flags & kHasRanges) ranges = in.str("ranges", 4);
    for (auto n = in.count("ips", 2); in.ok() && n > 0; --n) r.ips.push_back(in.str("ips"));
    for (auto n = in.count("validAttachments", 4); in.ok() && n > 0; --n) {
        Attachment a;
        a.container_id = in.str("validAttachments containerId");
        a.ifname = in.str("validAttachments ifname");
        r.valid_attachments.push_back(std::move(a));
    }
    if (flags & kHasRequestedPool) {
        r.requested_pool = in.str("requestedPool");
        r.requested_pool_from = in.str("requestedPoolFrom");
    }
    if (in.ok() && in.left() != 0) in.stop(std::to_string(in.left()) + " byte(s) follow the last field");
    if (!in.ok()) return fail(Code::decode, "binary request is inconsistent: " + in.problem());
    auto op = op_of(code);
    if (!op) return fail(Code::decode, "binary request has an unknown op " + std::to_string(code));
    r.op = *op;
    if (flags & kHasRanges) {
        if (auto s = check_json_depth(ranges); !s)
            return fail(Code::decode, "binary request field 'ranges': " + s.error().message);
        auto j = nlohmann::json::parse(ranges, nullptr, false);
        if (j.is_discarded()) return fail(Code::decode, "binary request carries 'ranges' that are not JSON");
        if (!j.is_null()) r.ranges = std::move(j);
    }
    if (auto s = check_request(r); !s) return std::unexpected(s.error());
    return r;
}

}  // namespace warren::proto

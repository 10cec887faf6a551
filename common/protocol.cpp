#include "warren/protocol.hpp"

#include <algorithm>
#include <cstring>

#include "warren/json_depth.hpp"

namespace warren::proto {

using nlohmann::json;

namespace {
void put_be(uint8_t* p, uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i, v >>= 8) p[i] = static_cast<uint8_t>(v & 0xff);
}
uint64_t get_be(const uint8_t* p, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
    return v;
}

std::string get_string(const json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return {};
    return it->get<std::string>();
}
}  // namespace

std::array<uint8_t, kHeaderSize> encode_header(Kind kind, uint32_t payload_len) {
    std::array<uint8_t, kHeaderSize> h{};
    put_be(h.data(), kMagic, 4);
    put_be(h.data() + 4, kVersion, 2);
    put_be(h.data() + 6, static_cast<uint16_t>(kind), 2);
    put_be(h.data() + 8, payload_len, 4);
    return h;
}

Result<uint32_t> decode_header(const uint8_t* h, Kind expected, uint32_t max_payload) {
    if (get_be(h, 4) != kMagic) return fail(Code::decode, "bad frame: wrong magic (not a warren client?)");
    auto version = get_be(h + 4, 2);
    if (version != kVersion)
        return fail(Code::incompatible_version,
                    "unsupported protocol version " + std::to_string(version) + " (speak " +
                        std::to_string(kVersion) + ")");
    const auto kind = static_cast<Kind>(get_be(h + 6, 2));
    if (kind != expected && !(expected == Kind::request && kind == Kind::request_binary))
        return fail(Code::decode, "bad frame: unexpected message kind");
    auto len = static_cast<uint32_t>(get_be(h + 8, 4));
    if (len > max_payload)
        return fail(Code::decode, "frame of " + std::to_string(len) + " bytes exceeds the cap of " +
                                      std::to_string(max_payload));
    return len;
}

Kind header_kind(const uint8_t* h) { return static_cast<Kind>(get_be(h + 6, 2)); }

Result<Request> decode_request(Kind kind, std::string_view payload) {
    return kind == Kind::request_binary ? decode_binary_request(payload) : decode_request(payload);
}

Status check_request(const Request& r) {
    if (r.op != Op::ping && r.op != Op::status && r.network.empty())
        return fail(Code::decode, "request has no network name");
    if ((r.op == Op::add || r.op == Op::del || r.op == Op::check) && r.container_id.empty())
        return fail(Code::decode, "request has no container ID");
    return {};
}

std::string encode_frame(Kind kind, std::string_view payload) {
    auto h = encode_header(kind, static_cast<uint32_t>(payload.size()));
    std::string out(reinterpret_cast<const char*>(h.data()), h.size());
    out.append(payload);
    return out;
}

std::string_view op_name(Op op) {
    switch (op) {
        case Op::add: return "add";
        case Op::del: return "del";
        case Op::check: return "check";
        case Op::gc: return "gc";
        case Op::status: return "status";
        case Op::ping: return "ping";
    }
    return "?";
}

std::optional<Op> op_from_name(std::string_view n) {
    for (Op op : {Op::add, Op::del, Op::check, Op::gc, Op::status, Op::ping})
        if (op_name(op) == n) return op;
    return std::nullopt;
}

std::string encode(const Request& r) {
    json j{{"op", op_name(r.op)}, {"network", r.network}};
    if (!r.container_id.empty()) j["containerId"] = r.container_id;
    if (!r.ifname.empty()) j["ifname"] = r.ifname;
    if (!r.netns.empty()) j["netns"] = r.netns;
    if (r.netns_inode) j["netnsInode"] = r.netns_inode;
    if (r.netns_cookie) j["netnsCookie"] = r.netns_cookie;
    if (!r.pod.namespace_.empty() || !r.pod.name.empty() || !r.pod.uid.empty())
        j["pod"] = {{"namespace", r.pod.namespace_}, {"name", r.pod.name}, {"uid", r.pod.uid}};
    if (r.pool) j["pool"] = *r.pool;
    if (r.requested_pool) {
        j["requestedPool"] = *r.requested_pool;
        j["requestedPoolFrom"] = r.requested_pool_from;
    }
    if (r.ranges) j["ranges"] = *r.ranges;
    if (!r.ips.empty()) j["ips"] = r.ips;
    if (r.op == Op::gc) {
        auto& va = j["validAttachments"] = json::array();
        for (auto& a : r.valid_attachments)
            va.push_back({{"containerId", a.container_id}, {"ifname", a.ifname}});
    }
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

namespace {
// IP addresses and most messages need no escaping; anything else goes through the library.
void append_string(std::string& out, std::string_view s) {
    const bool plain = std::all_of(s.begin(), s.end(), [](char c) {
        return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f && c != '"' && c != '\\';
    });
    if (plain) {
        out += '"';
        out += s;
        out += '"';
        return;
    }
    out += json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace);
}
}  // namespace

// Built by hand: the agent encodes one per request on its hot path.
std::string encode(const Response& r) {
    std::string out;
    out.reserve(64 + 64 * r.ips.size() + r.msg.size() + r.details.size());
    out += r.ok ? R"({"ok":true)" : R"({"ok":false)";
    if (!r.ok) {
        out += R"(,"code":)";
        out += std::to_string(static_cast<int>(r.code));
        out += R"(,"msg":)";
        append_string(out, r.msg);
        if (!r.details.empty()) {
            out += R"(,"details":)";
            append_string(out, r.details);
        }
    }
    if (!r.ips.empty()) {
        out += R"(,"ips":[)";
        for (size_t i = 0; i < r.ips.size(); ++i) {
            out += i ? R"(,{"address":)" : R"({"address":)";
            append_string(out, r.ips[i].address);
            if (!r.ips[i].gateway.empty()) {
                out += R"(,"gateway":)";
                append_string(out, r.ips[i].gateway);
            }
            out += '}';
        }
        out += ']';
    }
    out += '}';
    return out;
}

// The JSON form: the delete queue's files and hand-written clients (socat). The plugin sends the
// compact form, so this is off the per-pod path.
Result<Request> decode_request(std::string_view payload) {
    if (auto s = check_json_depth(payload); !s) return std::unexpected(s.error());
    json j = json::parse(payload, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return fail(Code::decode, "request is not a JSON object");
    Request r;
    auto op = op_from_name(get_string(j, "op"));
    if (!op) return fail(Code::decode, "request has an unknown op '" + get_string(j, "op") + "'");
    r.op = *op;
    r.network = get_string(j, "network");
    r.container_id = get_string(j, "containerId");
    r.ifname = get_string(j, "ifname");
    r.netns = get_string(j, "netns");
    if (auto it = j.find("netnsInode"); it != j.end() && it->is_number_unsigned()) r.netns_inode = it->get<uint64_t>();
    if (auto it = j.find("netnsCookie"); it != j.end() && it->is_number_unsigned())
        r.netns_cookie = it->get<uint64_t>();
    if (auto it = j.find("pod"); it != j.end() && it->is_object()) {
        r.pod.namespace_ = get_string(*it, "namespace");
        r.pod.name = get_string(*it, "name");
        r.pod.uid = get_string(*it, "uid");
    }
    if (auto it = j.find("pool"); it != j.end()) {
        if (!it->is_string()) return fail(Code::decode, "request field 'pool' must be a string");
        r.pool = it->get<std::string>();
    }
    if (auto it = j.find("requestedPool"); it != j.end()) {
        if (!it->is_string())
            return fail(Code::decode, "request field 'requestedPool' must be a string");
        r.requested_pool = it->get<std::string>();
        if (auto from = j.find("requestedPoolFrom"); from != j.end()) {
            if (!from->is_string())
                return fail(Code::decode, "request field 'requestedPoolFrom' must be a string");
            r.requested_pool_from = from->get<std::string>();
        }
    }
    if (auto it = j.find("ranges"); it != j.end() && !it->is_null()) r.ranges = *it;
    if (auto it = j.find("ips"); it != j.end()) {
        if (!it->is_array()) return fail(Code::decode, "request field 'ips' must be an array");
        for (auto& ip : *it) {
            if (!ip.is_string()) return fail(Code::decode, "request field 'ips' must hold strings");
            r.ips.push_back(ip.get<std::string>());
        }
    }
    if (auto it = j.find("validAttachments"); it != j.end()) {
        if (!it->is_array()) return fail(Code::decode, "'validAttachments' must be an array");
        for (auto& a : *it) {
            if (!a.is_object()) return fail(Code::decode, "'validAttachments' must hold objects");
            r.valid_attachments.push_back({get_string(a, "containerId"), get_string(a, "ifname")});
        }
    }
    if (auto s = check_request(r); !s) return std::unexpected(s.error());
    return r;
}

Result<Response> decode_response(std::string_view payload) {
    if (auto s = check_json_depth(payload); !s)
        return fail(Code::decode, "warrend's answer is not usable: " + s.error().message);
    json j = json::parse(payload, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return fail(Code::decode, "response is not a JSON object");
    Response r;
    auto ok = j.find("ok");
    if (ok == j.end() || !ok->is_boolean()) return fail(Code::decode, "response has no 'ok'");
    r.ok = ok->get<bool>();
    if (!r.ok) {
        auto code = j.find("code");
        r.code = (code != j.end() && code->is_number_integer()) ? static_cast<Code>(code->get<int>())
                                                                 : Code::internal;
        r.msg = get_string(j, "msg");
        r.details = get_string(j, "details");
    }
    if (auto it = j.find("ips"); it != j.end() && it->is_array()) {
        for (auto& e : *it) {
            if (!e.is_object()) return fail(Code::decode, "response 'ips' must hold objects");
            r.ips.push_back({get_string(e, "address"), get_string(e, "gateway")});
        }
    }
    return r;
}

}  // namespace warren::proto

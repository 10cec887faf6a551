// Request decoding straight from nlohmann's SAX events into proto::Request: the agent decodes
// one request per CNI call on its hot path, and building a DOM first (a map node and a string
// per key) cost a quarter of the agent's CPU per ADD. Only the opaque "ranges" value is built
// as a json tree, because the agent keeps it as given.
#include <nlohmann/json.hpp>

#include "warren/protocol.hpp"

namespace warren::proto {

namespace {

using nlohmann::json;

// Builds one json value from SAX events (the "ranges" subtree).
class TreeBuilder {
public:
    bool active() const { return !stack_.empty() || started_; }
    void begin() { started_ = true; }
    json take() { started_ = false; return std::move(root_); }
    // True once the value that began is complete.
    bool done() const { return started_ && stack_.empty() && complete_; }

    void value(json v) {
        if (stack_.empty()) {
            root_ = std::move(v);
            complete_ = true;
            return;
        }
        json& top = *stack_.back();
        if (top.is_array()) {
            top.push_back(std::move(v));
        } else {
            top[pending_key_] = std::move(v);
        }
    }
    void open(json container) {
        json* slot;
        if (stack_.empty()) {
            root_ = std::move(container);
            slot = &root_;
        } else if (stack_.back()->is_array()) {
            stack_.back()->push_back(std::move(container));
            slot = &stack_.back()->back();
        } else {
            slot = &((*stack_.back())[pending_key_] = std::move(container));
        }
        stack_.push_back(slot);
        complete_ = false;
    }
    void close() {
        stack_.pop_back();
        if (stack_.empty()) complete_ = true;
    }
    void key(std::string& k) { pending_key_ = std::move(k); }

private:
    json root_;
    std::vector<json*> stack_;
    std::string pending_key_;
    bool started_ = false;
    bool complete_ = false;
};

enum class Field { none, op, network, container_id, ifname, netns, netns_inode, pool, pod, ranges, ips, valid, skip };

Field field_of(std::string_view k) {
    if (k == "op") return Field::op;
    if (k == "network") return Field::network;
    if (k == "containerId") return Field::container_id;
    if (k == "ifname") return Field::ifname;
    if (k == "netns") return Field::netns;
    if (k == "netnsInode") return Field::netns_inode;
    if (k == "pool") return Field::pool;
    if (k == "pod") return Field::pod;
    if (k == "ranges") return Field::ranges;
    if (k == "ips") return Field::ips;
    if (k == "validAttachments") return Field::valid;
    return Field::skip;
}

class RequestSax final : public nlohmann::json_sax<json> {
public:
    Request req;
    std::string op_name;
    std::string error;

    bool null() override { return scalar(json(nullptr)); }
    bool boolean(bool v) override { return scalar(json(v)); }
    bool number_integer(number_integer_t v) override { return scalar(json(v)); }
    bool number_unsigned(number_unsigned_t v) override {
        if (depth_ == 1 && field_ == Field::netns_inode) {
            req.netns_inode = v;
            return true;
        }
        return scalar(json(v));
    }
    bool number_float(number_float_t v, const string_t&) override { return scalar(json(v)); }
    bool binary(binary_t&) override { return fail("request holds binary data"); }

    bool string(string_t& v) override {
        if (tree_.active()) return tree_value(json(std::move(v)));
        if (depth_ == 0) return fail("request is not a JSON object");
        if (depth_ == 1) {
            switch (field_) {
                case Field::op: op_name = std::move(v); return true;
                case Field::network: req.network = std::move(v); return true;
                case Field::container_id: req.container_id = std::move(v); return true;
                case Field::ifname: req.ifname = std::move(v); return true;
                case Field::netns: req.netns = std::move(v); return true;
                case Field::pool: req.pool = std::move(v); return true;
                case Field::ranges: req.ranges = json(std::move(v)); return true;
                case Field::ips: return fail("request field 'ips' must be an array");
                case Field::valid: return fail("'validAttachments' must be an array");
                default: return true;
            }
        }
        if (depth_ == 2 && field_ == Field::pod && in_object_at(2)) {
            if (key_ == "namespace") req.pod.namespace_ = std::move(v);
            else if (key_ == "name") req.pod.name = std::move(v);
            else if (key_ == "uid") req.pod.uid = std::move(v);
            return true;
        }
        if (depth_ == 2 && field_ == Field::ips) {
            req.ips.push_back(std::move(v));
            return true;
        }
        if (depth_ == 3 && field_ == Field::valid && in_object_at(3)) {
            if (key_ == "containerId") req.valid_attachments.back().container_id = std::move(v);
            else if (key_ == "ifname") req.valid_attachments.back().ifname = std::move(v);
            return true;
        }
        return scalar_check();
    }

    bool start_object(std::size_t) override {
        if (tree_.active()) {
            tree_.open(json::object());
            return true;
        }
        if (depth_ == 0) return push(true);
        if (depth_ == 1 && field_ == Field::ranges) {
            tree_.begin();
            tree_.open(json::object());
            return true;
        }
        if (depth_ == 1 && (field_ == Field::ips)) return fail("request field 'ips' must be an array");
        if (depth_ == 1 && (field_ == Field::valid)) return fail("'validAttachments' must be an array");
        if (depth_ == 1 && field_ == Field::pool) return fail("request field 'pool' must be a string");
        if (depth_ == 2 && field_ == Field::ips) return fail("request field 'ips' must hold strings");
        if (depth_ == 2 && field_ == Field::valid) req.valid_attachments.emplace_back();
        return push(true);
    }
    bool end_object() override {
        if (tree_.active()) return tree_close();
        return pop();
    }
    bool start_array(std::size_t) override {
        if (tree_.active()) {
            tree_.open(json::array());
            return true;
        }
        if (depth_ == 0) return fail("request is not a JSON object");
        if (depth_ == 1 && field_ == Field::ranges) {
            tree_.begin();
            tree_.open(json::array());
            return true;
        }
        if (depth_ == 1 && field_ == Field::pool) return fail("request field 'pool' must be a string");
        if (depth_ == 2 && field_ == Field::ips) return fail("request field 'ips' must hold strings");
        if (depth_ == 2 && field_ == Field::valid) return fail("'validAttachments' must hold objects");
        return push(false);
    }
    bool end_array() override {
        if (tree_.active()) return tree_close();
        return pop();
    }
    bool key(string_t& k) override {
        if (tree_.active()) {
            tree_.key(k);
            return true;
        }
        if (depth_ == 1) field_ = field_of(k);
        else key_ = std::move(k);
        return true;
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
        if (error.empty()) error = "request is not a JSON object";
        return false;
    }

private:
    bool fail(std::string msg) {
        error = std::move(msg);
        return false;
    }
    bool push(bool object) {
        objects_.push_back(object);
        ++depth_;
        return true;
    }
    bool pop() {
        objects_.pop_back();
        --depth_;
        return true;
    }
    bool in_object_at(size_t depth) const { return depth <= objects_.size() && objects_[depth - 1]; }

    bool scalar(json v) {
        if (tree_.active()) return tree_value(std::move(v));
        if (depth_ == 0) return fail("request is not a JSON object");
        if (depth_ == 1) {
            if (field_ == Field::pool) return fail("request field 'pool' must be a string");
            if (field_ == Field::ips) return fail("request field 'ips' must be an array");
            if (field_ == Field::valid) return fail("'validAttachments' must be an array");
            if (field_ == Field::ranges && !v.is_null()) req.ranges = std::move(v);  // refused later, by the pool
            return true;
        }
        return scalar_check();
    }
    bool scalar_check() {
        if (depth_ == 2 && field_ == Field::ips) return fail("request field 'ips' must hold strings");
        if (depth_ == 2 && field_ == Field::valid) return fail("'validAttachments' must hold objects");
        return true;
    }
    bool tree_value(json v) {
        tree_.value(std::move(v));
        if (tree_.done()) req.ranges = tree_.take();
        return true;
    }
    bool tree_close() {
        tree_.close();
        if (tree_.done()) req.ranges = tree_.take();
        return true;
    }

    size_t depth_ = 0;
    std::vector<bool> objects_;
    Field field_ = Field::none;
    std::string key_;
    TreeBuilder tree_;
};

}  // namespace

Result<Request> decode_request(std::string_view payload) {
    RequestSax sax;
    const bool ok = json::sax_parse(payload.begin(), payload.end(), &sax, json::input_format_t::json, true, false);
    if (!ok) return fail(Code::decode, sax.error.empty() ? std::string("request is not a JSON object") : sax.error);
    Request& r = sax.req;
    auto op = op_from_name(sax.op_name);
    if (!op) return fail(Code::decode, "request has an unknown op '" + sax.op_name + "'");
    r.op = *op;
    if (auto s = check_request(r); !s) return std::unexpected(s.error());
    return std::move(sax.req);
}

}  // namespace warren::proto

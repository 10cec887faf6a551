#include "admin/args.hpp"

namespace warren::admin {

std::unexpected<Error> Args::bad(const char* name, const std::string& what) const {
    return fail(Code::invalid_config, command_ + ": arg '" + name + "' " + what);
}

const nlohmann::json* Args::find(const char* name) const {
    if (!args_.is_object()) return nullptr;
    auto it = args_.find(name);
    return it == args_.end() || it->is_null() ? nullptr : &*it;
}

Result<bool> Args::boolean(const char* name, bool def) const {
    auto* v = find(name);
    if (!v) return def;
    if (!v->is_boolean()) return bad(name, "must be true or false, not " + v->dump());
    return v->get<bool>();
}

Result<std::optional<std::string>> Args::string(const char* name) const {
    auto* v = find(name);
    if (!v) return std::optional<std::string>{};
    if (!v->is_string()) return bad(name, "must be a string, not " + v->dump());
    return std::optional<std::string>{v->get<std::string>()};
}

Result<std::string> Args::required_string(const char* name) const {
    auto s = string(name);
    if (!s) return std::unexpected(s.error());
    if (!*s || (*s)->empty()) return bad(name, "is required");
    return std::move(**s);
}

Result<std::optional<uint64_t>> Args::count(const char* name, uint64_t min, uint64_t max) const {
    auto* v = find(name);
    if (!v) return std::optional<uint64_t>{};
    const bool negative =
        v->is_number_integer() && !v->is_number_unsigned() && v->get<int64_t>() < 0;
    if (!v->is_number_integer() || negative || v->get<uint64_t>() < min || v->get<uint64_t>() > max)
        return bad(name, "must be an integer from " + std::to_string(min) + " to " +
                             std::to_string(max) + ", not " + v->dump());
    return std::optional<uint64_t>{v->get<uint64_t>()};
}

Result<IpAddress> Args::address(const char* name) const {
    auto s = required_string(name);
    if (!s) return std::unexpected(s.error());
    auto a = IpAddress::parse(*s);
    if (!a)
        return bad(name,
                   "is not an IP address: '" + *s + "' (give it without a prefix, e.g. 10.1.0.5)");
    return *a;
}

}  // namespace warren::admin

#include "core/range.hpp"

namespace warren::core {

using nlohmann::json;

namespace {

Result<IpAddress> parse_addr_field(const json& j, const char* key) {
    auto it = j.find(key);
    if (!it->is_string()) return fail(Code::invalid_config, std::string("range field '") + key + "' must be a string");
    auto a = IpAddress::parse(it->get<std::string>());
    if (!a) return fail(Code::invalid_config, std::string("range field '") + key + "': " + a.error().message);
    return a;
}

u128 span(const IpAddress& a, const IpAddress& b) { return b.value() - a.value() + 1; }

}  // namespace

bool Range::reserved(const IpAddress& a) const {
    if (a == subnet.network() || a == gateway) return true;
    return subnet.family() == Family::v4 && a == subnet.last();
}

u128 Range::usable() const {
    u128 n = span(start, end);
    IpAddress reserved_addrs[3] = {subnet.network(), gateway, subnet.last()};
    int count = subnet.family() == Family::v4 ? 3 : 2;
    for (int i = 0; i < count; ++i) {
        bool dup = false;
        for (int k = 0; k < i; ++k) dup |= reserved_addrs[k] == reserved_addrs[i];
        if (!dup && reserved_addrs[i] >= start && reserved_addrs[i] <= end) --n;
    }
    return n;
}

Result<Range> parse_range(const json& j) {
    if (!j.is_object()) return fail(Code::invalid_config, "a range must be an object with a 'subnet'");
    auto sit = j.find("subnet");
    if (sit == j.end() || !sit->is_string())
        return fail(Code::invalid_config, "range is missing 'subnet'");
    auto subnet = IpPrefix::parse(sit->get<std::string>());
    if (!subnet) return std::unexpected(subnet.error());
    int bits = subnet->network().bits();
    if (subnet->length() > bits - 2)
        return fail(Code::invalid_config, "network " + subnet->str() + " is too small to allocate from");

    Range r;
    r.subnet = *subnet;
    r.start = subnet->network().next();
    r.end = subnet->family() == Family::v4 ? subnet->last().prev() : subnet->last();
    r.gateway = subnet->network().next();
    auto in_subnet = [&](const char* key, IpAddress& out) -> Status {
        if (!j.contains(key) || j[key].is_null() || (j[key].is_string() && j[key].get<std::string>().empty()))
            return {};
        auto a = parse_addr_field(j, key);
        if (!a) return std::unexpected(a.error());
        if (!subnet->contains(*a))
            return fail(Code::invalid_config, std::string(key) + " " + a->str() + " is not in subnet " + subnet->str());
        out = *a;
        return {};
    };
    if (auto s = in_subnet("rangeStart", r.start); !s) return std::unexpected(s.error());
    if (auto s = in_subnet("rangeEnd", r.end); !s) return std::unexpected(s.error());
    if (auto s = in_subnet("gateway", r.gateway); !s) return std::unexpected(s.error());
    if (r.start > r.end)
        return fail(Code::invalid_config, "rangeStart " + r.start.str() + " is after rangeEnd " + r.end.str());
    return r;
}

bool ranges_overlap(const Range& a, const Range& b) {
    if (a.subnet.family() != b.subnet.family()) return false;
    return a.start <= b.end && b.start <= a.end;
}

Result<std::vector<RangeSet>> parse_range_sets(const json& j) {
    if (!j.is_array() || j.empty())
        return fail(Code::invalid_config, "'ranges' must be a non-empty array of range sets");
    std::vector<RangeSet> sets;
    for (const auto& js : j) {
        if (!js.is_array() || js.empty())
            return fail(Code::invalid_config, "each range set in 'ranges' must be a non-empty array");
        RangeSet set;
        for (const auto& jr : js) {
            auto r = parse_range(jr);
            if (!r) return std::unexpected(r.error());
            if (!set.empty() && set.front().subnet.family() != r->subnet.family())
                return fail(Code::invalid_config, "range set mixes IPv4 and IPv6: " + describe(set) + " and " + r->subnet.str());
            set.push_back(*r);
        }
        sets.push_back(std::move(set));
    }
    for (size_t i = 0; i < sets.size(); ++i)
        for (size_t k = 0; k < sets[i].size(); ++k)
            for (size_t m = i; m < sets.size(); ++m)
                for (size_t n = (m == i ? k + 1 : 0); n < sets[m].size(); ++n)
                    if (ranges_overlap(sets[i][k], sets[m][n]))
                        return fail(Code::invalid_config, "overlapping ranges: " + describe({sets[i][k]}) +
                                                              " and " + describe({sets[m][n]}));
    return sets;
}

Result<std::optional<std::vector<RangeSet>>> parse_optional_range_sets(
    const std::optional<json>& j) {
    if (!j) return std::nullopt;
    auto sets = parse_range_sets(*j);
    if (!sets) return std::unexpected(sets.error());
    return std::optional{std::move(*sets)};
}

Result<std::vector<RangeSet>> range_sets_from_cidrs(const std::vector<std::string>& cidrs) {
    json j = json::array();
    for (auto& c : cidrs) j.push_back(json::array({json{{"subnet", c}}}));
    return parse_range_sets(j);
}

json to_json(const Range& r) {
    return json{{"subnet", r.subnet.str()},
                {"rangeStart", r.start.str()},
                {"rangeEnd", r.end.str()},
                {"gateway", r.gateway.str()}};
}

json to_json(const std::vector<RangeSet>& sets) {
    json j = json::array();
    for (auto& s : sets) {
        json js = json::array();
        for (auto& r : s) js.push_back(to_json(r));
        j.push_back(std::move(js));
    }
    return j;
}

std::string describe(const RangeSet& set) {
    std::string out;
    for (auto& r : set) {
        if (!out.empty()) out += ",";
        auto def_start = r.subnet.network().next();
        auto def_end = r.subnet.family() == Family::v4 ? r.subnet.last().prev() : r.subnet.last();
        if (r.start == def_start && r.end == def_end)
            out += r.subnet.str();
        else
            out += r.start.str() + "-" + r.end.str() + " in " + r.subnet.str();
    }
    return out;
}

u128 usable(const RangeSet& set) {
    u128 n = 0;
    for (auto& r : set) n += r.usable();
    return n;
}

}  // namespace warren::core

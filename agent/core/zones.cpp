#include "core/zones.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <fnmatch.h>

#include <algorithm>
#include <set>

namespace warren::core {
namespace {

auto invalid(std::string message) {
    return fail(Code::invalid_config, std::move(message));
}

bool is_glob(std::string_view pattern) {
    return pattern.find_first_of("*?[") != std::string_view::npos;
}

bool is_dns_label(std::string_view s) {
    if (s.empty() || s.size() > 63) return false;
    auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
    if (!alnum(s.front()) || !alnum(s.back())) return false;
    return std::ranges::all_of(s, [&](char c) { return alnum(c) || c == '-'; });
}

const char* op_name(LabelRequirement::Op op) {
    switch (op) {
        case LabelRequirement::Op::in:
            return "In";
        case LabelRequirement::Op::not_in:
            return "NotIn";
        case LabelRequirement::Op::exists:
            return "Exists";
        case LabelRequirement::Op::does_not_exist:
            return "DoesNotExist";
    }
    return "?";
}

std::string describe(const LabelSelector& s) {
    std::vector<std::string> parts;
    for (const auto& [k, v] : s.match_labels) parts.push_back(fmt::format("{}={}", k, v));
    for (const auto& r : s.match_expressions) {
        if (r.values.empty())
            parts.push_back(fmt::format("{} {}", r.key, op_name(r.op)));
        else
            parts.push_back(
                fmt::format("{} {} ({})", r.key, op_name(r.op), fmt::join(r.values, ", ")));
    }
    if (parts.empty()) return "namespaceSelector: {} (every namespace)";
    return fmt::format("namespaceSelector: {}", fmt::join(parts, ", "));
}

// "zone 'pci' (namespaces: payments, card-*)".
std::string describe(const Zone& z) {
    std::vector<std::string> parts;
    if (!z.namespaces.empty())
        parts.push_back(fmt::format("namespaces: {}", fmt::join(z.namespaces, ", ")));
    if (z.selector) parts.push_back(describe(*z.selector));
    return fmt::format("zone '{}' ({})", z.name, fmt::join(parts, "; "));
}

Result<std::vector<std::string>> string_list(const nlohmann::json& j, const std::string& where,
                                             bool allow_empty_list) {
    if (!j.is_array())
        return invalid(fmt::format("{}: must be a list of strings, got {}", where, j.dump()));
    if (j.empty() && !allow_empty_list)
        return invalid(fmt::format("{}: must not be empty; list at least one entry", where));
    std::vector<std::string> out;
    for (const auto& e : j) {
        if (!e.is_string() || e.get_ref<const std::string&>().empty())
            return invalid(
                fmt::format("{}: every entry must be a non-empty string, got {}", where, e.dump()));
        out.push_back(e.get<std::string>());
    }
    return out;
}

Result<LabelRequirement> parse_requirement(const nlohmann::json& j, const std::string& where) {
    if (!j.is_object())
        return invalid(fmt::format("{}: must be an object with key, operator, values", where));
    LabelRequirement r;
    bool have_key = false, have_op = false;
    std::optional<std::vector<std::string>> values;
    for (const auto& [k, v] : j.items()) {
        if (k == "key") {
            if (!v.is_string() || v.get_ref<const std::string&>().empty())
                return invalid(fmt::format("{}.key: must be a non-empty string", where));
            r.key = v.get<std::string>();
            have_key = true;
        } else if (k == "operator") {
            const std::string op = v.is_string() ? v.get<std::string>() : v.dump();
            if (op == "In")
                r.op = LabelRequirement::Op::in;
            else if (op == "NotIn")
                r.op = LabelRequirement::Op::not_in;
            else if (op == "Exists")
                r.op = LabelRequirement::Op::exists;
            else if (op == "DoesNotExist")
                r.op = LabelRequirement::Op::does_not_exist;
            else
                return invalid(fmt::format(
                    "{}.operator: '{}' is not one of In, NotIn, Exists, DoesNotExist", where, op));
            have_op = true;
        } else if (k == "values") {
            auto list = string_list(v, where + ".values", true);
            if (!list) return std::unexpected(list.error());
            values = std::move(*list);
        } else {
            return invalid(
                fmt::format("{}: unknown key '{}' (expected key, operator, values)", where, k));
        }
    }
    if (!have_key) return invalid(fmt::format("{}.key: missing", where));
    if (!have_op)
        return invalid(
            fmt::format("{}.operator: missing (In, NotIn, Exists or DoesNotExist)", where));
    const bool set_op = r.op == LabelRequirement::Op::in || r.op == LabelRequirement::Op::not_in;
    if (set_op && (!values || values->empty()))
        return invalid(fmt::format("{}.values: {} needs at least one value", where, op_name(r.op)));
    if (!set_op && values && !values->empty())
        return invalid(
            fmt::format("{}.values: {} takes no values; remove them", where, op_name(r.op)));
    if (values) r.values = std::move(*values);
    return r;
}

Result<Zone> parse_zone(const std::string& name, const nlohmann::json& j,
                        const std::string& where) {
    if (!is_dns_label(name))
        return invalid(fmt::format(
            "{}: zone name '{}' must be a DNS label (a-z, 0-9, '-', at most 63)", where, name));
    if (!j.is_object())
        return invalid(fmt::format(
            "{}: must be an object with pool and namespaces or namespaceSelector", where));
    Zone z;
    z.name = name;
    for (const auto& [k, v] : j.items()) {
        const std::string key = where + "." + k;
        if (k == "pool") {
            if (!v.is_string() || v.get_ref<const std::string&>().empty())
                return invalid(
                    fmt::format("{}: must be a non-empty pool name, got {}", key, v.dump()));
            z.pool = v.get<std::string>();
        } else if (k == "namespaces") {
            auto list = string_list(v, key, false);
            if (!list) return std::unexpected(list.error());
            z.namespaces = std::move(*list);
        } else if (k == "namespaceSelector") {
            auto sel = parse_label_selector(v, key);
            if (!sel) return std::unexpected(sel.error());
            z.selector = std::move(*sel);
        } else if (k == "antiSpoofing") {
            auto mode = parse_anti_spoofing(v.is_string() ? v.get<std::string>() : v.dump());
            if (!mode) return invalid(fmt::format("{}: {}", key, mode.error().message));
            z.anti_spoofing = *mode;
        } else {
            return invalid(
                fmt::format("{}: unknown key '{}' (expected pool, namespaces, namespaceSelector, "
                            "antiSpoofing)",
                            where, k));
        }
    }
    if (z.pool.empty())
        return invalid(fmt::format("{}.pool: missing; name the pool this zone owns", where));
    if (z.namespaces.empty() && !z.selector)
        return invalid(fmt::format(
            "{}: needs namespaces or namespaceSelector to say which namespaces it serves", where));
    return z;
}

auto ambiguous(std::string_view ns, const char* tier, const Zone& a, const Zone& b) {
    return fail(
        Code::zone_refused,
        fmt::format(
            "zone rule: namespace '{}' matches {} of two zones, {} and {}; a namespace must "
            "be in one zone: change the zones so only one matches",
            ns, tier, describe(a), describe(b)));
}

}  // namespace

Result<AntiSpoofing> parse_anti_spoofing(std::string_view text) {
    if (text == "off") return AntiSpoofing::off;
    if (text == "log") return AntiSpoofing::log;
    if (text == "drop") return AntiSpoofing::drop;
    return invalid(fmt::format("'{}' is not one of off, log, drop", text));
}

std::string_view to_string(AntiSpoofing mode) {
    switch (mode) {
        case AntiSpoofing::off:
            return "off";
        case AntiSpoofing::log:
            return "log";
        case AntiSpoofing::drop:
            return "drop";
    }
    return "?";
}

bool LabelSelector::matches(const std::map<std::string, std::string>& labels) const {
    for (const auto& [k, v] : match_labels) {
        auto it = labels.find(k);
        if (it == labels.end() || it->second != v) return false;
    }
    for (const auto& r : match_expressions) {
        auto it = labels.find(r.key);
        const bool has = it != labels.end();
        const bool in = has && std::ranges::find(r.values, it->second) != r.values.end();
        switch (r.op) {
            case LabelRequirement::Op::in:
                if (!in) return false;
                break;
            case LabelRequirement::Op::not_in:
                if (in) return false;
                break;
            case LabelRequirement::Op::exists:
                if (!has) return false;
                break;
            case LabelRequirement::Op::does_not_exist:
                if (has) return false;
                break;
        }
    }
    return true;
}

Result<LabelSelector> parse_label_selector(const nlohmann::json& j, const std::string& where) {
    if (!j.is_object())
        return invalid(
            fmt::format("{}: must be an object with matchLabels and/or matchExpressions", where));
    LabelSelector s;
    for (const auto& [k, v] : j.items()) {
        if (k == "matchLabels") {
            if (!v.is_object())
                return invalid(fmt::format(
                    "{}.matchLabels: must be an object of label: value strings", where));
            for (const auto& [lk, lv] : v.items()) {
                if (!lv.is_string())
                    return invalid(fmt::format("{}.matchLabels.{}: must be a string, got {}", where,
                                               lk, lv.dump()));
                s.match_labels[lk] = lv.get<std::string>();
            }
        } else if (k == "matchExpressions") {
            if (!v.is_array())
                return invalid(fmt::format(
                    "{}.matchExpressions: must be a list of {{key, operator, values}}", where));
            for (size_t i = 0; i < v.size(); ++i) {
                auto r = parse_requirement(v[i], fmt::format("{}.matchExpressions[{}]", where, i));
                if (!r) return std::unexpected(r.error());
                s.match_expressions.push_back(std::move(*r));
            }
        } else {
            return invalid(fmt::format(
                "{}: unknown key '{}' (expected matchLabels, matchExpressions)", where, k));
        }
    }
    return s;
}

bool ZoneRules::uses_selectors() const {
    return std::ranges::any_of(zones, [](const Zone& z) { return z.selector.has_value(); });
}

const Zone* ZoneRules::zone_owning(std::string_view pool) const {
    for (const auto& z : zones)
        if (z.pool == pool) return &z;
    return nullptr;
}

const Zone* ZoneRules::find(std::string_view name) const {
    for (const auto& z : zones)
        if (z.name == name) return &z;
    return nullptr;
}

Result<ZoneRules> parse_zones(const nlohmann::json& zones, AntiSpoofing default_mode,
                              const std::vector<std::string>& known_pools) {
    if (!zones.is_object())
        return invalid(fmt::format(
            "zones: must be an object of zone name: {{pool, namespaces}}, got {}", zones.dump()));
    ZoneRules rules;
    rules.default_anti_spoofing = default_mode;
    for (const auto& [name, v] : zones.items()) {
        if (name == "strict") {
            if (!v.is_boolean())
                return invalid(
                    fmt::format("zones.strict: must be true or false, got {}", v.dump()));
            rules.strict = v.get<bool>();
            continue;
        }
        auto z = parse_zone(name, v, "zones." + name);
        if (!z) return std::unexpected(z.error());
        rules.zones.push_back(std::move(*z));
    }
    std::ranges::sort(rules.zones, {}, &Zone::name);
    std::map<std::string, std::string> owner;
    for (const auto& z : rules.zones) {
        auto [it, fresh] = owner.emplace(z.pool, z.name);
        if (!fresh)
            return invalid(fmt::format(
                "zones.{}.pool: pool '{}' is already owned by zone '{}'; a pool belongs to "
                "one zone",
                z.name, z.pool, it->second));
        if (!known_pools.empty() && std::ranges::find(known_pools, z.pool) == known_pools.end())
            return invalid(
                fmt::format("zones.{}.pool: no pool '{}' is defined (pools: {}); define it under "
                            "\"pools\" or fix the name",
                            z.name, z.pool, fmt::join(known_pools, ", ")));
    }
    return rules;
}

Result<const Zone*> zone_of(const ZoneRules& rules, std::string_view ns,
                            const LabelLookup& labels) {
    if (ns.empty()) return nullptr;
    const Zone* found = nullptr;
    for (const auto& z : rules.zones) {
        if (std::ranges::none_of(z.namespaces,
                                 [&](const std::string& n) { return !is_glob(n) && n == ns; }))
            continue;
        if (found) return ambiguous(ns, "by name", *found, z);
        found = &z;
    }
    if (found) return found;
    const std::string name(ns);
    for (const auto& z : rules.zones) {
        if (std::ranges::none_of(z.namespaces, [&](const std::string& n) {
                return is_glob(n) && fnmatch(n.c_str(), name.c_str(), 0) == 0;
            }))
            continue;
        if (found) return ambiguous(ns, "by glob", *found, z);
        found = &z;
    }
    if (found || !rules.uses_selectors()) return found;

    const NamespaceLabels known = labels ? labels(ns) : NamespaceLabels{};
    if (!known.synced || !known.exists) {
        std::vector<std::string> names;
        for (const auto& z : rules.zones)
            if (z.selector) names.push_back(z.name);
        return fail(
            Code::try_again,
            fmt::format(
                "zone rule: namespace '{}' may be in a zone chosen by namespaceSelector (zones: "
                "{}) but its labels are not known yet ({}); retry in a moment",
                ns, fmt::join(names, ", "),
                known.synced ? "the namespace is not in the API's list yet"
                             : "the Kubernetes API is not synced"));
    }
    for (const auto& z : rules.zones) {
        if (!z.selector || !z.selector->matches(known.labels)) continue;
        if (found) return ambiguous(ns, "by namespaceSelector", *found, z);
        found = &z;
    }
    return found;
}

Result<ZoneChoice> choose(const ZoneRules& rules, std::string_view ns,
                          const std::optional<PoolAsk>& ask, const LabelLookup& labels) {
    if (!rules.enabled()) return ZoneChoice{std::nullopt, "", rules.default_anti_spoofing};
    auto zone = zone_of(rules, ns, labels);
    if (!zone) return std::unexpected(zone.error());
    if (const Zone* z = *zone) {
        if (!ask) return ZoneChoice{z->pool, z->name, z->anti_spoofing};
        if (ask->pool == z->pool) return ZoneChoice{std::nullopt, z->name, z->anti_spoofing};
        return fail(
            Code::zone_refused,
            fmt::format("zone rule: namespace '{}' is in {}, which allows only pool '{}'; {} asked "
                        "for pool "
                        "'{}': drop that pool from the pod or network config, or change the zones",
                        ns, describe(*z), z->pool, ask->from, ask->pool));
    }
    const std::string who =
        ns.empty() ? std::string("the ADD names no namespace (no K8S_POD_NAMESPACE in CNI_ARGS)")
                   : fmt::format("namespace '{}' is in no zone", ns);
    if (rules.strict)
        return fail(
            Code::zone_refused,
            fmt::format(
                "zone rule: {} and zones.strict is set: add the namespace to a zone's namespaces "
                "or namespaceSelector, or unset zones.strict",
                who));
    const std::string pool = ask ? ask->pool : "default";
    if (const Zone* owner = rules.zone_owning(pool)) {
        const std::string asked =
            ask ? fmt::format("{} asked for pool '{}'", ask->from, pool)
                : fmt::format("no pool was named, so the ADD would take pool '{}'", pool);
        return fail(
            Code::zone_refused,
            fmt::format(
                "zone rule: pool '{}' belongs to {} and {}; {}: add the namespace to that zone or "
                "use another pool",
                pool, describe(*owner), who, asked));
    }
    return ZoneChoice{std::nullopt, "", rules.default_anti_spoofing};
}

ZoneReport report(const ZoneRules& rules, std::string_view ns, std::string_view pool,
                  const LabelLookup& labels) {
    ZoneReport out;
    out.anti_spoofing = rules.default_anti_spoofing;
    if (!rules.enabled()) return out;
    const Zone* owner = rules.zone_owning(pool);
    auto zone = zone_of(rules, ns, labels);
    const Zone* in = zone ? *zone : nullptr;
    const Zone* shown = owner ? owner : in;
    if (shown) {
        out.zone = shown->name;
        out.anti_spoofing = shown->anti_spoofing;
    }
    if (!zone) {
        if (zone.error().code != Code::try_again) {
            out.mismatch = true;
            out.why = zone.error().message;
        }
        return out;
    }
    if (in && in->pool != pool) {
        out.mismatch = true;
        out.why = fmt::format(
            "namespace '{}' is now in zone '{}', which allows only pool '{}'; this allocation is "
            "in pool '{}'",
            ns, in->name, in->pool, pool);
    } else if (owner && owner != in) {
        out.mismatch = true;
        out.why = fmt::format("pool '{}' now belongs to zone '{}', and namespace '{}' is not in it",
                              pool, owner->name, ns);
    } else if (!in && !owner && rules.strict) {
        out.mismatch = true;
        out.why = fmt::format("namespace '{}' is in no zone and zones.strict is set", ns);
    }
    return out;
}

}  // namespace warren::core

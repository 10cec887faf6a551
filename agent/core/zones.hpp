#pragma once
// Security zones (issue 11): which pool a pod's ADD may take, decided by its namespace. Pure: no
// I/O; namespace labels come in through a lookup the caller provides (the Kubernetes source).
//
// The rules:
// - A zone owns one pool; no two zones own the same pool.
// - A namespace's zone is found by tiers: an exact name in a zone's `namespaces` wins over a glob
//   (fnmatch: `*`, `?`, `[...]`) which wins over a label selector. Two zones matching in the
//   best tier is a refusal naming both (ambiguous); never a silent pick.
// - A namespace in zone Z takes Z's pool when nothing names a pool; a pool named by the CNI
//   config (`ipam.pool`, or `ranges`, whose pool is the network's name) or asked for by the pod
//   (`args.cni.pool`, `runtimeConfig.pool`; the pod's request wins over the config's) is allowed
//   only when it is Z's pool.
// - A namespace in no zone (also: no K8S_POD_NAMESPACE at all) keeps today's behaviour (the
//   named pool, the network's ranges, else "default") but may not take a pool a zone owns; with
//   `strict` it is refused.
// - Label selectors need the namespace's labels: when they are not known yet (the API not synced)
//   and a selector could decide, the ADD is answered Code::try_again, never put in a default pool.
// - With no zones and no `strict`, choose() allows everything unchanged (zones are off).
//
// Refusals are Code::zone_refused, and their message names the zone rule, e.g. "zone rule:
// namespace 'payments' is in zone 'pci' (namespaces: payments, card-*), which allows only pool
// 'pci'; args.cni.pool asked for pool 'default'".
//
// Thread-safety: a ZoneRules is immutable once built; share it as shared_ptr<const ZoneRules>.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "warren/error.hpp"

namespace warren::core {

// Anti-spoofing per zone, as liveness::SpoofMode (kept separate so core stays free of libbpf's ABI).
enum class AntiSpoofing { off, log, drop };
Result<AntiSpoofing> parse_anti_spoofing(std::string_view text);  // "off" | "log" | "drop"
std::string_view to_string(AntiSpoofing mode);

// A Kubernetes LabelSelector: matchLabels and matchExpressions (In, NotIn, Exists,
// DoesNotExist). An empty selector matches every namespace (as in Kubernetes).
struct LabelRequirement {
    std::string key;
    enum class Op { in, not_in, exists, does_not_exist } op = Op::exists;
    std::vector<std::string> values;
    bool operator==(const LabelRequirement&) const = default;
};
struct LabelSelector {
    std::map<std::string, std::string> match_labels;
    std::vector<LabelRequirement> match_expressions;
    bool matches(const std::map<std::string, std::string>& labels) const;
    bool operator==(const LabelSelector&) const = default;
};
// Errors (Code::invalid_config) name `where` and the key: unknown keys, wrong types, an operator
// other than the four, In/NotIn without values, Exists/DoesNotExist with values.
Result<LabelSelector> parse_label_selector(const nlohmann::json& j, const std::string& where);

struct Zone {
    std::string name;
    std::string pool;
    std::vector<std::string> namespaces;          // names and globs
    std::optional<LabelSelector> selector;         // namespaceSelector (DaemonSet mode)
    AntiSpoofing anti_spoofing = AntiSpoofing::log;
    bool operator==(const Zone&) const = default;
};

struct ZoneRules {
    std::vector<Zone> zones;  // sorted by name
    bool strict = false;
    // For pods in no zone (the agent config's top-level "antiSpoofing").
    AntiSpoofing default_anti_spoofing = AntiSpoofing::log;

    bool enabled() const { return strict || !zones.empty(); }
    bool uses_selectors() const;
    const Zone* zone_owning(std::string_view pool) const;
    const Zone* find(std::string_view name) const;
};

// Parses the agent config's "zones" object: {"strict": bool, "<name>": {"pool", "namespaces",
// "namespaceSelector", "antiSpoofing"}}. A zone must name a pool and at least one of namespaces
// or namespaceSelector; zone names are DNS labels; errors (Code::invalid_config) say
// "zones.<name>.<key>: ...". `known_pools` empty skips the check that each zone's pool exists.
Result<ZoneRules> parse_zones(const nlohmann::json& zones, AntiSpoofing default_mode,
                              const std::vector<std::string>& known_pools = {});

// A namespace's labels as the caller knows them.
struct NamespaceLabels {
    bool synced = false;  // false: the labels are not known (yet); selectors cannot decide
    bool exists = false;  // when synced: the namespace is in the API
    std::map<std::string, std::string> labels;
};
using LabelLookup = std::function<NamespaceLabels(std::string_view namespace_)>;

// Which zone a namespace is in: the zone, nullptr for none, or an error (ambiguous, or
// Code::try_again when a selector would need labels that are not synced). `labels` may be empty
// when no zone has a selector.
Result<const Zone*> zone_of(const ZoneRules& rules, std::string_view namespace_,
                            const LabelLookup& labels);

// Who named a pool in the request, for messages: "ipam.pool", "the network's ranges",
// "args.cni.pool", "runtimeConfig.pool".
struct PoolAsk {
    std::string pool;
    std::string from;
};

struct ZoneChoice {
    // The pool to allocate from: set when the zone picked it (the request named none), else
    // nullopt (the request's own pool, ranges or "default" stand).
    std::optional<std::string> pool;
    std::string zone;  // empty: in no zone
    AntiSpoofing anti_spoofing = AntiSpoofing::log;
};

// The ADD's decision. `ask`: the pool the request names (pod's ask over the config's), nullopt
// when none.
Result<ZoneChoice> choose(const ZoneRules& rules, std::string_view namespace_,
                          const std::optional<PoolAsk>& ask, const LabelLookup& labels);

// For `warrenctl list`/`show`: an allocation's zone (the zone owning its pool, else the zone of
// its namespace, else ""), and whether the rules in force now would put it elsewhere ("mismatch":
// its namespace's zone now owns another pool, or its pool now belongs to a zone its namespace is
// not in), with the reason in words; the mode its link is checked with.
struct ZoneReport {
    std::string zone;
    bool mismatch = false;
    std::string why;  // when mismatch
    AntiSpoofing anti_spoofing = AntiSpoofing::log;
};
ZoneReport report(const ZoneRules& rules, std::string_view namespace_, std::string_view pool,
                  const LabelLookup& labels);

}  // namespace warren::core

#include "args.hpp"

#include <charconv>

#include "warren/default_paths.hpp"

namespace warren::ctl {

namespace {

const std::vector<OptionSpec> kGlobalOptions = {
    {"--admin-socket", "PATH", false, "the agent's admin socket (default /run/warren/admin.sock)"},
    {"--json", "", false,
     "print the agent's answer as JSON, for scripts (events --follow: one event a line)"},
    {"--timeout", "MS", true, "give up on the agent after MS milliseconds (default 30000)"},
    {"--help", "", false, "this help, or a command's (warrenctl COMMAND --help)"},
    {"--version", "", false, "warrenctl's version"},
};

std::optional<uint64_t> parse_number(std::string_view s) {
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    return v;
}

const OptionSpec* find_option(const std::vector<OptionSpec>& options, std::string_view name) {
    for (auto& o : options)
        if (o.name == name) return &o;
    return nullptr;
}

std::string options_help(const std::vector<OptionSpec>& options) {
    std::string out;
    for (auto& o : options) {
        std::string left = "  " + std::string(o.name);
        if (!o.value.empty()) left += " " + std::string(o.value);
        left.resize(std::max<size_t>(left.size() + 2, 24), ' ');
        out += left + std::string(o.help) + "\n";
    }
    return out;
}

std::string synopsis(const CommandSpec& c) {
    std::string out = std::string(c.name);
    for (auto& o : c.options) {
        out += " [" + std::string(o.name);
        if (!o.value.empty()) out += " " + std::string(o.value);
        out += "]";
    }
    if (!c.operands.empty()) out += " " + std::string(c.operands);
    return out;
}

}  // namespace

const std::vector<CommandSpec>& command_table() {
    static const std::vector<CommandSpec> table = {
        {"status",
         "",
         0,
         0,
         {},
         "version, uptime, pools and their forecast, liveness, journal, GC"},
        {"list",
         "",
         0,
         0,
         {{"--pool", "P", false, "only pool P"},
          {"--state", "S", false, "only state S: active, stale-candidate, zombie, quarantined"}},
         "every allocation: IP, pool, pod, container, ifname, netns, ages, state"},
        {"show",
         "TARGET",
         1,
         1,
         {},
         "everything about one allocation and its history; TARGET: an IP, a container ID (or\n"
         "      a unique prefix), namespace/name or a pod name"},
        {"release",
         "IP",
         1,
         1,
         {{"--force", "", false, "release even though the allocation shows signs of life"}},
         "release an address through the quarantine rules"},
        {"gc",
         "",
         0,
         0,
         {{"--dry-run", "", false, "decide, record nothing"}},
         "run one GC pass now and print each decision with its reason"},
        {"events",
         "",
         0,
         0,
         {{"--follow", "", false, "keep printing new events until interrupted"},
          {"--since", "N", true, "events after sequence number N"},
          {"--limit", "N", true, "at most N events (default 100, at most 10000)"}},
         "the recent durable changes: allocations, releases, GC decisions, conflicts"},
        {"metrics", "", 0, 0, {}, "the Prometheus text the metrics endpoint serves"},
        {"reload",
         "",
         0,
         0,
         {},
         "re-read the zones and antiSpoofing of warrend's --config file (as SIGHUP does)"},
        {"import-host-local",
         "DIR",
         1,
         1,
         {{"--pool", "P", false, "import into pool P"},
          {"--dry-run", "", false, "report what would be imported, change nothing"}},
         "adopt the reservations of a host-local data dir (/var/lib/cni/networks/NET)"},
        {"plan",
         "",
         0,
         0,
         {{"--cluster-cidr", "CIDR[,CIDR]", false, "the pod range (kube-controller-manager's)"},
          {"--service-cidr", "CIDR[,CIDR]", false,
           "the service range (--service-cluster-ip-range)"},
          {"--node-cidr-mask-size", "N", true, "node CIDR mask, single-stack (default 24, 64)"},
          {"--node-cidr-mask-size-ipv4", "N", true, "IPv4 node CIDR mask (default 24)"},
          {"--node-cidr-mask-size-ipv6", "N", true, "IPv6 node CIDR mask (default 64)"},
          {"--max-pods", "N", true, "the kubelet's maxPods (default 110)"},
          {"--nodes", "N", true, "how many nodes are planned"},
          {"--node-network", "CIDR[,CIDR]", false, "where the node IPs live"},
          {"--clusters", "FILE", false, "clusters from a YAML or JSON file instead of the flags"},
          {"--suggest", "LEN", false, "propose a free /LEN pod block for a new cluster"},
          {"--within", "CIDR", false, "the supernet --suggest picks from"},
          {"--suggest-service", "LEN", false, "the service block's size (default /20, IPv6 /112)"}},
         "offline (no agent): check a cluster's address plan, print capacity and findings;\n"
         "      exit 0 without errors, 1 with errors"},
        {"check-flags",
         "",
         0,
         0,
         {{"--root", "DIR", false, "read the node's files under DIR (default /)"},
          {"--kube-proxy-config", "FILE", false,
           "kube-proxy's KubeProxyConfiguration, under DIR when absolute\n"
           "                        (default /var/lib/kube-proxy/config.conf when present)"},
          {"--from-args", "LINE", false,
           "a component's command line instead of its files, e.g. 'kube-apiserver\n"
           "                        --service-cluster-ip-range=10.96.0.0/12' (repeatable)"}},
         "offline: check the kube components' address flags against each other (kubeadm\n"
         "      manifests, kubelet and kube-proxy config); exit 1 on errors, no agent needed"},
    };
    return table;
}

const CommandSpec* find_command(std::string_view name) {
    for (auto& c : command_table())
        if (c.name == name) return &c;
    return nullptr;
}

std::optional<std::string> Invocation::value(std::string_view option) const {
    auto it = options.find(option);
    if (it == options.end()) return std::nullopt;
    return it->second;
}

std::vector<std::string> Invocation::values(std::string_view option) const {
    std::vector<std::string> out;
    for (auto& [name, value] : given)
        if (name == option) out.push_back(value);
    return out;
}

std::optional<uint64_t> Invocation::number(std::string_view option) const {
    auto v = value(option);
    if (!v) return std::nullopt;
    return parse_number(*v);
}

std::expected<Invocation, UsageError> parse_args(std::span<const std::string_view> args) {
    Invocation inv;
    inv.global.admin_socket = std::string(kDefaultAdminSocket);
    const CommandSpec* command = nullptr;
    auto error = [&](std::string message) {
        return std::unexpected(
            UsageError{std::move(message), command ? std::string(command->name) : std::string()});
    };
    bool options_done = false;
    for (size_t i = 0; i < args.size(); ++i) {
        std::string_view arg = args[i];
        if (!options_done && arg == "--") {
            options_done = true;
            continue;
        }
        if (options_done || arg.size() < 2 || arg[0] != '-') {
            if (command) {
                inv.operands.emplace_back(arg);
                continue;
            }
            command = find_command(arg);
            if (!command) return error("unknown command '" + std::string(arg) + "'");
            inv.command = std::string(arg);
            continue;
        }
        if (arg == "-h") arg = "--help";
        std::string_view name = arg;
        std::optional<std::string_view> inline_value;
        if (auto eq = arg.find('='); eq != std::string_view::npos) {
            name = arg.substr(0, eq);
            inline_value = arg.substr(eq + 1);
        }
        const OptionSpec* spec = find_option(kGlobalOptions, name);
        const bool global = spec != nullptr;
        if (!spec && command) spec = find_option(command->options, name);
        if (!spec)
            return error("unknown option " + std::string(name) +
                         (command ? " for " + std::string(command->name) : std::string()));
        std::string value;
        if (spec->value.empty()) {
            if (inline_value) return error(std::string(name) + " takes no value");
        } else if (inline_value) {
            value = std::string(*inline_value);
        } else if (i + 1 < args.size()) {
            value = std::string(args[++i]);
        } else {
            return error(std::string(name) + " needs a value (" + std::string(spec->value) + ")");
        }
        if (!spec->value.empty() && value.empty())
            return error(std::string(name) + " needs a value (" + std::string(spec->value) + ")");
        if (spec->number && !parse_number(value))
            return error(std::string(name) + " takes a whole number, not '" + value + "'");
        if (!global) {
            inv.given.emplace_back(name, value);
            inv.options[std::string(name)] = std::move(value);
        } else if (name == "--admin-socket") {
            inv.global.admin_socket = std::move(value);
        } else if (name == "--json") {
            inv.global.json = true;
        } else if (name == "--timeout") {
            auto ms = parse_number(value);
            if (*ms == 0 || *ms > 24u * 3600 * 1000)
                return error("--timeout takes milliseconds from 1 to 86400000, not " + value);
            inv.global.timeout_ms = static_cast<int>(*ms);
        } else if (name == "--help") {
            inv.global.help = true;
        } else if (name == "--version") {
            inv.global.version = true;
        }
    }
    if (inv.global.help || inv.global.version) return inv;
    if (!command) return error("no command given");
    if (inv.operands.size() < command->min_operands)
        return error(std::string(command->name) + " needs " + std::string(command->operands));
    if (inv.operands.size() > command->max_operands)
        return error("unexpected argument '" + inv.operands[command->max_operands] + "' for " +
                     std::string(command->name));
    return inv;
}

std::string usage(std::string_view name) {
    if (const CommandSpec* c = find_command(name)) {
        std::string out = "usage: warrenctl [global options] " + synopsis(*c) + "\n\n" +
                          std::string(c->summary) + "\n";
        if (!c->options.empty()) out += "\noptions:\n" + options_help(c->options);
        return out + "\nglobal options (before or after the command):\n" +
               options_help(kGlobalOptions);
    }
    std::string out =
        "usage: warrenctl [global options] COMMAND [options] [ARGS]\n\n"
        "Inspects and steers the warren IPAM agent (warrend) through its admin socket; plan and\n"
        "check-flags run offline and check a cluster's address plan.\n\n"
        "commands:\n";
    for (auto& c : command_table()) {
        std::string left = "  " + synopsis(c);
        out += left + "\n      " + std::string(c.summary) + "\n";
    }
    return out + "\nglobal options (before or after the command):\n" +
           options_help(kGlobalOptions) +
           "\nexit codes: 0 ok, 1 the agent answered with an error (plan, check-flags: errors found), "
           "2 usage error, 3 the agent cannot be reached\n";
}

}  // namespace warren::ctl

#include "config/config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <optional>
#include <vector>

using namespace warren;
using namespace warren::config;

namespace {
Result<CommandLine> parse(std::vector<std::string> args) {
    args.insert(args.begin(), "warrend");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    return parse_command_line(static_cast<int>(args.size()), argv.data());
}

struct TempFile {
    std::string path;
    explicit TempFile(const std::string& text) {
        char tmpl[] = "/tmp/warren-config-XXXXXX";
        int fd = ::mkstemp(tmpl);
        ::close(fd);
        path = tmpl;
        std::ofstream(path) << text;
    }
    ~TempFile() { std::remove(path.c_str()); }
};
}  // namespace

TEST(Config, DefaultsAreProductionPaths) {
    auto cl = parse({});
    ASSERT_TRUE(cl) << cl.error().message;
    EXPECT_EQ(cl->config.state_dir, "/var/lib/warren");
    EXPECT_EQ(cl->config.socket, "/run/warren/warren.sock");
    EXPECT_EQ(cl->config.effective_delete_queue_dir(), "/run/warren/delete-queue");
    EXPECT_EQ(cl->config.cooldown_seconds, 30);
    EXPECT_TRUE(cl->config.pools.empty());
}

// The agent finds the queue where the plugin writes it (warren/default_paths.hpp), also for a
// socket at the root, where the agent once looked in "//delete-queue".
TEST(Config, DeleteQueueDefaultIsThePluginsDefault) {
    for (std::string socket : {"/run/warren/warren.sock", "/warren.sock", "warren.sock", "a/b//w.sock"}) {
        warren::config::AgentConfig c;
        c.socket = socket;
        EXPECT_EQ(c.effective_delete_queue_dir(), warren::default_delete_queue_dir(socket)) << socket;
    }
}

TEST(Config, PodCidrOncePerFamilyDefinesDefaultPool) {
    auto cl = parse({"--pod-cidr", "10.244.1.0/24", "--pod-cidr", "fd00::/64"});
    ASSERT_TRUE(cl) << cl.error().message;
    ASSERT_EQ(cl->config.pools.size(), 1u);
    EXPECT_EQ(cl->config.pools[0].name, "default");
    EXPECT_EQ(cl->config.pools[0].sets.size(), 2u);
    auto twice = parse({"--pod-cidr", "10.244.1.0/24", "--pod-cidr", "10.244.2.0/24"});
    ASSERT_FALSE(twice);
    EXPECT_NE(twice.error().message.find("twice"), std::string::npos);
    auto bad = parse({"--pod-cidr", "10.244.1.0/40"});
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("10.244.1.0/40"), std::string::npos);
}

TEST(Config, FlagsOverrideTheFileWhateverTheirOrder) {
    TempFile f(R"({"stateDir":"/srv/w","socket":"/tmp/a.sock","gc":{"cooldownSeconds":7},
                   "pools":{"default":{"cidrs":["10.1.0.0/24"]},"other":{"ranges":[[{"subnet":"10.2.0.0/24"}]]}}})");
    auto cl = parse({"--cooldown", "3", "--config", f.path, "--state-dir", "/srv/x"});
    ASSERT_TRUE(cl) << cl.error().message;
    EXPECT_EQ(cl->config.state_dir, "/srv/x");
    EXPECT_EQ(cl->config.socket, "/tmp/a.sock");
    EXPECT_EQ(cl->config.cooldown_seconds, 3);
    EXPECT_EQ(cl->config.pools.size(), 2u);
    auto replaced = parse({"--config", f.path, "--pod-cidr", "10.9.0.0/24"});
    ASSERT_TRUE(replaced) << replaced.error().message;
    const auto& pools = replaced->config.pools;
    auto def = std::find_if(pools.begin(), pools.end(), [](auto& p) { return p.name == "default"; });
    ASSERT_NE(def, pools.end());
    EXPECT_EQ(core::describe(def->sets[0]), "10.9.0.0/24");
    EXPECT_EQ(pools.size(), 2u);  // "other" from the file is kept
}

TEST(Config, RejectsBadInputWithClearMessages) {
    // Each error names what was wrong (the flag or key and the value or path).
    const std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> cases = {
        {{"--cooldown", "soon"}, {"--cooldown", "soon"}},
        {{"--bogus"}, {"--bogus"}},
        {{"--log-level", "loud"}, {"log", "loud"}},
        {{"--config", "/nonexistent/warren.json"}, {"/nonexistent/warren.json"}},
    };
    for (const auto& [args, words] : cases) {
        auto c = parse(args);
        ASSERT_FALSE(c) << args[0] << " was accepted";
        const std::string text = c.error().describe() + " " + c.error().details;
        for (const auto& w : words) EXPECT_NE(text.find(w), std::string::npos) << "'" << w << "' not in: " << text;
    }
    TempFile garbage("{not json");
    auto g = parse({"--config", garbage.path});
    ASSERT_FALSE(g);
    EXPECT_NE(g.error().message.find(garbage.path), std::string::npos);
    TempFile overlap(R"({"pools":{"a":{"cidrs":["10.1.0.0/16"]},"b":{"cidrs":["10.1.2.0/24"]}}})");
    auto o = parse({"--config", overlap.path});
    ASSERT_FALSE(o);
    EXPECT_NE(o.error().message.find("overlap"), std::string::npos);
    TempFile wrong_type(R"({"socket": 5})");
    auto w = parse({"--config", wrong_type.path});
    ASSERT_FALSE(w);
    EXPECT_NE(w.error().message.find("socket"), std::string::npos) << w.error().message;
}

TEST(Config, GcSettingsHaveProductionDefaultsAndComeFromFileAndFlags) {
    auto defaults = parse({});
    ASSERT_TRUE(defaults) << defaults.error().message;
    EXPECT_EQ(defaults->config.gc_interval_seconds, 30);
    EXPECT_EQ(defaults->config.gc_grace_seconds, 60);
    EXPECT_EQ(defaults->config.cooldown_seconds, 30);

    TempFile f(R"({"gc":{"intervalSeconds":10,"graceSeconds":120,"cooldownSeconds":45}})");
    auto file = parse({"--config", f.path});
    ASSERT_TRUE(file) << file.error().message;
    EXPECT_EQ(file->config.gc_interval_seconds, 10);
    EXPECT_EQ(file->config.gc_grace_seconds, 120);
    EXPECT_EQ(file->config.cooldown_seconds, 45);

    auto flags = parse({"--gc-interval", "5", "--config", f.path, "--gc-grace", "20"});
    ASSERT_TRUE(flags) << flags.error().message;
    EXPECT_EQ(flags->config.gc_interval_seconds, 5);
    EXPECT_EQ(flags->config.gc_grace_seconds, 20);
}

TEST(Config, GcFlagsAreRangeChecked) {
    struct Flag {
        std::string name, low, high;
    };
    for (const Flag& f : {Flag{"--gc-interval", "1", "3600"}, Flag{"--gc-grace", "1", "86400"}}) {
        for (const std::string& ok : {f.low, f.high}) {
            auto c = parse({f.name, ok});
            ASSERT_TRUE(c) << f.name << " " << ok << ": " << c.error().message;
        }
        for (const std::string& bad : std::vector<std::string>{"0", "-1", std::to_string(std::stoll(f.high) + 1), "1m", "", " 5"}) {
            auto c = parse({f.name, bad});
            ASSERT_FALSE(c) << f.name << " '" << bad << "' was accepted";
            const auto& m = c.error().message;
            EXPECT_NE(m.find(f.name + " is '" + bad + "'"), std::string::npos) << m;
            EXPECT_NE(m.find(f.low + " to " + f.high), std::string::npos) << m;
        }
    }
}

namespace {
// Every numeric key with its allowed range (README's config table).
struct Bound {
    std::string key;  // dotted for nested keys ("gc.cooldownSeconds")
    long long min, max;
    std::string unit;
    std::string companion;  // other keys the case needs (",\"k\":v"), may be empty
};

const std::vector<Bound>& bounds() {
    static const std::vector<Bound> b = {
        {"gc.cooldownSeconds", 0, 86'400, "seconds", ""},
        {"gc.intervalSeconds", 1, 3'600, "seconds", ""},
        {"gc.graceSeconds", 1, 86'400, "seconds", ""},
        {"maxFrameBytes", 1024, 16 << 20, "bytes", ",\"maxBufferedBytes\":17000000"},
        {"requestTimeoutMs", 100, 600'000, "milliseconds", ""},
        {"snapshotAfterBytes", 1024, 1ll << 40, "bytes", ""},
        {"maxConnections", 1, 65'536, "connections", ""},
        {"maxBufferedBytes", 65'536, 4ll << 30, "bytes", ",\"maxFrameBytes\":1024"},
    };
    return b;
}

// {"key": value} with the key's nesting, value as raw JSON text.
std::string config_with(const Bound& b, const std::string& value) {
    auto dot = b.key.find('.');
    std::string inner = dot == std::string::npos ? "\"" + b.key + "\":" + value
                                                 : "\"" + b.key.substr(0, dot) + "\":{\"" + b.key.substr(dot + 1) +
                                                       "\":" + value + "}";
    return "{" + inner + b.companion + "}";
}
}  // namespace

// Defect 7d: every numeric key is range-checked; the error names the key, the value and the range.
TEST(Config, EveryNumericKeyIsRangeChecked) {
    for (const auto& b : bounds()) {
        for (long long ok : {b.min, b.max, (b.min + b.max) / 2}) {
            TempFile f(config_with(b, std::to_string(ok)));
            auto c = parse({"--config", f.path});
            EXPECT_TRUE(c) << b.key << "=" << ok << ": " << (c ? "" : c.error().message);
        }
        const std::vector<std::string> bad = {std::to_string(b.max + 1), "-1", "1.5", "\"100\"", "true",
                                              "[1]", "1e+30", "18446744073709551615", "-9223372036854775808"};
        for (const auto& v : bad) {
            if (v == "-1" && b.min > 0) continue;  // covered by below-min
            TempFile f(config_with(b, v));
            auto c = parse({"--config", f.path});
            ASSERT_FALSE(c) << b.key << "=" << v << " was accepted";
            const auto& m = c.error().message;
            EXPECT_EQ(c.error().code, Code::invalid_config);
            const std::string leaf = b.key.substr(b.key.find('.') + 1);
            EXPECT_NE(m.find(leaf), std::string::npos) << m;
            EXPECT_NE(m.find(v), std::string::npos) << "the value: " << m;
            EXPECT_NE(m.find(std::to_string(b.min)), std::string::npos) << "the range: " << m;
            EXPECT_NE(m.find(std::to_string(b.max)), std::string::npos) << "the range: " << m;
            EXPECT_NE(m.find(f.path), std::string::npos) << "the file: " << m;
        }
        if (b.min > 0) {
            TempFile f(config_with(b, std::to_string(b.min - 1)));
            auto c = parse({"--config", f.path});
            ASSERT_FALSE(c) << b.key << " below its minimum was accepted";
            EXPECT_NE(c.error().message.find(std::to_string(b.min)), std::string::npos) << c.error().message;
        }
    }
}

TEST(Config, CooldownFlagIsRangeChecked) {
    for (std::string ok : {"0", "30", "86400"}) {
        auto c = parse({"--cooldown", ok});
        ASSERT_TRUE(c) << ok << ": " << c.error().message;
        EXPECT_EQ(c->config.cooldown_seconds, std::stoll(ok));
    }
    for (std::string bad : {"-1", "86401", "9223372036854775807", "99999999999999999999", "1e3", "3s", "", " 5"}) {
        auto c = parse({"--cooldown", bad});
        ASSERT_FALSE(c) << "--cooldown '" << bad << "' was accepted";
        const auto& m = c.error().message;
        EXPECT_NE(m.find("--cooldown"), std::string::npos) << m;
        EXPECT_NE(m.find("'" + bad + "'"), std::string::npos) << m;
        EXPECT_NE(m.find("0 to 86400"), std::string::npos) << m;
    }
}

// A frame as large as maxFrameBytes must fit under maxBufferedBytes.
TEST(Config, BufferedBytesCapMustHoldTheLargestFrame) {
    TempFile f(R"({"maxFrameBytes": 1048576, "maxBufferedBytes": 1048576})");
    auto c = parse({"--config", f.path});
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().message.find("maxBufferedBytes"), std::string::npos) << c.error().message;
    EXPECT_NE(c.error().message.find("maxFrameBytes"), std::string::npos) << c.error().message;
}

// validate() holds for values set in code too (tests, embedders), not only for parsed ones.
TEST(Config, ValidateChecksEveryRange) {
    AgentConfig ok;
    ASSERT_TRUE(validate(ok)) << validate(ok).error().message;
    auto check = [](auto mutate, const std::string& names) {
        AgentConfig c;
        mutate(c);
        auto s = validate(c);
        ASSERT_FALSE(s) << names;
        EXPECT_NE(s.error().message.find(names), std::string::npos) << s.error().message;
    };
    check([](AgentConfig& c) { c.cooldown_seconds = 1ll << 40; }, "cooldown");
    check([](AgentConfig& c) { c.gc_interval_seconds = 0; }, "gc.intervalSeconds");
    check([](AgentConfig& c) { c.gc_grace_seconds = 86'401; }, "gc.graceSeconds");
    check([](AgentConfig& c) { c.request_timeout_ms = 0; }, "requestTimeoutMs");
    check([](AgentConfig& c) { c.request_timeout_ms = -5; }, "requestTimeoutMs");
    check([](AgentConfig& c) { c.max_frame_bytes = 10; }, "maxFrameBytes");
    check([](AgentConfig& c) { c.snapshot_after_bytes = 0; }, "snapshotAfterBytes");
    check([](AgentConfig& c) { c.queue_scan_interval_ms = 0; }, "queue scan interval");
    check([](AgentConfig& c) { c.max_connections = 0; }, "maxConnections");
    check([](AgentConfig& c) { c.max_buffered_bytes = 1; }, "maxBufferedBytes");
}

// Defect 5: a config nested deeper than the JSON limit is refused before it is walked.
TEST(Config, NestedTooDeepIsRefused) {
    TempFile f(R"({"pools":{"deep":{"ranges":)" + std::string(100'000, '[') + std::string(100'000, ']') + "}}}");
    auto c = parse({"--config", f.path});
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, Code::invalid_config);
    EXPECT_NE(c.error().message.find("nested deeper than 64 levels"), std::string::npos) << c.error().message;
    EXPECT_NE(c.error().message.find(f.path), std::string::npos) << c.error().message;
}

TEST(Config, LivenessSettingsHaveDefaultsAndComeFromFileAndFlags) {
    auto defaults = parse({});
    ASSERT_TRUE(defaults) << defaults.error().message;
    EXPECT_EQ(defaults->config.ebpf, "auto");
    EXPECT_EQ(defaults->config.bpffs_dir, "/sys/fs/bpf/warren");
    EXPECT_TRUE(defaults->config.liveness_interfaces.empty());
    EXPECT_FALSE(defaults->detach_all);

    TempFile f(R"({"liveness": {"ebpf": "off", "bpffsDir": "/sys/fs/bpf/w2", "interfaces": ["br0", "cni0"]}})");
    auto file = parse({"--config", f.path});
    ASSERT_TRUE(file) << file.error().message;
    EXPECT_EQ(file->config.ebpf, "off");
    EXPECT_EQ(file->config.bpffs_dir, "/sys/fs/bpf/w2");
    EXPECT_EQ(file->config.liveness_interfaces, (std::vector<std::string>{"br0", "cni0"}));

    auto flags = parse({"--ebpf", "on", "--config", f.path, "--bpffs-dir", "/sys/fs/bpf/w3", "--detach-all"});
    ASSERT_TRUE(flags) << flags.error().message;
    EXPECT_EQ(flags->config.ebpf, "on");
    EXPECT_EQ(flags->config.bpffs_dir, "/sys/fs/bpf/w3");
    EXPECT_TRUE(flags->detach_all);
}

TEST(Config, LivenessSettingsAreValidatedWithClearMessages) {
    auto mode = parse({"--ebpf", "maybe"});
    ASSERT_FALSE(mode);
    EXPECT_NE(mode.error().message.find("'maybe'"), std::string::npos) << mode.error().message;
    EXPECT_NE(mode.error().message.find("auto, on or off"), std::string::npos) << mode.error().message;

    auto empty = parse({"--bpffs-dir", ""});
    ASSERT_FALSE(empty);
    EXPECT_NE(empty.error().message.find("--bpffs-dir"), std::string::npos) << empty.error().message;

    TempFile not_list(R"({"liveness": {"interfaces": "br0"}})");
    auto l = parse({"--config", not_list.path});
    ASSERT_FALSE(l);
    EXPECT_NE(l.error().message.find("liveness.interfaces"), std::string::npos) << l.error().message;

    TempFile not_name(R"({"liveness": {"interfaces": ["br0", 7]}})");
    auto n = parse({"--config", not_name.path});
    ASSERT_FALSE(n);
    EXPECT_NE(n.error().message.find("7"), std::string::npos) << n.error().message;

    TempFile not_object(R"({"liveness": true})");
    auto o = parse({"--config", not_object.path});
    ASSERT_FALSE(o);
    EXPECT_NE(o.error().message.find("'liveness' must be an object"), std::string::npos) << o.error().message;
}

// Issue 8: the admin socket sits next to the CNI socket unless configured, from the file
// (admin.socket, admin.group) or the flags, which win.
TEST(Config, AdminSocketDefaultsNextToTheCniSocketAndComesFromFileAndFlags) {
    auto defaults = parse({});
    ASSERT_TRUE(defaults) << defaults.error().message;
    EXPECT_EQ(defaults->config.effective_admin_socket(), "/run/warren/admin.sock");
    EXPECT_EQ(defaults->config.admin_group, "");

    auto moved = parse({"--socket", "/tmp/x/warren.sock"});
    ASSERT_TRUE(moved) << moved.error().message;
    EXPECT_EQ(moved->config.effective_admin_socket(), "/tmp/x/admin.sock");

    TempFile f(R"({"admin":{"socket":"/srv/a.sock","group":"ops"}})");
    auto file = parse({"--config", f.path});
    ASSERT_TRUE(file) << file.error().message;
    EXPECT_EQ(file->config.effective_admin_socket(), "/srv/a.sock");
    EXPECT_EQ(file->config.admin_group, "ops");

    auto flags =
        parse({"--admin-socket", "/srv/b.sock", "--config", f.path, "--admin-group", "wheel"});
    ASSERT_TRUE(flags) << flags.error().message;
    EXPECT_EQ(flags->config.effective_admin_socket(), "/srv/b.sock");
    EXPECT_EQ(flags->config.admin_group, "wheel");
}

TEST(Config, AdminSocketMistakesAreRefusedWithTheKey) {
    auto same = parse({"--socket", "/run/w/w.sock", "--admin-socket", "/run/w/./w.sock"});
    ASSERT_FALSE(same);
    EXPECT_NE(
        same.error().message.find("admin socket (admin.socket, --admin-socket) is the CNI socket"),
        std::string::npos)
        << same.error().message;

    TempFile not_object(R"({"admin":"/srv/a.sock"})");
    auto a = parse({"--config", not_object.path});
    ASSERT_FALSE(a);
    EXPECT_NE(a.error().message.find("'admin' must be an object"), std::string::npos)
        << a.error().message;

    TempFile wrong_type(R"({"admin":{"group":7}})");
    auto b = parse({"--config", wrong_type.path});
    ASSERT_FALSE(b);
    EXPECT_NE(b.error().message.find("'group' must be a string"), std::string::npos)
        << b.error().message;

    EXPECT_NE(warren::config::usage().find("--admin-socket PATH"), std::string::npos);
    EXPECT_NE(warren::config::usage().find("--admin-group GROUP"), std::string::npos);
}

TEST(Config, MetricsAndAlertSettingsHaveDefaultsAndComeFromFileAndFlags) {
    auto defaults = parse({});
    ASSERT_TRUE(defaults) << defaults.error().message;
    EXPECT_EQ(defaults->config.metrics_address, "127.0.0.1:9464");
    EXPECT_DOUBLE_EQ(defaults->config.alert_warn, 0.80);
    EXPECT_DOUBLE_EQ(defaults->config.alert_crit, 0.95);

    TempFile f(R"({"metrics": {"address": "[::1]:9500"}, "alerts": {"warnUtilization": 0.5, "critUtilization": 0.9}})");
    auto file = parse({"--config", f.path});
    ASSERT_TRUE(file) << file.error().message;
    EXPECT_EQ(file->config.metrics_address, "[::1]:9500");
    EXPECT_DOUBLE_EQ(file->config.alert_warn, 0.5);
    EXPECT_DOUBLE_EQ(file->config.alert_crit, 0.9);

    auto flags = parse({"--metrics-address", "off", "--config", f.path, "--alert-warn", "0.6", "--alert-crit", "1"});
    ASSERT_TRUE(flags) << flags.error().message;
    EXPECT_EQ(flags->config.metrics_address, "off");
    EXPECT_DOUBLE_EQ(flags->config.alert_warn, 0.6);
    EXPECT_DOUBLE_EQ(flags->config.alert_crit, 1.0);

    auto empty = parse({"--metrics-address", ""});
    ASSERT_TRUE(empty) << empty.error().message;
    EXPECT_EQ(empty->config.metrics_address, "");
}

TEST(Config, AlertThresholdsMustBeOrderedFractions) {
    for (auto [warn, crit] : std::vector<std::pair<std::string, std::string>>{
             {"0", "0.9"}, {"0.9", "0.9"}, {"0.95", "0.9"}, {"0.5", "1.01"}, {"-0.1", "0.5"}, {"nan", "0.9"}}) {
        auto r = parse({"--alert-warn", warn, "--alert-crit", crit});
        ASSERT_FALSE(r) << warn << " " << crit;
        EXPECT_NE(r.error().message.find("0 < warn < crit <= 1"), std::string::npos) << r.error().message;
        EXPECT_NE(r.error().message.find("--alert-warn"), std::string::npos) << r.error().message;
    }
    auto text = parse({"--alert-warn", "80%"});
    ASSERT_FALSE(text);
    EXPECT_NE(text.error().message.find("--alert-warn is '80%'"), std::string::npos) << text.error().message;

    TempFile s(R"({"alerts": {"critUtilization": "high"}})");
    auto str = parse({"--config", s.path});
    ASSERT_FALSE(str);
    EXPECT_NE(str.error().message.find("'alerts.critUtilization' is \"high\""), std::string::npos)
        << str.error().message;
    TempFile o(R"({"alerts": 0.8})");
    auto obj = parse({"--config", o.path});
    ASSERT_FALSE(obj);
    EXPECT_NE(obj.error().message.find("'alerts' must be an object"), std::string::npos) << obj.error().message;
}

TEST(Config, MetricsAddressIsCheckedWithAdvice) {
    for (std::string bad : {"9464", "example.org:9464", "127.0.0.1:http", "127.0.0.1:70000", "[::1:9464",
                            "fd00::zz:9464"}) {
        auto r = parse({"--metrics-address", bad});
        ASSERT_FALSE(r) << bad;
        EXPECT_NE(r.error().message.find("metrics address '" + bad + "'"), std::string::npos) << r.error().message;
        EXPECT_NE(r.error().message.find("HOST:PORT"), std::string::npos) << r.error().message;
    }
    // An unbracketed IPv6 host (a DaemonSet's $(HOST_IP):9464 on an IPv6 node): the last colon
    // is the port's, since a port is required.
    for (std::string good : {"0.0.0.0:9464", "localhost:0", "[::]:9464", "127.0.0.1:65535", "::1:9464"})
        EXPECT_TRUE(parse({"--metrics-address", good})) << good;
    TempFile m(R"({"metrics": {"address": 9464}})");
    auto num = parse({"--config", m.path});
    ASSERT_FALSE(num);
    EXPECT_NE(num.error().message.find("'address' must be a string"), std::string::npos) << num.error().message;
}

TEST(Config, KubernetesIsOffByDefaultAndComesFromFileAndFlags) {
    auto d = parse({});
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(d->config.kubernetes.node, "");
    EXPECT_EQ(d->config.kubernetes.pool, "default");

    TempFile f(
        R"({"kubernetes": {"node": "worker-1", "kubeconfig": "/etc/kube.conf", "pool": "k8s"}})");
    auto file = parse({"--config", f.path});
    ASSERT_TRUE(file) << file.error().message;
    EXPECT_EQ(file->config.kubernetes.node, "worker-1");
    EXPECT_EQ(file->config.kubernetes.kubeconfig, "/etc/kube.conf");
    EXPECT_EQ(file->config.kubernetes.pool, "k8s");
    EXPECT_TRUE(file->config.pools.empty()) << "no configured pool is needed with a node";

    auto flags = parse({"--kube-node", "worker-2", "--config", f.path, "--kubeconfig",
                        "/root/.kube/config", "--kube-pool", "pods"});
    ASSERT_TRUE(flags) << flags.error().message;
    EXPECT_EQ(flags->config.kubernetes.node, "worker-2");
    EXPECT_EQ(flags->config.kubernetes.kubeconfig, "/root/.kube/config");
    EXPECT_EQ(flags->config.kubernetes.pool, "pods");
    EXPECT_NE(usage().find("--kube-node NAME"), std::string::npos);
    EXPECT_NE(usage().find("--kubeconfig PATH"), std::string::npos);
    EXPECT_NE(usage().find("--kube-pool NAME"), std::string::npos);
}

TEST(Config, KubernetesMistakesAreRefusedNamingTheKey) {
    struct Case {
        std::vector<std::string> args;
        std::string json, needle;
    };
    const std::vector<Case> cases = {
        {{"--kube-node", "worker-1", "--pod-cidr", "10.244.0.0/24"},
         "",
         "pool 'default' is defined by the configuration"},
        {{"--kube-node", "worker-1", "--kube-pool", "p"},
         R"({"pools": {"p": {"cidrs": ["10.9.0.0/24"]}}})",
         "(kubernetes.pool, --kube-pool)"},
        {{"--kube-node", "Worker_1"},
         "",
         "(kubernetes.node, --kube-node) 'Worker_1' is not a valid Node name"},
        {{"--kube-node", "worker-1", "--kube-pool", ""},
         "",
         "(kubernetes.pool, --kube-pool) must not be empty"},
        {{"--kubeconfig", "/etc/kube.conf"}, "", "no node (kubernetes.node, --kube-node)"},
        {{}, R"({"kubernetes": {"nodeName": "worker-1"}})", "unknown key 'kubernetes.nodeName'"},
        {{}, R"({"kubernetes": {"node": 7}})", "'node' must be a string"},
        {{}, R"({"kubernetes": "worker-1"})", "'kubernetes' must be an object"},
    };
    for (auto& c : cases) {
        std::optional<TempFile> f;
        auto args = c.args;
        if (!c.json.empty()) {
            f.emplace(c.json);
            args.insert(args.begin(), {"--config", f->path});
        }
        auto r = parse(args);
        ASSERT_FALSE(r) << c.needle;
        EXPECT_EQ(r.error().code, Code::invalid_config);
        EXPECT_NE(r.error().message.find(c.needle), std::string::npos) << r.error().message;
    }
}

TEST(Config, ClusterAndServiceCidrsComeFromFileAndFlagsAsDualStackLists) {
    auto none = parse({});
    ASSERT_TRUE(none) << none.error().message;
    EXPECT_TRUE(none->config.cluster_cidrs.empty());
    EXPECT_TRUE(none->config.service_cidrs.empty());

    TempFile f(R"({"cluster": {"clusterCIDR": ["10.244.0.0/16", "fd00:10:244::/56"],
                               "serviceCIDR": "10.96.0.0/12"}})");
    auto file = parse({"--config", f.path});
    ASSERT_TRUE(file) << file.error().message;
    ASSERT_EQ(file->config.cluster_cidrs.size(), 2u);
    EXPECT_EQ(file->config.cluster_cidrs[0].str(), "10.244.0.0/16");
    EXPECT_EQ(file->config.cluster_cidrs[1].str(), "fd00:10:244::/56");
    ASSERT_EQ(file->config.service_cidrs.size(), 1u);
    EXPECT_EQ(file->config.service_cidrs[0].str(), "10.96.0.0/12");

    auto flags = parse({"--config", f.path, "--service-cidr", "10.96.0.0/12,fd00:10:96::/112",
                        "--cluster-cidr", "10.0.0.0/8"});
    ASSERT_TRUE(flags) << flags.error().message;
    ASSERT_EQ(flags->config.cluster_cidrs.size(), 1u);
    EXPECT_EQ(flags->config.cluster_cidrs[0].str(), "10.0.0.0/8");
    ASSERT_EQ(flags->config.service_cidrs.size(), 2u);
    EXPECT_EQ(flags->config.service_cidrs[1].str(), "fd00:10:96::/112");
}

TEST(Config, ClusterCidrMistakesAreRefusedNamingTheKey) {
    struct Case {
        std::vector<std::string> args;
        std::string file;  // config file text when not empty
        std::vector<std::string> words;
    };
    const std::vector<Case> cases{
        {{"--cluster-cidr", "10.244.0.0"}, "", {"--cluster-cidr", "'10.244.0.0'", "not a CIDR"}},
        {{"--service-cidr", "10.96.0.0/12,10.97.0.0/16"},
         "",
         {"--service-cidr", "two IPv4", "one per family"}},
        {{"--cluster-cidr", "fd00::/48,fd01::/48"}, "", {"--cluster-cidr", "two IPv6"}},
        {{"--cluster-cidr", "10.244.0.0/16,"}, "", {"--cluster-cidr", "''"}},
        {{}, R"({"cluster": {"clusterCIDR": 5}})", {"'cluster.clusterCIDR'", "list of CIDRs"}},
        {{},
         R"({"cluster": {"serviceCIDR": ["x"]}})",
         {"'cluster.serviceCIDR'", "'x' is not a CIDR"}},
        {{}, R"({"cluster": {"podCIDR": ["10.0.0.0/8"]}})", {"unknown key 'cluster.podCIDR'"}},
        {{}, R"({"cluster": []})", {"'cluster' must be an object"}},
    };
    for (auto& c : cases) {
        std::optional<TempFile> f;
        auto args = c.args;
        if (!c.file.empty()) {
            f.emplace(c.file);
            args.insert(args.begin(), {"--config", f->path});
        }
        auto r = parse(args);
        ASSERT_FALSE(r) << c.file;
        EXPECT_EQ(r.error().code, Code::invalid_config);
        for (auto& w : c.words)
            EXPECT_NE(r.error().message.find(w), std::string::npos)
                << w << " not in: " << r.error().message;
    }
}

TEST(Config, ZonesAndAntiSpoofingAreOffAndLogByDefault) {
    auto c = parse({});
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_FALSE(c->config.zones.enabled());
    EXPECT_EQ(c->config.zones.default_anti_spoofing, core::AntiSpoofing::log);
}

TEST(Config, ZonesAndAntiSpoofingComeFromTheFile) {
    TempFile f(R"({"antiSpoofing": "drop",
                   "pools": {"pci": {"cidrs": ["10.9.0.0/24"]}},
                   "zones": {"strict": true,
                             "pci": {"pool": "pci", "namespaces": ["payments", "card-*"], "antiSpoofing": "off"}}})");
    auto c = parse({"--config", f.path});
    ASSERT_TRUE(c) << c.error().message;
    const auto& z = c->config.zones;
    EXPECT_TRUE(z.strict);
    EXPECT_EQ(z.default_anti_spoofing, core::AntiSpoofing::drop);
    ASSERT_EQ(z.zones.size(), 1u);
    EXPECT_EQ(z.zones[0].name, "pci");
    EXPECT_EQ(z.zones[0].pool, "pci");
    EXPECT_EQ(z.zones[0].namespaces, (std::vector<std::string>{"payments", "card-*"}));
    EXPECT_EQ(z.zones[0].anti_spoofing, core::AntiSpoofing::off);

    auto again = load_zones(f.path);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(again->zones, z.zones);
    EXPECT_TRUE(again->strict);
    EXPECT_EQ(again->default_anti_spoofing, core::AntiSpoofing::drop);

    TempFile none(R"({"antiSpoofing": "off"})");
    auto off = load_zones(none.path);
    ASSERT_TRUE(off) << off.error().message;
    EXPECT_FALSE(off->enabled());
    EXPECT_EQ(off->default_anti_spoofing, core::AntiSpoofing::off);
}

TEST(Config, ZoneMistakesNameTheFileAndKey) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {R"({"antiSpoofing": "block"})",
         "'antiSpoofing' is \"block\"; it must be one of off, log, drop"},
        {R"({"antiSpoofing": 1})", "'antiSpoofing' is 1"},
        {R"({"zones": []})", "zones: must be an object"},
        {R"({"zones": {"pci": {"namespaces": ["a"]}}})", "zones.pci.pool: missing"},
        {R"({"zones": {"pci": {"pool": "p", "namespaces": ["a"], "antiSpoofing": "x"}}})",
         "zones.pci.antiSpoofing"},
    };
    for (const auto& [text, want] : cases) {
        TempFile f(text);
        auto c = parse({"--config", f.path});
        ASSERT_FALSE(c) << text;
        EXPECT_EQ(c.error().code, Code::invalid_config);
        EXPECT_NE(c.error().message.find("config file " + f.path), std::string::npos)
            << c.error().message;
        EXPECT_NE(c.error().message.find(want), std::string::npos) << c.error().message;
        auto z = load_zones(f.path);
        ASSERT_FALSE(z) << text;
        EXPECT_NE(z.error().message.find(want), std::string::npos) << z.error().message;
    }
    auto missing = load_zones("/nonexistent/warren.json");
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message.find("/nonexistent/warren.json"), std::string::npos);
}

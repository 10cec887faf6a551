#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <vector>

#include "config/config.hpp"

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
    ASSERT_TRUE(replaced);
    for (auto& p : replaced->config.pools)
        if (p.name == "default") EXPECT_EQ(core::describe(p.sets[0]), "10.9.0.0/24");
}

TEST(Config, RejectsBadInputWithClearMessages) {
    EXPECT_FALSE(parse({"--cooldown", "soon"}));
    EXPECT_FALSE(parse({"--bogus"}));
    EXPECT_FALSE(parse({"--log-level", "loud"}));
    EXPECT_FALSE(parse({"--config", "/nonexistent/warren.json"}));
    TempFile garbage("{not json");
    auto g = parse({"--config", garbage.path});
    ASSERT_FALSE(g);
    EXPECT_NE(g.error().message.find(garbage.path), std::string::npos);
    TempFile overlap(R"({"pools":{"a":{"cidrs":["10.1.0.0/16"]},"b":{"cidrs":["10.1.2.0/24"]}}})");
    auto o = parse({"--config", overlap.path});
    ASSERT_FALSE(o);
    EXPECT_NE(o.error().message.find("overlap"), std::string::npos);
    TempFile wrong_type(R"({"socket": 5})");
    EXPECT_FALSE(parse({"--config", wrong_type.path}));
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

TEST(Config, GcSettingsOutOfRangeOrMalformedNameTheKeyAndTheRange) {
    auto zero = parse({"--gc-interval", "0"});
    ASSERT_FALSE(zero);
    EXPECT_NE(
        zero.error().message.find("--gc-interval) is 0; it must be a whole number from 1 to 3600"),
        std::string::npos)
        << zero.error().message;
    auto huge = parse({"--gc-grace", "86401"});
    ASSERT_FALSE(huge);
    EXPECT_NE(huge.error().message.find(
                  "--gc-grace) is 86401; it must be a whole number from 1 to 86400"),
              std::string::npos)
        << huge.error().message;
    auto word = parse({"--gc-grace", "1m"});
    ASSERT_FALSE(word);
    EXPECT_EQ(word.error().message, "--gc-grace wants a whole number of seconds, got '1m'");
    TempFile f(R"({"gc":{"graceSeconds":-5}})");
    auto negative = parse({"--config", f.path});
    ASSERT_FALSE(negative);
    EXPECT_NE(negative.error().message.find("gc.graceSeconds"), std::string::npos)
        << negative.error().message;
    TempFile t(R"({"gc":{"intervalSeconds":"30s"}})");
    auto text = parse({"--config", t.path});
    ASSERT_FALSE(text);
    EXPECT_NE(text.error().message.find("'intervalSeconds' has the wrong type"), std::string::npos)
        << text.error().message;
}

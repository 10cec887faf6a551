#include "env.hpp"

#include <gtest/gtest.h>

#include "cni_test_util.hpp"

namespace warren::cni {
namespace {

using testing::attach_env;
using testing::FakeEnv;

Result<Env> parse(const std::map<std::string, std::string>& vars) {
    FakeEnv env{vars};
    return parse_env(env.lookup());
}

TEST(Env, AddWithKubernetesArgs) {
    auto env = parse(attach_env("ADD"));
    ASSERT_TRUE(env) << env.error().message;
    EXPECT_EQ(env->command, Command::add);
    EXPECT_EQ(env->container_id, "c0ffee");
    EXPECT_EQ(env->netns, "/var/run/netns/pod1");
    EXPECT_EQ(env->ifname, "eth0");
    EXPECT_EQ(env->path, "/opt/cni/bin");
    EXPECT_TRUE(env->args.ignore_unknown);
    EXPECT_EQ(env->args.pod, (proto::PodRef{"default", "web-0", "u-1"}));
    EXPECT_EQ(env->args.infra_container_id, "c0ffee");
    EXPECT_TRUE(env->args.ips.empty());
}

TEST(Env, MissingCommandIsCode4) {
    auto env = parse({{"CNI_PATH", "/opt/cni/bin"}});
    ASSERT_FALSE(env);
    EXPECT_EQ(env.error().code, Code::invalid_env);
    EXPECT_NE(env.error().message.find("CNI_COMMAND"), std::string::npos);
}

TEST(Env, UnknownCommandIsCode4) {
    auto vars = attach_env("ADD");
    vars["CNI_COMMAND"] = "add";  // case matters
    auto env = parse(vars);
    ASSERT_FALSE(env);
    EXPECT_EQ(env.error().code, Code::invalid_env);
    EXPECT_NE(env.error().message.find("unknown CNI_COMMAND: add"), std::string::npos);
}

struct MissingCase {
    std::string command;
    std::string removed;
    bool required;
};

class EnvRequired : public ::testing::TestWithParam<MissingCase> {};

TEST_P(EnvRequired, MissingVariable) {
    auto [command, removed, required] = GetParam();
    auto vars = attach_env(command);
    vars.erase(removed);
    auto env = parse(vars);
    if (required) {
        ASSERT_FALSE(env) << command << " without " << removed;
        EXPECT_EQ(env.error().code, Code::invalid_env);
        EXPECT_NE(env.error().message.find(removed), std::string::npos) << env.error().message;
    } else {
        EXPECT_TRUE(env) << command << " without " << removed << ": " << env.error().message;
    }
}

INSTANTIATE_TEST_SUITE_P(
    Table, EnvRequired,
    ::testing::Values(
        MissingCase{"ADD", "CNI_CONTAINERID", true}, MissingCase{"ADD", "CNI_NETNS", true},
        MissingCase{"ADD", "CNI_IFNAME", true}, MissingCase{"ADD", "CNI_PATH", true},
        MissingCase{"ADD", "CNI_ARGS", false}, MissingCase{"CHECK", "CNI_CONTAINERID", true},
        MissingCase{"CHECK", "CNI_NETNS", true}, MissingCase{"CHECK", "CNI_IFNAME", true},
        MissingCase{"CHECK", "CNI_PATH", true}, MissingCase{"DEL", "CNI_CONTAINERID", true},
        MissingCase{"DEL", "CNI_NETNS", false}, MissingCase{"DEL", "CNI_IFNAME", true},
        MissingCase{"DEL", "CNI_PATH", true}, MissingCase{"GC", "CNI_CONTAINERID", false},
        MissingCase{"GC", "CNI_NETNS", false}, MissingCase{"GC", "CNI_IFNAME", false},
        MissingCase{"GC", "CNI_PATH", true}, MissingCase{"STATUS", "CNI_IFNAME", false},
        MissingCase{"STATUS", "CNI_PATH", true}, MissingCase{"VERSION", "CNI_PATH", false},
        MissingCase{"VERSION", "CNI_CONTAINERID", false}));

TEST(Env, EmptyValueCountsAsMissingAndAllMissingAreNamed) {
    auto vars = attach_env("ADD");
    vars["CNI_NETNS"] = "";
    vars.erase("CNI_IFNAME");
    auto env = parse(vars);
    ASSERT_FALSE(env);
    EXPECT_EQ(env.error().message, "required env variables [CNI_NETNS,CNI_IFNAME] missing");
}

TEST(Env, VersionNeedsOnlyTheCommand) {
    auto env = parse({{"CNI_COMMAND", "VERSION"}});
    ASSERT_TRUE(env);
    EXPECT_EQ(env->command, Command::version);
}

TEST(Env, ContainerIdRules) {
    for (const char* good : {"a", "0", "abc_1.2-3", "0123456789abcdefABCDEF"}) {
        EXPECT_TRUE(validate_container_id(good)) << good;
        auto vars = attach_env("DEL");
        vars["CNI_CONTAINERID"] = good;
        EXPECT_TRUE(parse(vars)) << good;
    }
    for (const char* bad :
         {"-abc", "_abc", ".abc", "ab/c", "ab c", "ab:c", "ab;c", "caf\xc3\xa9"}) {
        auto vars = attach_env("ADD");
        vars["CNI_CONTAINERID"] = bad;
        auto env = parse(vars);
        ASSERT_FALSE(env) << bad;
        EXPECT_EQ(env.error().code, Code::invalid_env) << bad;
        EXPECT_EQ(env.error().details, bad);
    }
}

TEST(Env, InterfaceNameRules) {
    EXPECT_TRUE(validate_ifname("eth0"));
    EXPECT_TRUE(validate_ifname("123456789012345"));  // 15 bytes
    for (const char* bad : {"1234567890123456", ".", "..", "eth0:1", "a/b", "a b", "a\tb"}) {
        auto vars = attach_env("ADD");
        vars["CNI_IFNAME"] = bad;
        auto env = parse(vars);
        ASSERT_FALSE(env) << bad;
        EXPECT_EQ(env.error().code, Code::invalid_env) << bad;
    }
}

TEST(Env, NetnsMustBeUtf8) {
    auto vars = attach_env("ADD");
    vars["CNI_NETNS"] = "/proc/1/ns/\xff";
    auto env = parse(vars);
    ASSERT_FALSE(env);
    EXPECT_EQ(env.error().code, Code::invalid_env);
}

TEST(Env, CniArgsOnlyCheckedForAttachmentCommands) {
    auto vars = attach_env("GC");
    vars["CNI_ARGS"] = "Bogus=1";
    EXPECT_TRUE(parse(vars));
    vars["CNI_COMMAND"] = "DEL";
    auto env = parse(vars);
    ASSERT_FALSE(env);
    EXPECT_EQ(env.error().code, Code::invalid_env);
}

TEST(CniArgs, EmptyIsNothing) {
    auto a = parse_cni_args("");
    ASSERT_TRUE(a);
    EXPECT_FALSE(a->ignore_unknown);
    EXPECT_TRUE(a->ips.empty());
    EXPECT_EQ(a->pod, proto::PodRef{});
}

TEST(CniArgs, UnknownKeyWithoutIgnoreUnknownIsCode4) {
    auto a = parse_cni_args("K8S_POD_NAME=x;FOO=bar;BAZ=1");
    ASSERT_FALSE(a);
    EXPECT_EQ(a.error().code, Code::invalid_env);
    EXPECT_NE(a.error().message.find("FOO, BAZ"), std::string::npos) << a.error().message;
}

TEST(CniArgs, IgnoreUnknownAcceptsOthersWhereverItAppears) {
    for (const char* text :
         {"IgnoreUnknown=1;FOO=bar", "FOO=bar;IgnoreUnknown=true", "FOO=bar;IgnoreUnknown=TRUE"}) {
        auto a = parse_cni_args(text);
        ASSERT_TRUE(a) << text;
        EXPECT_TRUE(a->ignore_unknown);
    }
    auto off = parse_cni_args("IgnoreUnknown=false;FOO=bar");
    ASSERT_FALSE(off);
    EXPECT_EQ(off.error().code, Code::invalid_env);
    auto bad = parse_cni_args("IgnoreUnknown=yes");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, Code::invalid_env);
}

TEST(CniArgs, KubernetesKeys) {
    auto a = parse_cni_args(
        "K8S_POD_NAMESPACE=kube-system;K8S_POD_NAME=coredns-1;K8S_POD_UID=9f1e;"
        "K8S_POD_INFRA_CONTAINER_ID=abc123");
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_EQ(a->pod, (proto::PodRef{"kube-system", "coredns-1", "9f1e"}));
    EXPECT_EQ(a->infra_container_id, "abc123");
}

TEST(CniArgs, IpListIsSplitAndTrimmed) {
    auto a = parse_cni_args("IP=10.1.0.5, 10.1.0.6/24 ,fd00::5;");
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_EQ(a->ips, (std::vector<std::string>{"10.1.0.5", "10.1.0.6/24", "fd00::5"}));
}

TEST(CniArgs, MalformedPairsAreCode4) {
    for (const char* bad : {"IP", "IP=1=2", "=x", "K8S_POD_NAME=a;junk"}) {
        auto a = parse_cni_args(bad);
        ASSERT_FALSE(a) << bad;
        EXPECT_EQ(a.error().code, Code::invalid_env) << bad;
    }
    EXPECT_TRUE(parse_cni_args(";;K8S_POD_NAME=a;"));
}

TEST(Utf8, Validation) {
    EXPECT_TRUE(valid_utf8("plain"));
    EXPECT_TRUE(valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
    EXPECT_FALSE(valid_utf8("\xff"));
    EXPECT_FALSE(valid_utf8("\xc3"));          // truncated
    EXPECT_FALSE(valid_utf8("\xc0\xaf"));      // overlong
    EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));  // surrogate
}

}  // namespace
}  // namespace warren::cni

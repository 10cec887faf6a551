// The readers: flag forms, command lines, static pod manifests, kubelet and kube-proxy files.
#include "check_flags/readers.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "support/temp_dir.hpp"

namespace warren::check_flags {
namespace {

using warren::testing::TempDir;

const std::string kGood = std::string(WARREN_KUBEADM_FIXTURES) + "/good";

std::vector<Word> words(std::initializer_list<const char*> texts) {
    std::vector<Word> out;
    int line = 1;
    for (const char* t : texts) out.push_back({t, line++});
    return out;
}

std::string write(const TempDir& dir, const std::string& name, const std::string& text) {
    const std::string path = dir / name;
    std::ofstream(path) << text;
    return path;
}

TEST(ParseFlags, TakesBothFormsAndBooleans) {
    auto w =
        words({"kube-controller-manager", "--cluster-cidr=10.244.0.0/16", "--node-cidr-mask-size",
               "24", "--allocate-node-cidrs", "--leader-elect", "--x="});
    auto flags = parse_flags(w);
    ASSERT_EQ(flags.size(), 5u);
    EXPECT_EQ(flags[0].name, "--cluster-cidr");
    EXPECT_EQ(flags[0].value, "10.244.0.0/16");
    EXPECT_EQ(flags[0].line, 2);
    EXPECT_EQ(flags[1].name, "--node-cidr-mask-size");
    EXPECT_EQ(flags[1].value, "24");
    EXPECT_EQ(flags[1].line, 3);
    EXPECT_EQ(flags[2].name, "--allocate-node-cidrs");
    EXPECT_EQ(flags[2].value, "true");
    EXPECT_EQ(flags[3].name, "--leader-elect");
    EXPECT_EQ(flags[3].value, "true");
    EXPECT_EQ(flags[4].name, "--x");
    EXPECT_EQ(flags[4].value, "");
}

TEST(SplitCommandLine, QuotesAndEscapes) {
    auto w = split_command_line(R"(kubelet  --node-ip='10.0.0.1' "--a=b c" d\ e)");
    ASSERT_TRUE(w) << w.error().message;
    ASSERT_EQ(w->size(), 4u);
    EXPECT_EQ((*w)[0].text, "kubelet");
    EXPECT_EQ((*w)[1].text, "--node-ip=10.0.0.1");
    EXPECT_EQ((*w)[2].text, "--a=b c");
    EXPECT_EQ((*w)[3].text, "d e");
}

TEST(SplitCommandLine, UnterminatedQuoteIsAnError) {
    auto w = split_command_line("kubelet --node-ip='10.0.0.1");
    ASSERT_FALSE(w);
    EXPECT_NE(w.error().message.find("unterminated ' quote"), std::string::npos)
        << w.error().message;
}

TEST(ReadManifest, KubeadmApiserverCommandWithLines) {
    auto w = read_manifest_command(kGood + "/etc/kubernetes/manifests/kube-apiserver.yaml",
                                   "kube-apiserver");
    ASSERT_TRUE(w) << w.error().message;
    ASSERT_GT(w->size(), 2u);
    EXPECT_EQ(w->front().text, "kube-apiserver");
    EXPECT_EQ(w->front().line, 15);
    EXPECT_EQ((*w)[1].text, "--advertise-address=192.168.1.10");
    EXPECT_EQ((*w)[1].line, 16);
}

TEST(ReadManifest, CommandAndArgsInSeparateEntries) {
    TempDir dir;
    const std::string path = write(dir, "cm.yaml", R"(apiVersion: v1
kind: Pod
spec:
  containers:
  - name: sidecar
    command: [sleep]
  - name: kube-controller-manager
    command:
    - /usr/local/bin/kube-controller-manager
    args:
    - --cluster-cidr
    - 10.244.0.0/16
    - --node-cidr-mask-size=24
)");
    auto w = read_manifest_command(path, "kube-controller-manager");
    ASSERT_TRUE(w) << w.error().message;
    auto flags = parse_flags(*w);
    ASSERT_EQ(flags.size(), 2u);
    EXPECT_EQ(flags[0].name, "--cluster-cidr");
    EXPECT_EQ(flags[0].value, "10.244.0.0/16");
    EXPECT_EQ(flags[0].line, 11);
    EXPECT_EQ(flags[1].name, "--node-cidr-mask-size");
    EXPECT_EQ(flags[1].value, "24");
}

TEST(ReadManifest, ErrorsNameFileLineAndKey) {
    TempDir dir;
    const std::string bad_yaml = write(dir, "a.yaml", "kind: Pod\nspec: [\n");
    auto a = read_manifest_command(bad_yaml, "kube-apiserver");
    ASSERT_FALSE(a);
    EXPECT_NE(a.error().message.find(bad_yaml + ":"), std::string::npos) << a.error().message;
    EXPECT_NE(a.error().message.find("not valid YAML"), std::string::npos) << a.error().message;

    const std::string no_containers = write(dir, "b.yaml", "kind: Pod\nspec: {}\n");
    auto b = read_manifest_command(no_containers, "kube-apiserver");
    ASSERT_FALSE(b);
    EXPECT_EQ(b.error().message,
              no_containers + ": spec.containers is missing; not a static pod manifest");

    const std::string wrong_kind = write(dir, "c.yaml", "apiVersion: v1\nkind: Service\n");
    auto c = read_manifest_command(wrong_kind, "kube-apiserver");
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().message,
              wrong_kind + ":2: kind is Service, expected Pod; is this the right file?");

    const std::string bad_command =
        write(dir, "d.yaml",
              "kind: Pod\nspec:\n  containers:\n  - name: x\n    command: kube-apiserver\n");
    auto d = read_manifest_command(bad_command, "kube-apiserver");
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().message,
              bad_command + ":5: spec.containers[].command must be a list of strings");

    auto e = read_manifest_command(dir / "missing.yaml", "kube-apiserver");
    ASSERT_FALSE(e);
    EXPECT_NE(e.error().message.find("cannot read " + dir / "missing.yaml"), std::string::npos);
}

TEST(ReadKubeletConfig, KubeadmConfigFields) {
    auto flags = read_kubelet_config(kGood + "/var/lib/kubelet/config.yaml");
    ASSERT_TRUE(flags) << flags.error().message;
    ASSERT_EQ(flags->size(), 3u);
    EXPECT_EQ((*flags)[0].name, "podCIDR");
    EXPECT_EQ((*flags)[0].value, "10.244.1.0/24");
    EXPECT_EQ((*flags)[1].name, "maxPods");
    EXPECT_EQ((*flags)[1].value, "110");
    EXPECT_EQ((*flags)[2].name, "clusterDNS");
    EXPECT_EQ((*flags)[2].value, "10.96.0.10");
    EXPECT_EQ((*flags)[2].line, 17);
}

TEST(ReadKubeletConfig, SeveralDnsServersAndErrors) {
    TempDir dir;
    auto two = read_kubelet_config(
        write(dir, "a.yaml", "kind: KubeletConfiguration\nclusterDNS: [10.96.0.10, fd00::a]\n"));
    ASSERT_TRUE(two) << two.error().message;
    ASSERT_EQ(two->size(), 1u);
    EXPECT_EQ((*two)[0].value, "10.96.0.10,fd00::a");

    const std::string scalar_dns =
        write(dir, "b.yaml", "kind: KubeletConfiguration\nclusterDNS: 10.96.0.10\n");
    auto b = read_kubelet_config(scalar_dns);
    ASSERT_FALSE(b);
    EXPECT_EQ(b.error().message, scalar_dns + ":2: clusterDNS must be a list of strings");

    const std::string list_cidr =
        write(dir, "c.yaml", "kind: KubeletConfiguration\npodCIDR: [10.244.1.0/24]\n");
    auto c = read_kubelet_config(list_cidr);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().message, list_cidr + ":2: podCIDR must be a single value");

    const std::string proxy = write(dir, "d.yaml", "kind: KubeProxyConfiguration\n");
    auto d = read_kubelet_config(proxy);
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().message, proxy +
                                     ":1: kind is KubeProxyConfiguration, expected "
                                     "KubeletConfiguration; is this the right file?");
}

TEST(ReadKubeletFlagsEnv, QuotedArgs) {
    auto flags = read_kubelet_flags_env(kGood + "/var/lib/kubelet/kubeadm-flags.env");
    ASSERT_TRUE(flags) << flags.error().message;
    ASSERT_EQ(flags->size(), 3u);
    EXPECT_EQ((*flags)[1].name, "--node-ip");
    EXPECT_EQ((*flags)[1].value, "192.168.1.10");
    EXPECT_EQ((*flags)[1].line, 1);
}

TEST(ReadKubeletFlagsEnv, AbsentVariableAndBadQuote) {
    TempDir dir;
    auto none = read_kubelet_flags_env(write(dir, "a.env", "OTHER=1\n"));
    ASSERT_TRUE(none) << none.error().message;
    EXPECT_TRUE(none->empty());

    const std::string bad = write(dir, "b.env", "# kubeadm\nKUBELET_KUBEADM_ARGS=\"--node-ip=1\n");
    auto b = read_kubelet_flags_env(bad);
    ASSERT_FALSE(b);
    EXPECT_NE(b.error().message.find(bad + ":2: KUBELET_KUBEADM_ARGS: unterminated"),
              std::string::npos)
        << b.error().message;
}

TEST(ReadKubeProxyConfig, ClusterCidrOrNothing) {
    auto flags = read_kube_proxy_config(kGood + "/var/lib/kube-proxy/config.conf");
    ASSERT_TRUE(flags) << flags.error().message;
    ASSERT_EQ(flags->size(), 1u);
    EXPECT_EQ((*flags)[0].name, "clusterCIDR");
    EXPECT_EQ((*flags)[0].value, "10.244.0.0/16");
    EXPECT_EQ((*flags)[0].line, 10);

    TempDir dir;
    auto empty = read_kube_proxy_config(
        write(dir, "a.conf", "kind: KubeProxyConfiguration\nclusterCIDR: \"\"\n"));
    ASSERT_TRUE(empty) << empty.error().message;
    EXPECT_TRUE(empty->empty());

    const std::string not_map = write(dir, "b.conf", "- a\n");
    auto b = read_kube_proxy_config(not_map);
    ASSERT_FALSE(b);
    EXPECT_EQ(b.error().message,
              not_map + ": not a KubeProxyConfiguration (expected a YAML mapping)");
}

}  // namespace
}  // namespace warren::check_flags

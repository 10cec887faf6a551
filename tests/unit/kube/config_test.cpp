#include "kube/config.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "support/temp_dir.hpp"

namespace warren::kube {
namespace {

using warren::testing::TempDir;

constexpr const char* kPem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
// base64 of kPem
constexpr const char* kPemB64 =
    "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUIKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=";

void write(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::trunc) << text;
}

std::string kubeconfig(const std::string& cluster, const std::string& user,
                       const std::string& current = "ctx") {
    return "apiVersion: v1\nkind: Config\ncurrent-context: " + current +
           "\ncontexts:\n- name: ctx\n  context:\n    cluster: c\n    user: u\n"
           "clusters:\n- name: c\n  cluster:\n" +
           cluster + "users:\n- name: u\n  user:\n" + user;
}

class KubeconfigTest : public ::testing::Test {
  protected:
    Result<ApiConfig> load(const std::string& text) {
        write(dir_ / "config", text);
        return load_kubeconfig(dir_ / "config");
    }
    std::string error_of(const std::string& text) {
        auto r = load(text);
        EXPECT_FALSE(r.has_value());
        if (r) return {};
        EXPECT_EQ(r.error().code, Code::invalid_config);
        return r.error().message;
    }
    TempDir dir_;
};

TEST_F(KubeconfigTest, CaFileRelativeToTheKubeconfigAndInlineToken) {
    write(dir_ / "ca.crt", kPem);
    auto c =
        load(kubeconfig("    server: https://api.example.com:6443\n"
                        "    certificate-authority: ca.crt\n",
                        "    token: abc.def\n"));
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->host, "api.example.com");
    EXPECT_EQ(c->port, "6443");
    EXPECT_EQ(c->base_path, "");
    EXPECT_EQ(c->ca_pem, kPem);
    EXPECT_EQ(c->ca_origin, dir_ / "ca.crt");
    EXPECT_EQ(c->token, "abc.def");
    EXPECT_EQ(c->token_file, "");
    auto t = current_token(*c);
    ASSERT_TRUE(t);
    EXPECT_EQ(*t, "abc.def");
    EXPECT_EQ(c->origin, dir_ / "config");
}

TEST_F(KubeconfigTest, InlineDataForCaAndClientCertificate) {
    auto c = load(kubeconfig(std::string("    server: https://10.0.0.1\n"
                                         "    certificate-authority-data: ") +
                                 kPemB64 + "\n",
                             std::string("    client-certificate-data: ") + kPemB64 +
                                 "\n    client-key-data: " + kPemB64 + "\n"));
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->host, "10.0.0.1");
    EXPECT_EQ(c->port, "443");
    EXPECT_EQ(c->ca_pem, kPem);
    EXPECT_EQ(c->ca_origin, "certificate-authority-data of " + (dir_ / "config"));
    EXPECT_EQ(c->client_cert_pem, kPem);
    EXPECT_EQ(c->client_key_pem, kPem);
    EXPECT_EQ(c->token, "");
}

TEST_F(KubeconfigTest, ClientCertificateFilesAndTokenFileRelative) {
    write(dir_ / "ca.crt", kPem);
    write(dir_ / "client.crt", "CERT");
    write(dir_ / "client.key", "KEY");
    write(dir_ / "tok", "  secret-1 \n");
    auto c =
        load(kubeconfig("    server: https://[fd00::1]:8443/prefix/\n"
                        "    certificate-authority: " +
                            (dir_ / "ca.crt") + "\n",
                        "    client-certificate: client.crt\n    client-key: client.key\n"
                        "    tokenFile: tok\n"));
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->host, "fd00::1");
    EXPECT_EQ(c->port, "8443");
    EXPECT_EQ(c->base_path, "/prefix");
    EXPECT_EQ(server_text(*c), "[fd00::1]:8443");
    EXPECT_EQ(c->client_cert_pem, "CERT");
    EXPECT_EQ(c->client_key_pem, "KEY");
    EXPECT_EQ(c->token_file, dir_ / "tok");
    auto t = current_token(*c);
    ASSERT_TRUE(t);
    EXPECT_EQ(*t, "secret-1");
    write(dir_ / "tok", "secret-2\n");
    auto t2 = current_token(*c);
    ASSERT_TRUE(t2);
    EXPECT_EQ(*t2, "secret-2");
}

TEST_F(KubeconfigTest, MissingFileNamesIt) {
    auto r = load_kubeconfig(dir_ / "nope");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Code::invalid_config);
    EXPECT_NE(r.error().message.find(dir_ / "nope"), std::string::npos) << r.error().message;
}

TEST_F(KubeconfigTest, EachErrorNamesWhatIsWrong) {
    write(dir_ / "ca.crt", kPem);
    const std::string ca = "    certificate-authority: ca.crt\n";
    const std::string ok_server = "    server: https://h:1\n";
    const std::string token = "    token: t\n";
    struct Case {
        std::string text;
        std::string expect;
    };
    const std::vector<Case> cases = {
        {"a: [unclosed", "not valid YAML"},
        {"- a\n- b\n", "not a kubeconfig"},
        {kubeconfig(ok_server + ca, token, "\"\""), "current-context is not set"},
        {kubeconfig(ok_server + ca, token, "other"),
         "current-context \"other\" is not in contexts"},
        {"current-context: ctx\ncontexts:\n- name: ctx\n  context:\n    cluster: gone\n    user: "
         "u\n",
         "cluster \"gone\", which is not in clusters"},
        {kubeconfig(ca, token), "has no server"},
        {kubeconfig("    server: http://h:1\n" + ca, token), "is not an https:// URL"},
        {kubeconfig("    server: https://h:99999\n" + ca, token), "invalid port"},
        {kubeconfig("    server: https://[::1\n" + ca, token), "unclosed '['"},
        {kubeconfig(ok_server, token),
         "neither certificate-authority nor certificate-authority-data"},
        {kubeconfig(ok_server + "    certificate-authority: missing.crt\n", token), "missing.crt"},
        {kubeconfig(ok_server + "    certificate-authority-data: '@@@'\n", token),
         "certificate-authority-data is not valid base64"},
        {kubeconfig(ok_server + ca + "    insecure-skip-tls-verify: true\n", token),
         "insecure-skip-tls-verify"},
        {kubeconfig(ok_server + ca, "    username: admin\n"),
         "has no token, tokenFile or client certificate"},
        {kubeconfig(ok_server + ca, "    client-certificate: ca.crt\n"), "without its key"},
        {kubeconfig(ok_server + ca, "    tokenFile: nofile\n"), "nofile"},
    };
    for (const auto& c : cases) {
        const std::string message = error_of(c.text);
        EXPECT_NE(message.find(c.expect), std::string::npos)
            << "case expecting \"" << c.expect << "\" got: " << message;
        EXPECT_NE(message.find(dir_ / ""), std::string::npos) << "names no file: " << message;
    }
}

TEST_F(KubeconfigTest, UserMissingIsNamed) {
    write(dir_ / "ca.crt", kPem);
    const std::string text =
        "current-context: ctx\ncontexts:\n- name: ctx\n  context:\n    cluster: c\n    user: who\n"
        "clusters:\n- name: c\n  cluster:\n    server: https://h\n    certificate-authority: "
        "ca.crt\n";
    EXPECT_NE(error_of(text).find("user \"who\", which is not in users"), std::string::npos);
}

class InClusterTest : public ::testing::Test {
  protected:
    EnvLookup env() {
        return [this](const std::string& name) -> std::optional<std::string> {
            auto it = env_.find(name);
            return it == env_.end() ? std::nullopt : std::optional<std::string>(it->second);
        };
    }
    TempDir sa_;
    std::map<std::string, std::string> env_ = {{"KUBERNETES_SERVICE_HOST", "10.96.0.1"},
                                               {"KUBERNETES_SERVICE_PORT", "443"}};
};

TEST_F(InClusterTest, ReadsHostPortTokenFileAndCa) {
    write(sa_ / "token", "sa-token\n");
    write(sa_ / "ca.crt", kPem);
    auto c = load_in_cluster(sa_.path(), env());
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->host, "10.96.0.1");
    EXPECT_EQ(c->port, "443");
    EXPECT_EQ(c->ca_pem, kPem);
    EXPECT_EQ(c->ca_origin, sa_ / "ca.crt");
    EXPECT_EQ(c->token_file, sa_ / "token");
    auto t = current_token(*c);
    ASSERT_TRUE(t);
    EXPECT_EQ(*t, "sa-token");
}

TEST_F(InClusterTest, Ipv6ServiceHost) {
    write(sa_ / "token", "t");
    write(sa_ / "ca.crt", kPem);
    env_["KUBERNETES_SERVICE_HOST"] = "fd00:10:96::1";
    env_["KUBERNETES_SERVICE_PORT"] = "6443";
    auto c = load_in_cluster(sa_.path(), env());
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->host, "fd00:10:96::1");
    EXPECT_EQ(c->port, "6443");
    EXPECT_EQ(server_text(*c), "[fd00:10:96::1]:6443");
}

TEST_F(InClusterTest, MissingVariableIsNamed) {
    env_.erase("KUBERNETES_SERVICE_PORT");
    auto r = load_in_cluster(sa_.path(), env());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Code::invalid_config);
    EXPECT_NE(r.error().message.find("KUBERNETES_SERVICE_PORT"), std::string::npos);
    EXPECT_NE(r.error().message.find("--kubeconfig"), std::string::npos);
}

TEST_F(InClusterTest, MissingCaOrTokenIsNamed) {
    write(sa_ / "token", "t");
    auto no_ca = load_in_cluster(sa_.path(), env());
    ASSERT_FALSE(no_ca);
    EXPECT_NE(no_ca.error().message.find(sa_ / "ca.crt"), std::string::npos)
        << no_ca.error().message;

    write(sa_ / "ca.crt", kPem);
    write(sa_ / "token", " \n");
    auto empty_token = load_in_cluster(sa_.path(), env());
    ASSERT_FALSE(empty_token);
    EXPECT_NE(empty_token.error().message.find("token file " + (sa_ / "token") + " is empty"),
              std::string::npos)
        << empty_token.error().message;
}

}  // namespace
}  // namespace warren::kube

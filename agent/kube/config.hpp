#pragma once
// Where the API server is and how to authenticate to it: from a kubeconfig file or from the
// in-cluster service account (DESIGN §9). Pure reading; no network.
#include <functional>
#include <optional>
#include <string>

#include "warren/error.hpp"

namespace warren::kube {

struct ApiConfig {
    std::string host;       // DNS name or IP address, IPv6 without brackets
    std::string port;       // "443" when the server URL names none
    std::string base_path;  // the server URL's path without the trailing '/', usually empty
    // The CA that must have signed the server's certificate, PEM; `ca_origin` names where it
    // came from in errors ("/path/ca.crt", "certificate-authority-data of /path/kubeconfig").
    std::string ca_pem;
    std::string ca_origin;
    // Bearer token: read from `token_file` before each request when set (rotation), else `token`.
    std::string token;
    std::string token_file;
    // Client certificate and key, PEM; both empty when the user authenticates by token only.
    std::string client_cert_pem;
    std::string client_key_pem;
    std::string origin;  // the kubeconfig path or "in-cluster config (<sa dir>)", for logs
};

// current-context -> context -> cluster (server, certificate-authority[-data]) and user (token,
// tokenFile, client-certificate[-data], client-key[-data]). Relative paths are relative to the
// kubeconfig's directory. Only https:// servers are accepted. Code::invalid_config naming the
// file, the key and what to do.
Result<ApiConfig> load_kubeconfig(const std::string& path);

inline constexpr const char* kDefaultServiceAccountDir =
    "/var/run/secrets/kubernetes.io/serviceaccount";

// KUBERNETES_SERVICE_HOST/PORT from `env` (std::getenv when empty), `sa_dir`/token (as
// token_file, so rotation is picked up) and `sa_dir`/ca.crt. Code::invalid_config naming the
// variable or file and what to do.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
Result<ApiConfig> load_in_cluster(const std::string& sa_dir = kDefaultServiceAccountDir,
                                  const EnvLookup& env = {});

// The bearer token to send now: `token_file`'s content without surrounding whitespace, or
// `token`. Code::invalid_config naming the token file when it cannot be read or is empty.
Result<std::string> current_token(const ApiConfig& config);

// "host:port" for logs, with an IPv6 host in brackets.
std::string server_text(const ApiConfig& config);

}  // namespace warren::kube

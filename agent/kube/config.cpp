#include "kube/config.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace warren::kube {

namespace {

namespace fs = std::filesystem;

Result<std::string> read_text(const std::string& path, const std::string& what) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return fail(Code::invalid_config,
                    fmt::format("cannot read {} {}: {}", what, path, std::strerror(errno)));
    }
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

std::string trim(std::string s) {
    auto not_space = [](unsigned char c) { return !std::isspace(c); };
    s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
    s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
    return s;
}

std::optional<std::string> base64_decode(std::string_view in) {
    std::string clean;
    for (char c : in) {
        if (!std::isspace(static_cast<unsigned char>(c))) clean += c;
    }
    if (clean.empty() || clean.size() % 4 != 0) return std::nullopt;
    std::string out(clean.size() / 4 * 3, '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(clean.data()),
                                  static_cast<int>(clean.size()));
    if (n < 0) return std::nullopt;
    size_t pad = 0;
    if (clean.ends_with("==")) {
        pad = 2;
    } else if (clean.ends_with("=")) {
        pad = 1;
    }
    out.resize(static_cast<size_t>(n) - pad);
    return out;
}

// https://host[:port][/path]; host may be [v6].
Status parse_server(const std::string& url, ApiConfig& out, const std::string& where) {
    auto bad = [&](const std::string& why) {
        return fail(
            Code::invalid_config,
            fmt::format("{}: server \"{}\" {}; expected https://HOST[:PORT]", where, url, why));
    };
    constexpr std::string_view scheme = "https://";
    if (!url.starts_with(scheme)) return bad("is not an https:// URL (warren only talks TLS)");
    std::string rest = url.substr(scheme.size());
    const size_t slash = rest.find('/');
    std::string authority = rest.substr(0, slash);
    out.base_path = slash == std::string::npos ? "" : rest.substr(slash);
    while (out.base_path.ends_with('/')) out.base_path.pop_back();
    std::string host, port = "443";
    if (authority.starts_with('[')) {
        const size_t close = authority.find(']');
        if (close == std::string::npos) return bad("has an unclosed '['");
        host = authority.substr(1, close - 1);
        const std::string after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after[0] != ':') return bad("has text after ']' that is not :PORT");
            port = after.substr(1);
        }
    } else {
        const size_t colon = authority.rfind(':');
        host = authority.substr(0, colon);
        if (colon != std::string::npos) port = authority.substr(colon + 1);
    }
    if (host.empty()) return bad("has no host");
    if (port.empty() ||
        !std::all_of(port.begin(), port.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) ||
        std::atoi(port.c_str()) < 1 || std::atoi(port.c_str()) > 65535) {
        return bad("has an invalid port");
    }
    out.host = host;
    out.port = port;
    return {};
}

const YAML::Node find_named(const YAML::Node& list, const std::string& name) {
    if (!list.IsSequence()) return YAML::Node();
    for (const auto& entry : list) {
        if (entry.IsMap() && entry["name"] && entry["name"].IsScalar() &&
            entry["name"].as<std::string>() == name) {
            return entry;
        }
    }
    return YAML::Node();
}

std::string scalar(const YAML::Node& map, const char* key) {
    if (!map.IsMap()) return {};
    const YAML::Node v = map[key];
    return v && v.IsScalar() ? v.as<std::string>() : std::string();
}

// A PEM from `<key>-data` (base64) or `<key>` (a file, relative to the kubeconfig's dir).
Result<std::string> pem_from(const YAML::Node& map, const std::string& key, const fs::path& dir,
                             const std::string& where, std::string* origin) {
    const std::string data = scalar(map, (key + "-data").c_str());
    if (!data.empty()) {
        auto decoded = base64_decode(data);
        if (!decoded) {
            return fail(Code::invalid_config,
                        fmt::format("{}: {}-data is not valid base64; give the PEM base64-encoded "
                                    "(base64 -w0 FILE) or name the file in {}",
                                    where, key, key));
        }
        if (origin) *origin = fmt::format("{}-data of {}", key, where);
        return *decoded;
    }
    const std::string file = scalar(map, key.c_str());
    if (file.empty()) return std::string();
    const fs::path p = fs::path(file).is_absolute() ? fs::path(file) : dir / file;
    if (origin) *origin = p.string();
    return read_text(p.string(), fmt::format("{} named in {}:", key, where));
}

}  // namespace

Result<ApiConfig> load_kubeconfig(const std::string& path) {
    auto text = read_text(path, "kubeconfig");
    if (!text) return std::unexpected(text.error());
    YAML::Node root;
    try {
        root = YAML::Load(*text);
    } catch (const YAML::Exception& e) {
        return fail(
            Code::invalid_config,
            fmt::format("{}: not valid YAML: {}; give a kubeconfig (kubectl config view --raw)",
                        path, e.what()));
    }
    if (!root.IsMap()) {
        return fail(Code::invalid_config,
                    fmt::format("{}: not a kubeconfig (expected a YAML mapping with clusters, "
                                "contexts, users and current-context)",
                                path));
    }
    const std::string context_name = scalar(root, "current-context");
    if (context_name.empty()) {
        return fail(Code::invalid_config,
                    fmt::format("{}: current-context is not set; set it (kubectl config "
                                "use-context NAME --kubeconfig {})",
                                path, path));
    }
    const YAML::Node context = find_named(root["contexts"], context_name)["context"];
    if (!context || !context.IsMap()) {
        return fail(Code::invalid_config,
                    fmt::format("{}: current-context \"{}\" is not in contexts; add it or pick "
                                "another one",
                                path, context_name));
    }
    const std::string cluster_name = scalar(context, "cluster");
    const YAML::Node cluster = find_named(root["clusters"], cluster_name)["cluster"];
    if (cluster_name.empty() || !cluster || !cluster.IsMap()) {
        return fail(Code::invalid_config,
                    fmt::format("{}: context \"{}\" names cluster \"{}\", which is not in "
                                "clusters; add it",
                                path, context_name, cluster_name));
    }
    ApiConfig out;
    out.origin = path;
    const std::string where = path;
    const std::string server = scalar(cluster, "server");
    if (server.empty()) {
        return fail(Code::invalid_config,
                    fmt::format("{}: cluster \"{}\" has no server; set it to the API server's "
                                "https:// URL",
                                path, cluster_name));
    }
    if (auto st = parse_server(server, out, where); !st) return std::unexpected(st.error());
    if (scalar(cluster, "insecure-skip-tls-verify") == "true") {
        return fail(Code::invalid_config,
                    fmt::format("{}: cluster \"{}\" sets insecure-skip-tls-verify; warren always "
                                "verifies the server, give certificate-authority[-data] instead",
                                path, cluster_name));
    }
    const fs::path dir = fs::absolute(fs::path(path)).parent_path();
    auto ca = pem_from(cluster, "certificate-authority", dir, where, &out.ca_origin);
    if (!ca) return std::unexpected(ca.error());
    if (ca->empty()) {
        return fail(Code::invalid_config,
                    fmt::format("{}: cluster \"{}\" has neither certificate-authority nor "
                                "certificate-authority-data; warren verifies the server against "
                                "that CA, add one",
                                path, cluster_name));
    }
    out.ca_pem = std::move(*ca);

    const std::string user_name = scalar(context, "user");
    const YAML::Node user = find_named(root["users"], user_name)["user"];
    if (user_name.empty() || !user || !user.IsMap()) {
        return fail(Code::invalid_config,
                    fmt::format("{}: context \"{}\" names user \"{}\", which is not in users; "
                                "add it",
                                path, context_name, user_name));
    }
    out.token = scalar(user, "token");
    const std::string token_file = scalar(user, "tokenFile");
    if (!token_file.empty()) {
        out.token_file =
            fs::path(token_file).is_absolute() ? token_file : (dir / token_file).string();
    }
    auto cert = pem_from(user, "client-certificate", dir, where, nullptr);
    if (!cert) return std::unexpected(cert.error());
    auto key = pem_from(user, "client-key", dir, where, nullptr);
    if (!key) return std::unexpected(key.error());
    if (cert->empty() != key->empty()) {
        return fail(Code::invalid_config,
                    fmt::format("{}: user \"{}\" has a client certificate without its key or a "
                                "key without its certificate; give both client-certificate[-data] "
                                "and client-key[-data]",
                                path, user_name));
    }
    out.client_cert_pem = std::move(*cert);
    out.client_key_pem = std::move(*key);
    if (out.token.empty() && out.token_file.empty() && out.client_cert_pem.empty()) {
        return fail(Code::invalid_config,
                    fmt::format("{}: user \"{}\" has no token, tokenFile or client certificate; "
                                "warren supports only those (no exec or auth-provider plugins)",
                                path, user_name));
    }
    if (!out.token_file.empty()) {
        if (auto t = current_token(out); !t) return std::unexpected(t.error());
    }
    return out;
}

Result<ApiConfig> load_in_cluster(const std::string& sa_dir, const EnvLookup& env) {
    auto get = [&](const std::string& name) -> std::optional<std::string> {
        if (env) return env(name);
        const char* v = std::getenv(name.c_str());
        return v ? std::optional<std::string>(v) : std::nullopt;
    };
    const auto host = get("KUBERNETES_SERVICE_HOST");
    const auto port = get("KUBERNETES_SERVICE_PORT");
    if (!host || host->empty() || !port || port->empty()) {
        return fail(Code::invalid_config,
                    "in-cluster config: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must "
                    "be set (they are inside a pod); outside a cluster pass --kubeconfig FILE");
    }
    ApiConfig out;
    const std::string url = host->find(':') != std::string::npos
                                ? fmt::format("https://[{}]:{}", *host, *port)
                                : fmt::format("https://{}:{}", *host, *port);
    if (auto st = parse_server(url, out, "in-cluster config (KUBERNETES_SERVICE_HOST/PORT)"); !st) {
        return std::unexpected(st.error());
    }
    out.origin = fmt::format("in-cluster config ({})", sa_dir);
    out.ca_origin = sa_dir + "/ca.crt";
    auto ca = read_text(out.ca_origin, "the service account CA");
    if (!ca) return std::unexpected(ca.error());
    out.ca_pem = std::move(*ca);
    out.token_file = sa_dir + "/token";
    if (auto t = current_token(out); !t) return std::unexpected(t.error());
    return out;
}

Result<std::string> current_token(const ApiConfig& config) {
    if (config.token_file.empty()) return config.token;
    auto text = read_text(config.token_file, "token file");
    if (!text) return std::unexpected(text.error());
    std::string token = trim(std::move(*text));
    if (token.empty()) {
        return fail(Code::invalid_config,
                    fmt::format("token file {} is empty; it must hold the bearer token",
                                config.token_file));
    }
    return token;
}

std::string server_text(const ApiConfig& config) {
    return config.host.find(':') != std::string::npos
               ? fmt::format("[{}]:{}", config.host, config.port)
               : fmt::format("{}:{}", config.host, config.port);
}

}  // namespace warren::kube

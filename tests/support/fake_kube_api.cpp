#include "support/fake_kube_api.hpp"

#include <utility>
// <utility> first: Boost 1.74's asio/awaitable.hpp uses std::exchange without it.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <thread>

namespace warren::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using net::ip::tcp;
using nlohmann::json;

namespace {

// ---- certificates, generated with the OpenSSL API ----

struct Pki {
    std::string ca_pem;
    std::string server_cert_pem;
    std::string server_key_pem;
    std::string foreign_ca_pem;
};

using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using CertPtr = std::unique_ptr<X509, decltype(&X509_free)>;

void check(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string("fake kube api: OpenSSL: ") + what);
}

KeyPtr new_key() {
    KeyPtr key(EVP_EC_gen("P-256"), EVP_PKEY_free);
    check(key != nullptr, "EVP_EC_gen");
    return key;
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    check(ext != nullptr, "X509V3_EXT_conf_nid");
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

// Signed by (issuer, issuer_key), or self-signed when issuer is null.
CertPtr new_cert(EVP_PKEY* key, const char* cn, X509* issuer, EVP_PKEY* issuer_key, bool ca,
                 const std::string& san = {}) {
    static long serial = 1;
    CertPtr cert(X509_new(), X509_free);
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 7L * 24 * 3600);
    X509_set_pubkey(cert.get(), key);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
    X509* signer = issuer ? issuer : cert.get();
    X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
    if (ca) {
        add_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
        add_ext(cert.get(), signer, NID_subject_key_identifier, "hash");
    } else {
        add_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
        add_ext(cert.get(), signer, NID_key_usage, "critical,digitalSignature,keyEncipherment");
        add_ext(cert.get(), signer, NID_ext_key_usage, "serverAuth");
        add_ext(cert.get(), signer, NID_subject_alt_name, san.c_str());
    }
    check(X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) > 0, "X509_sign");
    return cert;
}

template <class Write>
std::string to_pem(Write write) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    check(write(bio.get()) == 1, "PEM_write");
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(n));
}

Pki make_pki(const std::string& san) {
    Pki out;
    KeyPtr ca_key = new_key();
    CertPtr ca = new_cert(ca_key.get(), "warren-test-ca", nullptr, nullptr, true);
    KeyPtr server_key = new_key();
    CertPtr server =
        new_cert(server_key.get(), "kube-apiserver", ca.get(), ca_key.get(), false, san);
    KeyPtr foreign_key = new_key();
    CertPtr foreign = new_cert(foreign_key.get(), "warren-test-ca", nullptr, nullptr, true);
    out.ca_pem = to_pem([&](BIO* b) { return PEM_write_bio_X509(b, ca.get()); });
    out.foreign_ca_pem = to_pem([&](BIO* b) { return PEM_write_bio_X509(b, foreign.get()); });
    out.server_cert_pem = to_pem([&](BIO* b) { return PEM_write_bio_X509(b, server.get()); });
    out.server_key_pem = to_pem([&](BIO* b) {
        return PEM_write_bio_PrivateKey(b, server_key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    });
    return out;
}

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) throw std::runtime_error("fake kube api: cannot write " + path);
}

std::string random_token() {
    std::random_device rd;
    return fmt::format("fake-token-{:016x}{:08x}", (uint64_t(rd()) << 32) | rd(), rd());
}

std::string query_param(const std::string& target, const std::string& key) {
    const size_t q = target.find('?');
    if (q == std::string::npos) return {};
    std::string rest = target.substr(q + 1);
    size_t pos = 0;
    while (pos <= rest.size()) {
        size_t amp = rest.find('&', pos);
        if (amp == std::string::npos) amp = rest.size();
        const std::string pair = rest.substr(pos, amp - pos);
        const size_t eq = pair.find('=');
        if (pair.substr(0, eq) == key) return eq == std::string::npos ? "" : pair.substr(eq + 1);
        pos = amp + 1;
    }
    return {};
}

json status_object(int code, const std::string& reason, const std::string& message) {
    return {{"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", json::object()},
            {"status", "Failure"}, {"message", message}, {"reason", reason},
            {"code", code}};
}

enum class Kind { node, pods, namespaces };

const char* object_kind(Kind kind) {
    switch (kind) {
        case Kind::node:
            return "Node";
        case Kind::pods:
            return "Pod";
        case Kind::namespaces:
            return "Namespace";
    }
    return "";
}

// One page of `items` as the API lists them: `limit` (0: all) from the offset in `continue`.
json list_page(const std::vector<json>& items, const char* kind, int64_t rv,
               const std::string& limit, const std::string& from) {
    const size_t n = static_cast<size_t>(std::atoll(limit.c_str()));
    const size_t offset = static_cast<size_t>(std::atoll(from.c_str()));
    json list = {{"apiVersion", "v1"},
                 {"kind", kind},
                 {"metadata", {{"resourceVersion", std::to_string(rv)}}},
                 {"items", json::array()}};
    const size_t end = n == 0 ? items.size() : std::min(items.size(), offset + n);
    for (size_t i = std::min(offset, items.size()); i < end; ++i) {
        json item = items[i];
        item.erase("kind");
        item.erase("apiVersion");
        list["items"].push_back(std::move(item));
    }
    if (end < items.size()) list["metadata"]["continue"] = std::to_string(end);
    return list;
}

}  // namespace

// ---- state shared by the control API (test thread) and the server (its thread) ----

struct FakeKubeApi::State {
    struct Watch {
        Kind kind;
        std::string on_node;  // pods: the fieldSelector's spec.nodeName ("" for every node)
        std::deque<std::string> lines;
        bool end = false;
        net::steady_timer wake;
        explicit Watch(net::io_context& io, Kind k) : kind(k), wake(io) {}
    };
    struct Change {
        int64_t rv;
        Kind kind;
        std::string on_node;  // pods: the pod's spec.nodeName
        std::string line;
    };

    net::io_context io{1};
    net::ssl::context ssl{net::ssl::context::tls_server};
    tcp::acceptor acceptor{io};
    std::thread thread;
    Pki pki;
    std::string dir;
    uint16_t port = 0;

    mutable std::mutex mu;
    std::string valid_token;
    json node;                         // null until set_node
    json kubeadm_config;               // null until set_kubeadm_config
    bool kubeadm_config_forbidden = false;
    std::map<std::string, json> pods;  // by uid

    std::map<std::string, json> namespaces;  // by name
    bool namespaces_forbidden = false;
    bool namespaces_held = false;
    int64_t rv = 100;
    int64_t compacted_before = 0;  // watches from an older resourceVersion get 410
    bool gone_as_http = false;
    std::vector<Change> history;
    std::vector<std::shared_ptr<Watch>> watches;
    std::vector<Request> log;
    bool hanging = false;
    std::vector<std::shared_ptr<tcp::socket>> hung;

    // Under mu: stamps the next resourceVersion on `object`.
    int64_t bump(json& object) {
        ++rv;
        object["metadata"]["resourceVersion"] = std::to_string(rv);
        return rv;
    }
    static std::string node_of(const json& pod) {
        auto spec = pod.find("spec");
        return spec != pod.end() && spec->is_object() ? spec->value("nodeName", "") : "";
    }
    static bool selects(const std::string& on_node, Kind kind, const std::string& object_node) {
        return kind != Kind::pods || on_node.empty() || on_node == object_node;
    }
    // Under mu: records the event and queues it on open watches of `kind` that select it.
    void publish(Kind kind, const char* type, const json& object, int64_t at) {
        std::string line = json{{"type", type}, {"object", object}}.dump() + "\n";
        const std::string on = kind == Kind::pods ? node_of(object) : "";
        history.push_back({at, kind, on, line});
        for (auto& w : watches) {
            if (w->kind == kind && selects(w->on_node, kind, on)) w->lines.push_back(line);
        }
        wake_all();
    }
    void wake_all() {
        for (auto& w : watches) {
            net::post(io, [w] { w->wake.cancel(); });
        }
    }

    net::awaitable<void> accept_loop();
    net::awaitable<void> serve(tcp::socket socket);
    template <class Stream>
    net::awaitable<void> stream_watch(Stream& stream, Kind kind, const std::string& on_node,
                                      std::optional<int64_t> from, int timeout_s);
};

net::awaitable<void> FakeKubeApi::State::accept_loop() {
    for (;;) {
        boost::system::error_code ec;
        tcp::socket socket =
            co_await acceptor.async_accept(net::redirect_error(net::use_awaitable, ec));
        if (ec) co_return;
        {
            std::lock_guard lock(mu);
            if (hanging) {
                hung.push_back(std::make_shared<tcp::socket>(std::move(socket)));
                continue;
            }
        }
        net::co_spawn(io, serve(std::move(socket)), net::detached);
    }
}

template <class Stream>
net::awaitable<void> FakeKubeApi::State::stream_watch(Stream& stream, Kind kind,
                                                      const std::string& on_node,
                                                      std::optional<int64_t> from, int timeout_s) {
    auto watch = std::make_shared<Watch>(io, kind);
    watch->on_node = on_node;
    {
        std::lock_guard lock(mu);
        if (from) {
            // What happened since `from`.
            for (const auto& c : history) {
                if (c.kind == kind && c.rv > *from && selects(on_node, kind, c.on_node)) {
                    watch->lines.push_back(c.line);
                }
            }
        } else if (kind == Kind::node && !node.is_null()) {
            // No resourceVersion: the current state as ADDED events first.
            watch->lines.push_back(json{{"type", "ADDED"}, {"object", node}}.dump() + "\n");
        } else if (kind == Kind::pods) {
            for (const auto& [uid, pod] : pods) {
                if (selects(on_node, kind, node_of(pod))) {
                    watch->lines.push_back(json{{"type", "ADDED"}, {"object", pod}}.dump() + "\n");
                }
            }
        } else if (kind == Kind::namespaces) {
            for (const auto& [name, ns] : namespaces) {
                watch->lines.push_back(json{{"type", "ADDED"}, {"object", ns}}.dump() + "\n");
            }
        }
        watches.push_back(watch);
    }
    boost::system::error_code ec;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    for (;;) {
        std::deque<std::string> lines;
        bool end = false, hang_now = false;
        {
            std::lock_guard lock(mu);
            hang_now = hanging;
            if (!hang_now) {
                lines.swap(watch->lines);
                end = watch->end;
            }
        }
        for (const auto& line : lines) {
            co_await net::async_write(stream, http::make_chunk(net::buffer(line)),
                                      net::redirect_error(net::use_awaitable, ec));
            if (ec) break;
        }
        if (ec || end) break;
        // Look again before waiting: a wake-up posted while we were writing is gone. Between
        // that look and async_wait nothing else runs on this thread, so none is lost there.
        if (!lines.empty()) continue;
        if (hang_now) {
            watch->wake.expires_at(net::steady_timer::time_point::max());
        } else {
            if (std::chrono::steady_clock::now() >= deadline) break;
            watch->wake.expires_at(deadline);
        }
        co_await watch->wake.async_wait(net::redirect_error(net::use_awaitable, ec));
        ec = {};
    }
    {
        std::lock_guard lock(mu);
        std::erase(watches, watch);
    }
    if (!ec) {
        co_await net::async_write(stream, http::make_chunk_last(),
                                  net::redirect_error(net::use_awaitable, ec));
    }
}

net::awaitable<void> FakeKubeApi::State::serve(tcp::socket socket) {
    beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), ssl);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
    boost::system::error_code ec;
    co_await stream.async_handshake(net::ssl::stream_base::server,
                                    net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return;
    const char* sni = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name);
    const std::string server_name = sni ? sni : "";
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    co_await http::async_read(stream, buffer, req, net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return;
    beast::get_lowest_layer(stream).expires_never();

    const std::string target(req.target());
    const bool watch =
        query_param(target, "watch") == "1" || query_param(target, "watch") == "true";
    if (target.substr(0, target.find('?')) == "/api/v1/namespaces" && !watch) {
        net::steady_timer poll(io);
        for (;;) {
            {
                std::lock_guard lock(mu);
                if (!namespaces_held) break;
            }
            poll.expires_after(std::chrono::milliseconds(10));
            co_await poll.async_wait(net::redirect_error(net::use_awaitable, ec));
            if (ec) co_return;
        }
    }

    const std::string auth(req[http::field::authorization]);
    http::response<http::string_body> res{http::status::ok, 11};
    res.set(http::field::content_type, "application/json");
    res.keep_alive(false);
    std::optional<int64_t> from;
    Kind kind = Kind::pods;
    std::string on_node;
    bool stream_it = false;
    {
        std::lock_guard lock(mu);
        log.push_back({std::string(req.method_string()), target, auth, server_name});
        const std::string path = target.substr(0, target.find('?'));
        const std::string rv_param = query_param(target, "resourceVersion");
        const std::string selector = query_param(target, "fieldSelector");
        if (selector.starts_with("spec.nodeName%3D")) {
            on_node = selector.substr(std::string("spec.nodeName%3D").size());
        }
        if (!rv_param.empty()) from = std::atoll(rv_param.c_str());
        const std::string node_name =
            node.is_null() ? "" : node["metadata"]["name"].get<std::string>();
        auto answer = [&](http::status s, const json& body) {
            res.result(s);
            res.body() = body.dump();
        };
        if (auth != "Bearer " + valid_token) {
            answer(http::status::unauthorized, status_object(401, "Unauthorized", "Unauthorized"));
        } else if (req.method() != http::verb::get) {
            answer(http::status::method_not_allowed,
                   status_object(405, "MethodNotAllowed", "the fake serves GET only"));
        } else if (path.starts_with("/api/v1/nodes/")) {
            const std::string name = path.substr(std::string("/api/v1/nodes/").size());
            if (node.is_null() || name != node_name) {
                answer(http::status::not_found,
                       status_object(404, "NotFound", fmt::format("nodes \"{}\" not found", name)));
            } else {
                answer(http::status::ok, node);
            }
        } else if (path == "/api/v1/namespaces/kube-system/configmaps/kubeadm-config") {
            if (kubeadm_config_forbidden) {
                answer(http::status::forbidden,
                       status_object(403, "Forbidden",
                                     "configmaps \"kubeadm-config\" is forbidden: User "
                                     "\"system:serviceaccount:kube-system:warren\" cannot get "
                                     "resource \"configmaps\" in API group \"\" in the "
                                     "namespace \"kube-system\""));
            } else if (kubeadm_config.is_null()) {
                answer(http::status::not_found,
                       status_object(404, "NotFound", "configmaps \"kubeadm-config\" not found"));
            } else {
                answer(http::status::ok, kubeadm_config);
            }
        } else if (path == "/api/v1/nodes" && watch) {
            kind = Kind::node;
            stream_it = true;
        } else if (path == "/api/v1/pods" && watch) {
            kind = Kind::pods;
            stream_it = true;
        } else if (path == "/api/v1/pods") {
            std::vector<json> items;
            for (const auto& [uid, pod] : pods) {
                if (selects(on_node, Kind::pods, node_of(pod))) items.push_back(pod);
            }
            answer(http::status::ok, list_page(items, "PodList", rv, query_param(target, "limit"),
                                               query_param(target, "continue")));
        } else if (path == "/api/v1/namespaces" && namespaces_forbidden) {
            answer(http::status::forbidden,
                   status_object(403, "Forbidden",
                                 "namespaces is forbidden: User "
                                 "\"system:serviceaccount:kube-system:warren\" cannot list "
                                 "resource \"namespaces\" in API group \"\" at the cluster "
                                 "scope"));
        } else if (path == "/api/v1/namespaces" && watch) {
            kind = Kind::namespaces;
            stream_it = true;
        } else if (path == "/api/v1/namespaces") {
            std::vector<json> items;
            for (const auto& [name, ns] : namespaces) items.push_back(ns);
            answer(http::status::ok,
                   list_page(items, "NamespaceList", rv, query_param(target, "limit"),
                             query_param(target, "continue")));
        } else {
            answer(
                http::status::not_found,
                status_object(404, "NotFound", "the server could not find the requested resource"));
        }
        if (stream_it && from && *from < compacted_before && gone_as_http) {
            stream_it = false;
            answer(http::status::gone, status_object(410, "Expired", "too old resource version"));
        }
    }
    if (!stream_it) {
        res.prepare_payload();
        co_await http::async_write(stream, res, net::redirect_error(net::use_awaitable, ec));
        co_return;
    }
    http::response<http::empty_body> head{http::status::ok, 11};
    head.set(http::field::content_type, "application/json");
    head.keep_alive(false);
    head.chunked(true);
    http::response_serializer<http::empty_body> sr{head};
    co_await http::async_write_header(stream, sr, net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return;
    bool gone = false;
    {
        std::lock_guard lock(mu);
        gone = from && *from < compacted_before;
    }
    if (gone) {
        const std::string line =
            json{{"type", "ERROR"},
                 {"object", status_object(410, "Expired",
                                          fmt::format("too old resource version: {} ({})", *from,
                                                      compacted_before))}}
                .dump() +
            "\n";
        co_await net::async_write(stream, http::make_chunk(net::buffer(line)),
                                  net::redirect_error(net::use_awaitable, ec));
        if (!ec)
            co_await net::async_write(stream, http::make_chunk_last(),
                                      net::redirect_error(net::use_awaitable, ec));
        co_return;
    }
    int timeout_s = std::atoi(query_param(target, "timeoutSeconds").c_str());
    if (timeout_s <= 0) timeout_s = 1800;
    co_await stream_watch(stream, kind, on_node, from, timeout_s);
}

// ---- the control API ----

FakeKubeApi::FakeKubeApi(std::string dir, std::string server_san)
    : state_(std::make_shared<State>()) {
    State& s = *state_;
    s.dir = std::move(dir);
    s.pki = make_pki(server_san);
    s.valid_token = random_token();
    s.ssl.use_certificate_chain(net::buffer(s.pki.server_cert_pem));
    s.ssl.use_private_key(net::buffer(s.pki.server_key_pem), net::ssl::context::pem);
    tcp::endpoint ep(net::ip::make_address("127.0.0.1"), 0);
    s.acceptor.open(ep.protocol());
    s.acceptor.set_option(tcp::acceptor::reuse_address(true));
    s.acceptor.bind(ep);
    s.acceptor.listen();
    s.port = s.acceptor.local_endpoint().port();
    write_file(ca_path(), s.pki.ca_pem);
    write_file(token_path(), s.valid_token + "\n");
    write_file(kubeconfig_path(), fmt::format(R"(apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: {}
    certificate-authority: {}
contexts:
- name: fake
  context:
    cluster: fake
    user: warren
current-context: fake
users:
- name: warren
  user:
    tokenFile: {}
)",
                                              server_url(), ca_path(), token_path()));
    net::co_spawn(s.io, s.accept_loop(), net::detached);
    s.thread = std::thread([st = state_] { st->io.run(); });
}

FakeKubeApi::~FakeKubeApi() {
    state_->io.stop();
    if (state_->thread.joinable()) state_->thread.join();
}

uint16_t FakeKubeApi::port() const {
    return state_->port;
}
std::string FakeKubeApi::server_url() const {
    return fmt::format("https://127.0.0.1:{}", port());
}
std::string FakeKubeApi::kubeconfig_path() const {
    return state_->dir + "/kubeconfig";
}
std::string FakeKubeApi::ca_path() const {
    return state_->dir + "/ca.crt";
}
std::string FakeKubeApi::token_path() const {
    return state_->dir + "/token";
}
std::string FakeKubeApi::foreign_ca_pem() const {
    return state_->pki.foreign_ca_pem;
}

void FakeKubeApi::write_service_account(const std::string& sa_dir) const {
    write_file(sa_dir + "/ca.crt", state_->pki.ca_pem);
    write_file(sa_dir + "/token", valid_token());
    write_file(sa_dir + "/namespace", "kube-system");
}

json FakeKubeApi::make_node(const std::string& name, const std::vector<std::string>& pod_cidrs) {
    json node = {{"apiVersion", "v1"},
                 {"kind", "Node"},
                 {"metadata",
                  {{"name", name},
                   {"uid", "5b0c9a3e-" + name},
                   {"resourceVersion", "1"},
                   {"creationTimestamp", "2026-11-30T08:00:00Z"},
                   {"labels",
                    {{"kubernetes.io/arch", "amd64"},
                     {"kubernetes.io/hostname", name},
                     {"kubernetes.io/os", "linux"}}},
                   {"annotations", {{"node.alpha.kubernetes.io/ttl", "0"}}}}},
                 {"spec", json::object()},
                 {"status",
                  {{"addresses", json::array({{{"type", "InternalIP"}, {"address", "192.0.2.10"}},
                                              {{"type", "Hostname"}, {"address", name}}})},
                   {"conditions", json::array({{{"type", "Ready"},
                                                {"status", "True"},
                                                {"reason", "KubeletReady"},
                                                {"lastHeartbeatTime", "2026-11-30T08:00:00Z"}}})},
                   {"nodeInfo",
                    {{"kubeletVersion", "v1.29.0"},
                     {"containerRuntimeVersion", "containerd://1.6.20"},
                     {"operatingSystem", "linux"},
                     {"architecture", "amd64"}}}}}};
    if (!pod_cidrs.empty()) {
        node["spec"]["podCIDR"] = pod_cidrs.front();
        node["spec"]["podCIDRs"] = pod_cidrs;
    }
    return node;
}

json FakeKubeApi::make_pod(const std::string& name, const std::string& uid, const std::string& node,
                           const std::string& phase) {
    return {{"apiVersion", "v1"},
            {"kind", "Pod"},
            {"metadata",
             {{"name", name},
              {"namespace", "default"},
              {"uid", uid},
              {"resourceVersion", "1"},
              {"creationTimestamp", "2026-11-30T08:00:00Z"}}},
            {"spec",
             {{"nodeName", node},
              {"containers", json::array({{{"name", "app"}, {"image", "busybox"}}})}}},
            {"status", {{"phase", phase}, {"hostIP", "192.0.2.10"}}}};
}

json FakeKubeApi::make_kubeadm_config(const std::string& pod_subnet,
                                      const std::string& service_subnet) {
    std::string networking = "networking:\n  dnsDomain: cluster.local\n";
    if (!pod_subnet.empty()) networking += "  podSubnet: " + pod_subnet + "\n";
    if (!service_subnet.empty()) networking += "  serviceSubnet: " + service_subnet + "\n";
    const std::string cluster_configuration =
        "apiServer:\n  extraArgs:\n    authorization-mode: Node,RBAC\n  timeoutForControlPlane: "
        "4m0s\napiVersion: kubeadm.k8s.io/v1beta3\ncertificatesDir: /etc/kubernetes/pki\n"
        "clusterName: kubernetes\ncontrollerManager: {}\ndns: {}\netcd:\n  local:\n    dataDir: "
        "/var/lib/etcd\nimageRepository: registry.k8s.io\nkind: ClusterConfiguration\n"
        "kubernetesVersion: v1.28.4\n" +
        networking + "scheduler: {}\n";
    return {{"apiVersion", "v1"},
            {"kind", "ConfigMap"},
            {"metadata",
             {{"name", "kubeadm-config"},
              {"namespace", "kube-system"},
              {"uid", "5f0c3d1e-7a7b-4c51-9d2a-0c9e6f1b2a34"},
              {"creationTimestamp", "2026-11-30T07:58:12Z"}}},
            {"data", {{"ClusterConfiguration", cluster_configuration}}}};
}

void FakeKubeApi::set_kubeadm_config(json configmap) {
    State& s = *state_;
    std::lock_guard lock(s.mu);
    s.bump(configmap);
    s.kubeadm_config = std::move(configmap);
}

void FakeKubeApi::forbid_kubeadm_config(bool on) {
    State& s = *state_;
    std::lock_guard lock(s.mu);
    s.kubeadm_config_forbidden = on;
}

void FakeKubeApi::set_node(json node) {
    State& s = *state_;
    std::lock_guard lock(s.mu);
    const bool first = s.node.is_null();
    const int64_t at = s.bump(node);
    s.node = node;
    s.publish(Kind::node, first ? "ADDED" : "MODIFIED", node, at);
}

void FakeKubeApi::add_pod(json pod) {
    State& s = *state_;
    std::lock_guard lock(s.mu);
    const int64_t at = s.bump(pod);
    s.pods[pod["metadata"]["uid"].get<std::string>()] = pod;
    s.publish(Kind::pods, "ADDED", pod, at);
}

void FakeKubeApi::modify_pod(json pod) {
    State& s = *state_;
    std::lock_guard lock(s.mu);
    const int64_t at = s.bump(pod);
    s.pods[pod["metadata"]["uid"].get<std::string>()] = pod;
    s.publish(Kind::pods, "MODIFIED", pod, at);
}

void FakeKubeApi::delete_pod(const std::string& uid) {
    State& s = *state_;
    std::lock_guard lock(s.mu);
    auto it = s.pods.find(uid);
    if (it == s.pods.end()) {
        ADD_FAILURE() << "fake kube api: delete_pod of unknown uid " << uid;
        return;
    }
    json pod = it->second;
    s.pods.erase(it);
    const int64_t at = s.bump(pod);
    s.publish(Kind::pods, "DELETED", pod, at);
}

json FakeKubeApi::make_namespace(const std::string& name,
                                 const std::map<std::string, std::string>& labels) {
    json all_labels = {{"kubernetes.io/metadata.name", name}};
    for (const auto& [k, v] : labels) all_labels[k] = v;
    return {{"apiVersion", "v1"},
            {"kind", "Namespace"},
            {"metadata",
             {{"name", name},
              {"uid", "7c1d2e3f-" + name},
              {"resourceVersion", "1"},
              {"creationTimestamp", "2026-11-30T08:00:00Z"},
              {"labels", all_labels}}},
            {"spec", {{"finalizers", json::array({"kubernetes"})}}},
            {"status", {{"phase", "Active"}}}};
}

void FakeKubeApi::add_namespace(json ns) {
    State& s = *state_;
    std::lock_guard lock(s.mu);
    const int64_t at = s.bump(ns);
    s.namespaces[ns["metadata"]["name"].get<std::string>()] = ns;
    s.publish(Kind::namespaces, "ADDED", ns, at);
}

void FakeKubeApi::modify_namespace(json ns) {
    State& s = *state_;
    std::lock_guard lock(s.mu);
    const int64_t at = s.bump(ns);
    s.namespaces[ns["metadata"]["name"].get<std::string>()] = ns;
    s.publish(Kind::namespaces, "MODIFIED", ns, at);
}

void FakeKubeApi::delete_namespace(const std::string& name) {
    State& s = *state_;
    std::lock_guard lock(s.mu);
    auto it = s.namespaces.find(name);
    if (it == s.namespaces.end()) {
        ADD_FAILURE() << "fake kube api: delete_namespace of unknown namespace " << name;
        return;
    }
    json ns = it->second;
    s.namespaces.erase(it);
    const int64_t at = s.bump(ns);
    s.publish(Kind::namespaces, "DELETED", ns, at);
}

void FakeKubeApi::forbid_namespaces(bool on) {
    State& s = *state_;
    std::lock_guard lock(s.mu);
    s.namespaces_forbidden = on;
}

void FakeKubeApi::hold_namespaces(bool on) {
    State& s = *state_;
    std::lock_guard lock(s.mu);
    s.namespaces_held = on;
}

void FakeKubeApi::send_bookmarks() {
    State& s = *state_;
    std::lock_guard lock(s.mu);
    for (auto& w : s.watches) {
        json object = {{"kind", object_kind(w->kind)},
                       {"apiVersion", "v1"},
                       {"metadata", {{"resourceVersion", std::to_string(s.rv)}}}};
        w->lines.push_back(json{{"type", "BOOKMARK"}, {"object", object}}.dump() + "\n");
    }
    s.wake_all();
}

void FakeKubeApi::expire_watches(Expiry how) {
    State& s = *state_;
    std::lock_guard lock(s.mu);
    // Other objects moved the revision on; everything up to it is compacted away.
    s.compacted_before = ++s.rv;
    s.gone_as_http = how == Expiry::http_status;
    s.history.clear();
    const std::string line =
        json{{"type", "ERROR"},
             {"object", status_object(410, "Expired",
                                      "The resourceVersion for the provided watch is too old.")}}
            .dump() +
        "\n";
    for (auto& w : s.watches) {
        if (how == Expiry::error_event) w->lines.push_back(line);
        w->end = true;
    }
    s.wake_all();
}

void FakeKubeApi::set_valid_token(const std::string& token) {
    std::lock_guard lock(state_->mu);
    state_->valid_token = token;
}

std::string FakeKubeApi::valid_token() const {
    std::lock_guard lock(state_->mu);
    return state_->valid_token;
}

void FakeKubeApi::hang(bool on) {
    State& s = *state_;
    std::lock_guard lock(s.mu);
    s.hanging = on;
    if (!on) s.hung.clear();
    s.wake_all();
}

std::vector<FakeKubeApi::Request> FakeKubeApi::requests() const {
    std::lock_guard lock(state_->mu);
    return state_->log;
}

size_t FakeKubeApi::count(const std::string& prefix, bool watch) const {
    std::lock_guard lock(state_->mu);
    size_t n = 0;
    for (const auto& r : state_->log) {
        const bool is_watch = r.target.find("watch=1") != std::string::npos;
        if (r.target.starts_with(prefix) && is_watch == watch) ++n;
    }
    return n;
}

size_t FakeKubeApi::open_watches() const {
    std::lock_guard lock(state_->mu);
    return state_->watches.size();
}

}  // namespace warren::testing

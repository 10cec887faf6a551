#pragma once
// An in-process Kubernetes API server over HTTPS, for tests of the API client and of warrend
// with --kube-node. It speaks the shapes the real API server sends: a Node as `kubectl get node
// -o json` prints it, a PodList and a NamespaceList (apiVersion, kind,
// metadata.resourceVersion/continue, items, pages of `limit`), and watch streams (chunked, one
// {"type","object"} JSON per line, ADDED / MODIFIED / DELETED / BOOKMARK / ERROR), each ended after
// the request's timeoutSeconds.
//
// At construction it generates a CA and a server certificate (IP SAN 127.0.0.1, DNS SAN
// localhost, unless told otherwise) in memory, listens on 127.0.0.1 on an ephemeral port on its own
// thread, and writes into `dir`: ca.crt, token (the bearer token it accepts) and kubeconfig
// (server, CA file and tokenFile, all absolute). Every object change gets the next resourceVersion,
// and watches started from an older resourceVersion replay what they missed, as the real API does.
//
// Routes: GET /api/v1/nodes/NAME, GET /api/v1/nodes?fieldSelector=metadata.name%3DNAME&watch=1,
// GET /api/v1/pods?fieldSelector=spec.nodeName%3DNAME[&limit=N&continue=T][&watch=1],
// GET /api/v1/namespaces[?limit=N&continue=T][&watch=1],
// GET /api/v1/namespaces/kube-system/configmaps/kubeadm-config (404 until set). A request
// without "Authorization: Bearer <valid token>" gets 401 with a Status body.
//
// CMake: link `warren_fake_kube_api` (tests/unit/kube/CMakeLists.txt defines it).
//
// Thread-safety: every member may be called from any thread. The destructor stops the server
// and closes every connection.
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace warren::testing {

class FakeKubeApi {
  public:
    // The server certificate's subjectAltName, in OpenSSL's syntax.
    static constexpr const char* kDefaultSan = "IP:127.0.0.1,DNS:localhost";
    // Starts serving; throws std::runtime_error if it cannot. `server_san` other than the
    // default makes a certificate that does not match 127.0.0.1 (host verification tests).
    explicit FakeKubeApi(std::string dir, std::string server_san = kDefaultSan);
    ~FakeKubeApi();
    FakeKubeApi(const FakeKubeApi&) = delete;
    FakeKubeApi& operator=(const FakeKubeApi&) = delete;

    uint16_t port() const;
    std::string server_url() const;  // https://127.0.0.1:PORT
    std::string kubeconfig_path() const;
    std::string ca_path() const;
    std::string token_path() const;  // the kubeconfig's tokenFile; rewrite it to rotate
    // A CA certificate (PEM) that did not sign the server's certificate: for wrong-CA tests.
    std::string foreign_ca_pem() const;
    // Writes `sa_dir`/token and `sa_dir`/ca.crt as the kubelet mounts them in a pod; point
    // KUBERNETES_SERVICE_HOST=127.0.0.1 and KUBERNETES_SERVICE_PORT=port() at it.
    void write_service_account(const std::string& sa_dir) const;

    // Objects shaped like the API's (kubectl get -o json). `pod_cidrs` empty: not assigned yet.
    static nlohmann::json make_node(const std::string& name,
                                    const std::vector<std::string>& pod_cidrs);
    static nlohmann::json make_pod(const std::string& name, const std::string& uid,
                                   const std::string& node, const std::string& phase = "Running");

    // kube-system/kubeadm-config as kubeadm writes it: data.ClusterConfiguration is the YAML of
    // a kubeadm.k8s.io/v1beta3 ClusterConfiguration whose networking has `pod_subnet` and
    // `service_subnet` (each left out when empty).
    static nlohmann::json make_kubeadm_config(const std::string& pod_subnet,
                                              const std::string& service_subnet);
    // Serves `configmap` as kube-system/kubeadm-config from now on (404 before).
    void set_kubeadm_config(nlohmann::json configmap);
    // true: kubeadm-config is answered 403 Forbidden, as without the Role that grants it.
    void forbid_kubeadm_config(bool on);

    // Sets the Node (its metadata.name is the one served); open node watches get ADDED the
    // first time, MODIFIED after.
    void set_node(nlohmann::json node);
    // Pods by metadata.uid; open pod watches get ADDED / MODIFIED / DELETED.
    void add_pod(nlohmann::json pod);
    void modify_pod(nlohmann::json pod);
    void delete_pod(const std::string& uid);
    // A Namespace as the API serves it; its labels are `labels` plus the
    // kubernetes.io/metadata.name label the API server always sets.
    static nlohmann::json make_namespace(const std::string& name,
                                         const std::map<std::string, std::string>& labels = {});
    // Namespaces by metadata.name; open namespace watches get ADDED / MODIFIED / DELETED.
    void add_namespace(nlohmann::json ns);
    void modify_namespace(nlohmann::json ns);
    void delete_namespace(const std::string& name);
    // true: list and watch of the namespaces are answered 403 Forbidden, as with a ClusterRole
    // that does not grant them.
    void forbid_namespaces(bool on);
    // true: lists of the namespaces are not answered until hold_namespaces(false) (then with the
    // namespaces as they are at that moment), as from an API server slow to list them.
    void hold_namespaces(bool on);

    // Open watches get a BOOKMARK at the current resourceVersion.
    void send_bookmarks();

    enum class Expiry {
        error_event,  // open watches get an ERROR event with a 410 Status and end
        http_status,  // open watches end; the next watches are answered HTTP 410
    };
    // The watch history is compacted: a watch from any resourceVersion before now is refused
    // with 410 Gone (as an ERROR event or an HTTP status), as after etcd compaction.
    void expire_watches(Expiry how = Expiry::error_event);

    // Only this token is accepted from now on (the token file is not changed).
    void set_valid_token(const std::string& token);
    std::string valid_token() const;

    // true: new connections are accepted and never answered (not even the TLS handshake) and
    // open watches go silent and are never ended; false: back to normal.
    void hang(bool on);

    struct Request {
        std::string method;
        std::string target;
        std::string authorization;  // the Authorization header as sent, "" when absent
        std::string server_name;    // the TLS SNI the client sent, "" when none
    };
    std::vector<Request> requests() const;
    // Requests whose target starts with `prefix` and whose watch-ness is `watch`
    // (the target has watch=1).
    size_t count(const std::string& prefix, bool watch) const;
    size_t open_watches() const;

    struct State;

  private:
    std::shared_ptr<State> state_;
};

}  // namespace warren::testing

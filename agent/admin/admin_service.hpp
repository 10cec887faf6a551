#pragma once
// The admin socket's commands (include/warren/admin_protocol.hpp), served on the I/O thread.
// Reads come from the state, the liveness manager and the GC runner as they are; every change
// (release, import, a GC pass) goes through IpamService::submit, the one mutation path, and is
// answered only once durable.
//
// The service feeds the EventLog: it hears the IpamService's durable changes and the GC runner's
// new conflicts (it installs both hooks; one AdminService per service and runner).
// Thread-safety: all members on the io_context's thread.
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_set>

#include "admin/event_log.hpp"
#include "core/clock.hpp"
#include "core/ipam_state.hpp"
#include "core/pool_checks.hpp"
#include "core/zones.hpp"
#include "kube/source.hpp"
#include "liveness/manager.hpp"
#include "service/gc_runner.hpp"
#include "service/ipam_service.hpp"
#include "service/kube_pools.hpp"
#include "service/pool_health.hpp"
#include "warren/error.hpp"

namespace warren::admin {

// The journal's side of "status", filled by the daemon from Journal, GroupCommitter and
// IpamService stats.
struct JournalInfo {
    uint64_t records = 0;  // in the journal file now (since the last snapshot)
    uint64_t bytes = 0;
    int64_t last_snapshot_ns = 0;  // 0: none written since start
    uint64_t syncs = 0;
    double last_sync_ms = 0, max_sync_ms = 0;
};

// The Kubernetes side of "status" (DESIGN §9): the pool from the Node and the API source's view.
struct KubeInfo {
    service::KubePoolStatus pool;
    kube::SourceStatus source;
};

struct AdminContext {
    core::IpamState& state;
    service::IpamService& service;
    liveness::LivenessManager& liveness;
    service::GcRunner& gc;
    const core::Clock& clock;
    EventLog& events;
    // Alert and forecast per pool; null: the alert is only ok/exhausted from usage, no forecast.
    const service::PoolHealthSource* health = nullptr;
    std::function<JournalInfo()> journal;  // empty: zeros
    std::function<std::string()> metrics;  // empty: "metrics" answers Code::unavailable
    std::string version;
    int64_t started_ns = 0;
    std::function<KubeInfo()> kubernetes;  // empty: Kubernetes is off, "status" has no section
    // The pool checks' current warnings (core/pool_checks.hpp); empty function: none.
    std::function<std::vector<core::PoolWarning>()> pool_warnings;
    // An allocation's zone under the rules in force (core::report); an empty function or nullopt:
    // zones off (also after a reload turned them off), and list/show carry no zone fields.
    std::function<std::optional<core::ZoneReport>(const core::Allocation&)> zone;
    // `reload`: puts the config file's zones in force again; the summary line. Empty: refused.
    std::function<Result<std::string>()> reload;
};

class AdminService {
  public:
    using Reply = std::function<void(std::string)>;  // the response object as JSON text

    explicit AdminService(AdminContext ctx);
    AdminService(const AdminService&) = delete;
    AdminService& operator=(const AdminService&) = delete;

    // Answers `request` ({"command", "args"}) through `reply` exactly once, possibly later:
    // {"ok": true, "result": ...} or {"ok": false, "code", "error", "details"}.
    void handle(const nlohmann::json& request, Reply reply);

  private:
    using Done = std::function<void(Result<nlohmann::json>)>;
    Result<nlohmann::json> status() const;
    Result<std::string> list(const nlohmann::json& args) const;  // JSON text: it may be large
    Result<nlohmann::json> show(const nlohmann::json& args) const;
    Result<nlohmann::json> events(const nlohmann::json& args) const;
    Result<nlohmann::json> metrics() const;
    Result<nlohmann::json> reload();
    void release(const nlohmann::json& args, Done done);
    void gc(const nlohmann::json& args, Done done);
    void import_host_local(const nlohmann::json& args, Done done);

    void on_durable(std::vector<core::Event>& events);  // moves from them

    AdminContext ctx_;
    EventTranslator translator_;
    std::unordered_set<core::AttachmentKey>
        importing_;  // keys an import submitted, not yet durable
};

}  // namespace warren::admin

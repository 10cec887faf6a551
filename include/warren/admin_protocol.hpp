#pragma once
// The admin socket's protocol (DESIGN §8): warrenctl <-> warrend over /run/warren/admin.sock.
//
// Framing is the CNI socket's (protocol.hpp: 12-byte header, then the payload) with two kinds of
// its own: Kind 4 an admin request, Kind 5 an admin response, both JSON objects. One request
// frame, then one response frame, per exchange. The agent accepts admin requests up to
// kAdminMaxRequest bytes; a client accepts responses up to kAdminMaxResponse bytes.
//
// Request:  {"command": "<name>", "args": {...}}            (args may be omitted: {})
// Response: {"ok": true,  "result": {...}}
//           {"ok": false, "code": <warren::Code as int>, "error": "<message>", "details": "..."}
// Unknown commands and bad args get ok:false with Code::invalid_config naming the command or the
// arg. A caller who is not root (nor in the configured admin group) gets ok:false, Code::io,
// error "permission denied: ..." and the connection is closed.
//
// Times are wall-clock Unix nanoseconds (int64, 0 = never) in JSON; addresses in text form
// without prefix ("10.1.0.5", "fd00::5"); counts as integers (pool sizes above 2^53 as strings).
//
// Commands and their results (every field always present unless marked optional):
//
// "status" {} ->
//   {"version", "startedNs", "uptimeSeconds",
//    "pools": [{"name", "source": "config"|"cni", "ranges": [<host-local ranges text per set>],
//               "family": "ipv4"|"ipv6"|"dual", "size", "inUse", "quarantined", "free",
//               "utilization" (0..1, of the fullest set), "alert": "ok"|"warn"|"crit"|"exhausted",
//               "sets": [{"ranges", "size", "inUse", "quarantined", "free", "utilization"}]
//               (the counts above are the sum over the sets),
//               "forecast" (optional: absent while no exhaustion monitor runs; "alert" is then
//                           only "ok" or "exhausted", from the usage):
//                          {"netPerHour" (allocations per hour, net of releases, recent),
//                           "exhaustionSeconds" (optional: absent when not filling)}}],
//   Pool counts are over all of a pool's range sets (a dual-stack pool counts both families).
//    "liveness": {"ebpf": {"mode", "on", "why", "attached": [{"ifindex", "name"}]},
//                 "signals": {"netns"|"holders"|"hostLink"|"wire": {"on", "why"}}},
//    "journal": {"records", "bytes", "lastSnapshotNs", "syncs", "lastSyncMs", "maxSyncMs"},
//    "gc": {"passes", "lastPassNs", "lastPassMs", "intervalSeconds", "graceSeconds",
//           "cooldownSeconds", "candidates", "zombies",
//           "released": {"<reason>": n}, "decisions": {"<reason>": n}, "conflicts"},
//    "poolWarnings": [{"pool", "range" (as in a pool's "ranges" text of one range),
//                      "kind": "hostAddress"|"hostRoute"|"outsideCluster"|"serviceOverlap",
//                      "message" (one line: the conflict, its interface and the fix)}]
//                    (the pool checks at start and at each redefinition of a pool: a pool range
//                     against this node's interface addresses and main-table routes, outside
//                     --cluster-cidr, overlapping --service-cidr; [] when none),
//    "kubernetes" (optional: absent unless warrend runs with --kube-node / kubernetes.node):
//                 {"node", "pool" (the pool the Node's CIDRs define),
//                  "podCidrs": [CIDR per range set, as served now; [] while waiting],
//                  "waiting" (no CIDRs yet: ADD and STATUS of the pool answer Code::unavailable),
//                  "poolError" (the last Node CIDR update refused, "" after one is served),
//                  "nodeSeen", "podsSynced" (the pod list is complete and watched; until then
//                  every pod counts as running), "pods" (on the node, in the view),
//                  "error" (the last API error while not synced, "" when synced),
//                  "lastOkNs" (0 = never), "lastOkSecondsAgo" (optional: absent when never)}}
//
// "list" {"pool"?: name, "state"?: "active"|"stale-candidate"|"zombie"|"quarantined"} ->
//   {"entries": [{"ip", "pool", "state", "containerId", "ifname", "network",
//                 "podNamespace", "podName", "podUid", "netns", "allocatedNs",
//                 "lastSeenNs" (0 = never seen on the wire or eBPF off),
//                 "reason" (why a candidate/zombie/quarantine: a GcReason or ReleaseReason name,
//                 "" for active), "sinceNs" (when it entered that state)}]}
//   Quarantined rows name the releasing attachment in containerId/ifname/network.
//
// "show" {"target": IP | container ID (or unique prefix) | "namespace/name" | pod name} ->
//   {"matches": [<a list entry> + {"addresses": [...], "hostIfindex", "netnsInode", "netnsCookie",
//                 "signals" (optional: absent before the first GC pass; allocations only):
//                   {"netns"|"holders"|"hostLink"|"kubernetes": "yes"|"no"|"unknown"},
//                 "quarantineEndsNs" (quarantined rows only: the earliest end of the cooldown),
//                 "history": [<event, as in "events">...]}]}
//   A container ID matches allocations and the quarantined addresses it released.
//   No match: ok:false, Code::unknown_container.
//
// "release" {"ip": IP, "force"?: bool} ->
//   {"released": [IPs], "containerId", "ifname", "network", "forced": bool,
//    "quarantineEndsNs"}
//   Without force, any live signal of the allocation (netns present, process holding it, host
//   link present, traffic since the allocation's last GC pass) refuses: ok:false,
//   Code::unavailable, error naming the signal ("its netns path still exists ..."). An address
//   already in quarantine or free: ok:false, Code::unknown_container.
//
// "gc" {"dryRun"?: bool} ->
//   {"dryRun", "ms", "allocations", "quarantined",
//    "decisions": [{"kind": "candidate"|"cleared"|"zombie"|"release"|"quarantine-held"|
//                            "quarantine-ended", "ip" (first address), "containerId",
//                   "reason", "why"}],            ("ip" is "" when no address is known)
//    "conflicts": [{"ip", "kind", "holder"}]}
//   A dry run decides without recording; a real pass is journaled before the answer.
//
// "events" {"since"?: seq (exclusive; default: the last "limit"), "limit"?: n (default 100,
//            max 10000)} ->
//   {"events": [{"seq", "timeNs", "kind" ("allocated"|"released"|"candidate"|"cleared"|"zombie"|
//                "quarantined"|"quarantine-held"|"quarantine-ended"|"pool-defined"|
//                "pool-removed"|"conflict"|"imported"), "ip"?, "pool"?, "network"?,
//                "containerId"?, "ifname"?, "reason"?, "detail"?}],
//    "next": seq to pass as "since" to follow}
//   Only durable changes (journaled and synced) and conflicts appear. `warrenctl events
//   --follow` polls with "since".
//
// "metrics" {} -> {"text": "<the Prometheus text exposition, as GET /metrics serves it>"}
//
// "import-host-local" {"network": name (the host-local data dir's last path element),
//                      "pool"?: name, "dryRun"?: bool,
//                      "entries": [{"ip", "containerId", "ifname", "file"}],
//                      "lastReserved": [{"set": index, "ip"}]} ->
//   {"imported": [{"ip", "containerId", "ifname", "pool"}],
//    "refused": [{"ip", "file", "reason"}]}   (reason: out of range, held by <key>, cooling
//                                              down, malformed, duplicate)
//   warrenctl reads the directory (files named by IP holding "<containerId>\r\n<ifname>",
//   older ones only the container ID; last_reserved_ip.N) and sends its entries. An empty
//   ifname is taken as "eth0". Entries of one (containerId, ifname) become one allocation (one
//   address per range set), journaled with no netns: netns-based GC never marks it (a CNI GC
//   that leaves it out does). The pool's cursor moves to each lastReserved address.
#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "warren/error.hpp"

namespace warren::admin {

inline constexpr size_t kAdminMaxRequest = 16u << 20;
inline constexpr size_t kAdminMaxResponse = 256u << 20;

// One exchange with the agent's admin socket (blocking, no threads): sends `request`, returns
// the response object (ok or not) as the agent sent it. Errors, each naming the socket:
// Code::try_again with the connect(2) errno when the agent cannot be reached (ENOENT, ECONNREFUSED,
// EACCES: not allowed to connect), ETIMEDOUT past timeout_ms; Code::decode for a malformed answer.
Result<nlohmann::json> call(const std::string& socket_path, const nlohmann::json& request,
                            int timeout_ms = 30000);

// call() without the JSON parse: the response payload as text, unchecked (large answers are
// read without a DOM, `warrenctl list`). The same errors as call() but for Code::decode.
Result<std::string> call_text(const std::string& socket_path, const nlohmann::json& request,
                              int timeout_ms = 30000);

// What call() makes of a payload: the response object, or Code::decode naming the socket when it
// is not JSON or not of the shape above.
Result<nlohmann::json> decode_answer(std::string_view payload, const std::string& socket_path);

}  // namespace warren::admin

#pragma once
// The durable queue of DEL requests that the plugin could not deliver because warrend was
// unreachable (DESIGN §6). The plugin appends, the agent drains when it starts.
//
// Layout: one file per queued DEL in `dir`, holding the proto::Request JSON (op "del").
//   del-<20-digit CLOCK_REALTIME nanoseconds>-<pid>.json   a committed entry
//   .tmp-<pid>-<nanoseconds>                               being written (or left by a crash)
// Names sort lexically in arrival order. An entry is committed by rename(2) after its data is
// fsync'ed, and the directory is fsync'ed after the rename, so a listed entry is complete.
//
// Anything else in `dir` (other names, subdirectories) is ignored by list_deletes(), so the agent
// can move an undecodable entry aside by renaming it to a name that does not match `del-*.json`
// (e.g. `bad-<name>`), or into a subdirectory.
//
// The timestamp in the name is wall-clock time, comparable with an allocation's creation time:
// the agent should not apply a queued DEL to an attachment that was (re)allocated after the DEL
// was enqueued (a runtime may retry ADD for the same container ID after a failed DEL).
//
// Thread-safety: all functions are safe to call concurrently from any number of processes;
// entries from concurrent writers get distinct names (pid, and a retry on collision).
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "warren/error.hpp"
#include "warren/protocol.hpp"

namespace warren::proto {

// Creates `dir` if needed (missing parents 0755, the queue directory itself 0700), then writes
// and commits one entry. `req.op` must be Op::del (else Code::internal). Errors: Code::io with
// errno for any failing system call; nothing is left behind but possibly a .tmp- file.
Status enqueue_delete(const std::string& dir, const Request& req);

struct QueuedDelete {
    std::string path;               // full path of the entry, for remove_delete()
    uint64_t enqueued_unix_ns = 0;  // from the entry's name
    Result<Request> request;        // the decoded DEL, or why it could not be read/decoded
};

// Committed entries in arrival order. A missing `dir` is an empty queue. An entry that cannot
// be read, is not JSON, or is not a DEL request is returned with its error so the caller can
// log it and move it aside; only a failure to read the directory itself fails the call.
Result<std::vector<QueuedDelete>> list_deletes(const std::string& dir);

// Removes one entry and syncs the directory. An entry already gone is success.
Status remove_delete(const std::string& path);

// Removes `.tmp-` files older than `min_age` (left by a writer that crashed before its rename).
// Young ones may belong to a writer still running and are kept. Returns how many were removed.
Result<size_t> remove_stale_temps(const std::string& dir, std::chrono::seconds min_age);

}  // namespace warren::proto

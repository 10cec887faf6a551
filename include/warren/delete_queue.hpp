#pragma once
// The durable queue of DEL requests that the plugin could not deliver because warrend was
// unreachable (DESIGN §6). The plugin appends, the agent drains.
//
// Layout: one file per queued DEL in `dir`, holding the proto::Request JSON (op "del").
//   del-<ns>-<pid>.json       a committed entry; <ns>: CLOCK_REALTIME nanoseconds in
//                             0..INT64_MAX, exactly 20 digits (zero-padded)
//   .tmp-<pid>-<nanoseconds>  being written (or left by a crash)
//   bad-<entry name>          moved aside by the agent
// Names sort lexically in arrival order. An entry is committed by rename(2) after its data is
// fsync'ed, and the directory is fsync'ed after the rename, so a listed entry is complete.
//
// Anything else in `dir` (other names, subdirectories) is ignored by list_deletes(), so the agent
// moves an entry it will not apply aside (move_aside(): `bad-<name>`) and removes those after a
// retention (remove_old_bad_files()).
//
// Trust: the directory must belong to the agent's uid and be writable by no one else; an entry
// is only read when it is a regular file (never through a symlink, never a FIFO or device)
// owned by root or the agent's uid.
//
// The timestamp in the name is wall-clock time, comparable with an allocation's creation time:
// the agent should not apply a queued DEL to an attachment that was (re)allocated after the DEL
// was enqueued (a runtime may retry ADD for the same container ID after a failed DEL).
//
// Thread-safety: all functions are safe to call concurrently from any number of processes;
// entries from concurrent writers get distinct names (pid, and a retry on collision).
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "warren/error.hpp"
#include "warren/protocol.hpp"

namespace warren::proto {

// Creates `dir` if needed (missing parents 0755, the queue directory itself 0700, whatever the
// umask; a `dir` that is a symlink is refused), then writes and commits one entry (mode 0600).
// `req.op` must be Op::del (else Code::internal). Errors: Code::io with errno for any failing
// system call, Code::internal for a clock outside 1970..2262; nothing is left behind but
// possibly a .tmp- file.
Status enqueue_delete(const std::string& dir, const Request& req);
// enqueue_delete() with the entry's timestamp given instead of read from CLOCK_REALTIME (tests).
Status enqueue_delete_at(const std::string& dir, const Request& req, int64_t unix_ns);

// Refuses (Code::invalid_config, naming the path, its owner and its mode) a `dir` that exists
// and is not a directory, is a symlink, is not owned by `owner`, or is writable by group or
// others. A missing `dir` is fine (the plugin creates it with the right modes).
Status check_queue_dir(const std::string& dir, uid_t owner);

struct QueuedDelete {
    std::string path;              // full path of the entry, for remove_delete() / move_aside()
    int64_t enqueued_unix_ns = 0;  // from the entry's name
    bool foreign_owner = false;    // owned by neither root nor the trusted uid (request says so)
    Result<Request> request;       // the decoded DEL, or why it could not be read/decoded
};

struct ListOptions {
    uid_t trusted_uid = 0;  // entries owned by root or this uid are read; others are refused
    size_t max_entries = std::numeric_limits<size_t>::max();  // the oldest this many
};

// Committed entries in arrival order, at most `opts.max_entries` (the oldest). A missing `dir` is
// an empty queue; a `dir` that check_queue_dir(dir, opts.trusted_uid) refuses fails the call, as
// does a failure to read the directory itself. An entry that is not a regular file, is owned by
// someone else, cannot be read, is not JSON, or is not a DEL request is returned with its error
// so the caller can log it and move it aside. Never blocks on an entry (FIFOs are not opened).
Result<std::vector<QueuedDelete>> list_deletes(const std::string& dir, ListOptions opts);
// As above, trusting root and the calling process's effective uid.
Result<std::vector<QueuedDelete>> list_deletes(const std::string& dir);

// Removes one entry and syncs the directory. An entry already gone is success.
Status remove_delete(const std::string& path);

// Renames the entry at `path` (whatever it is; a symlink is not followed) to `bad-<name>` in the
// same directory, replacing an older one of that name, and stamps it with the current time so
// the retention counts from now. Returns the new path.
Result<std::string> move_aside(const std::string& path);

// Removes `bad-*` entries (not directories) whose mtime is at least `retention` old. Returns how
// many were removed.
Result<size_t> remove_old_bad_files(const std::string& dir, std::chrono::seconds retention);

// Removes `.tmp-` files older than `min_age` (left by a writer that crashed before its rename).
// Young ones may belong to a writer still running and are kept. Returns how many were removed.
Result<size_t> remove_stale_temps(const std::string& dir, std::chrono::seconds min_age);

}  // namespace warren::proto

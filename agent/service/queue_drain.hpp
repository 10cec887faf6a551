#pragma once
// Drains the delete queue (DESIGN §6, include/warren/delete_queue.hpp) without ever holding up
// the I/O thread: a worker thread lists, reads and decodes the entries, moves the ones it will
// not apply aside, removes applied ones and old leftovers; the decoded DELs are applied on the
// I/O thread, the only thread that touches the service. Each pass that did something logs how
// many entries were applied, refused and moved aside.
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "service/ipam_service.hpp"

namespace warren::service {

class QueueDrain {
  public:
    // Entries taken per pass; a pass that finds more starts the next one itself.
    static constexpr size_t kMaxEntriesPerPass = 256;
    // `bad-*` files are removed this long after they were moved aside.
    static constexpr std::chrono::hours kBadFileRetention{24 * 7};
    // `.tmp-*` files this old were left by a plugin that crashed while queueing.
    static constexpr std::chrono::minutes kStaleTempAge{5};

    // Entries owned by root or this process's effective uid are trusted.
    QueueDrain(boost::asio::io_context& io, IpamService& service, std::string dir);
    // Waits for the worker's current step (never for an entry: entries are not opened blocking).
    ~QueueDrain();
    QueueDrain(const QueueDrain&) = delete;
    QueueDrain& operator=(const QueueDrain&) = delete;

    // proto::check_queue_dir for this process's uid: an error names the path, owner and mode.
    Status check_dir() const;
    // I/O thread. Starts a pass unless one is running or stop() was called; returns at once.
    void start_pass();
    // I/O thread. No new pass; DELs of a running pass not yet applied stay queued.
    void stop() { stopped_ = true; }

    // Counts over all finished passes (I/O thread). Refused entries are `superseded` (the
    // attachment was added again after the DEL was queued; removed unapplied) and `foreign`
    // (owned by someone else; moved aside, so also in `moved`). `retry`: the journal write
    // failed, the entry stays for the next pass.
    struct Totals {
        size_t passes = 0, applied = 0, released = 0, superseded = 0, foreign = 0, moved = 0,
               retry = 0;
    };
    const Totals& totals() const { return totals_; }

  private:
    struct Del {
        std::string path;
        int64_t enqueued_unix_ns;
        proto::Request request;
    };
    struct Scan {
        std::vector<Del> dels;
        size_t foreign = 0, moved = 0;
        bool more = false;
    };
    Scan scan();            // worker
    void housekeep();       // worker
    void apply(Scan scan);  // I/O thread
    void on_durable(const std::string& path, IpamService::QueuedDelete outcome, bool ok);
    void finish_one();

    boost::asio::io_context& io_;
    IpamService& service_;
    const std::string dir_;
    const uid_t uid_;

    // I/O thread only.
    bool stopped_ = false, busy_ = false, more_ = false;
    size_t pending_ = 0;
    size_t applied_ = 0, released_ = 0, superseded_ = 0, foreign_ = 0, moved_ = 0, retry_ = 0;
    Totals totals_;

    // Worker only: what was already logged, so a persisting problem is logged once.
    std::string dir_problem_;
    std::set<std::string> unmovable_;

    boost::asio::thread_pool worker_{1};  // last: joined before the members above go
};

}  // namespace warren::service

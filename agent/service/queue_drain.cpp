#include "service/queue_drain.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <memory>

#include "warren/delete_queue.hpp"
#include "warren/log_text.hpp"

namespace warren::service {

namespace asio = boost::asio;

QueueDrain::QueueDrain(asio::io_context& io, IpamService& service, std::string dir)
    : io_(io), service_(service), dir_(std::move(dir)), uid_(::geteuid()) {}

QueueDrain::~QueueDrain() {
    worker_.join();
}

Status QueueDrain::check_dir() const {
    return proto::check_queue_dir(dir_, uid_);
}

void QueueDrain::start_pass() {
    if (busy_ || stopped_) return;
    busy_ = true;
    asio::post(worker_, [this] {
        auto s = scan();
        asio::post(io_, [this, s = std::move(s)]() mutable { apply(std::move(s)); });
    });
}

QueueDrain::Scan QueueDrain::scan() {
    Scan out;
    auto entries = proto::list_deletes(dir_, {uid_, kMaxEntriesPerPass});
    if (!entries) {
        auto why = entries.error().describe();
        if (why != dir_problem_)
            spdlog::error("delete queue not drained: {}; queued DELs wait until this is fixed",
                          why);
        dir_problem_ = std::move(why);
        return out;
    }
    if (!dir_problem_.empty()) spdlog::info("delete queue {} is readable again", dir_);
    dir_problem_.clear();
    out.more = entries->size() == kMaxEntriesPerPass;
    for (auto& e : *entries) {
        if (e.request) {
            out.dels.push_back({e.path, e.enqueued_unix_ns, std::move(*e.request)});
            continue;
        }
        auto aside = proto::move_aside(e.path);
        if (aside) {
            ++out.moved;
            if (e.foreign_owner) ++out.foreign;
            spdlog::error("delete queue entry not applied: {}; moved aside to {}",
                          log_text(e.request.error().describe()), log_text(*aside));
        } else if (unmovable_.insert(e.path).second) {  // logged once, not every pass
            spdlog::error("delete queue entry not applied: {}; and it cannot be moved aside: {}",
                          log_text(e.request.error().describe()), log_text(aside.error().describe()));
        }
    }
    housekeep();
    return out;
}

void QueueDrain::housekeep() {
    if (auto n = proto::remove_stale_temps(dir_, kStaleTempAge); !n)
        spdlog::warn("delete queue: {}", n.error().describe());
    else if (*n)
        spdlog::info("removed {} unfinished delete-queue file(s) left by crashed plugin runs", *n);
    if (auto n = proto::remove_old_bad_files(dir_, kBadFileRetention); !n)
        spdlog::warn("delete queue: {}", n.error().describe());
    else if (*n)
        spdlog::info(
            "removed {} bad-* file(s) from the delete queue {}, moved aside more than {} "
            "days ago",
            *n, dir_, kBadFileRetention.count() / 24);
}

void QueueDrain::apply(Scan scan) {
    foreign_ = scan.foreign;
    moved_ = scan.moved;
    applied_ = released_ = superseded_ = retry_ = 0;
    more_ = scan.more;
    pending_ = 1;  // held until every DEL below has been handed to the service
    if (!stopped_) {
        for (auto& d : scan.dels) {
            ++pending_;
            // The decision is made at once; `done` may run before the call returns.
            auto decided = std::make_shared<IpamService::QueuedDelete>();
            *decided = service_.apply_queued_delete(
                d.request, d.enqueued_unix_ns, [this, decided, path = d.path](bool ok) {
                    asio::post(io_, [this, decided, path, ok] { on_durable(path, *decided, ok); });
                });
        }
    }
    finish_one();
}

void QueueDrain::on_durable(const std::string& path, IpamService::QueuedDelete outcome, bool ok) {
    if (!ok) {
        ++retry_;  // the journal write failed and was rolled back: the entry stays for a retry
    } else {
        if (outcome == IpamService::QueuedDelete::superseded) {
            ++superseded_;
        } else {
            ++applied_;
            if (outcome == IpamService::QueuedDelete::released) ++released_;
        }
        asio::post(worker_, [path] {
            if (auto s = proto::remove_delete(path); !s)
                spdlog::warn("cannot remove the applied delete queue entry {}: {}", log_text(path),
                             s.error().describe());
        });
    }
    finish_one();
}

void QueueDrain::finish_one() {
    if (--pending_ > 0) return;
    if (applied_ + superseded_ + foreign_ + moved_ + retry_ > 0)
        spdlog::info(
            "delete queue {}: {} applied ({} released an address), {} refused ({} superseded "
            "by a later ADD, {} not owned by root or uid {}), {} moved aside, {} left for a "
            "retry",
            dir_, applied_, released_, superseded_ + foreign_, superseded_, foreign_, uid_, moved_,
            retry_);
    totals_.passes++;
    totals_.applied += applied_;
    totals_.released += released_;
    totals_.superseded += superseded_;
    totals_.foreign += foreign_;
    totals_.moved += moved_;
    totals_.retry += retry_;
    busy_ = false;
    if (more_ && applied_ + superseded_ + moved_ > 0) start_pass();
}

}  // namespace warren::service

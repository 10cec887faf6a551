// Durability under abuse: kill -9 in the middle of a burst of ADDs, and a full state disk.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <mutex>
#include <thread>

#include "fixture.hpp"

namespace warren::it {
namespace {

using Held = std::map<std::string, std::vector<std::string>>;

class DurabilityTest : public IntegrationTest {
protected:
    json conf() { return plugin_conf("wrn-net", warren_ipam(agent().socket()), "1.0.0"); }

    CniResult add(const std::string& key) { return warren_plugin(conf(), call("ADD", key, netns_path_)); }

    // ADDs every key on `threads` threads; results by key.
    std::map<std::string, CniResult> add_all(const std::vector<std::string>& keys, int threads = 16) {
        std::map<std::string, CniResult> out;
        std::mutex mu;
        std::atomic<size_t> next{0};
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t)
            pool.emplace_back([&] {
                for (size_t i; (i = next++) < keys.size();) {
                    auto r = add(keys[i]);
                    std::lock_guard lock(mu);
                    out[keys[i]] = std::move(r);
                }
            });
        for (auto& t : pool) t.join();
        return out;
    }

    // Fails the test if any address is held by two keys.
    static void expect_unique(const Held& held) {
        std::map<std::string, std::string> owner;
        for (auto& [key, addrs] : held)
            for (auto& a : addrs) {
                auto [it, fresh] = owner.emplace(strip_prefix(a), key);
                EXPECT_TRUE(fresh) << "address " << a << " held by both " << it->second << " and " << key;
            }
    }

    void burst_and_crash(const AgentSpec& spec, const std::vector<int>& stop_after, bool graceful_last);
    void fill_disk_and_recover(const AgentSpec& spec, int clients);

    std::string netns_path_;
};

// 64 clients ADD continuously; warrend is stopped after `stop_after[round]` answers, by
// SIGKILL (or SIGTERM for a graceful round). Every answered ADD must come back unchanged after the
// restart, and no address may ever belong to two attachments.
void DurabilityTest::burst_and_crash(const AgentSpec& spec, const std::vector<int>& stop_after, bool graceful_last) {
    netns_path_ = new_netns().path();
    ASSERT_TRUE(agent().start(spec));
    constexpr int kClients = 64;
    Held answered;
    std::atomic<int> next_key{0};

    for (size_t round = 0; round < stop_after.size(); ++round) {
        const bool graceful = graceful_last && round + 1 == stop_after.size();
        SCOPED_TRACE("round " + std::to_string(round) + (graceful ? " (SIGTERM)" : " (SIGKILL)"));
        std::mutex mu;
        std::atomic<int> answers{0};
        std::atomic<bool> stop{false};
        std::vector<std::string> unanswered;
        std::vector<std::string> unexpected;
        std::vector<std::thread> clients;
        for (int c = 0; c < kClients; ++c)
            clients.emplace_back([&] {
                while (!stop) {
                    const std::string key = "burst-" + std::to_string(next_key++);
                    auto r = add(key);
                    std::lock_guard lock(mu);
                    if (r.ok()) {
                        answered[key] = r.addresses();
                        ++answers;
                    } else {
                        unanswered.push_back(key);
                        if (r.code() != 11) unexpected.push_back(key + ": " + r.describe());
                    }
                }
            });
        const auto deadline = std::chrono::steady_clock::now() + 30s;
        while (answers < stop_after[round] && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(200us);
        if (graceful)
            EXPECT_TRUE(agent().stop()) << "SIGTERM under load";
        else
            agent().kill9();
        stop = true;
        for (auto& t : clients) t.join();
        ASSERT_GE(answers.load(), stop_after[round]) << "the burst stalled; log:\n" << agent().log();
        EXPECT_TRUE(unexpected.empty()) << unexpected.size() << " ADDs failed with other than 'try again later', e.g. "
                                        << unexpected.front();
        expect_unique(answered);

        ASSERT_TRUE(agent().restart());
        std::vector<std::string> keys;
        for (auto& [k, _] : answered) keys.push_back(k);
        auto again = add_all(keys);
        int changed = 0;
        for (auto& [k, addrs] : answered) {
            auto& r = again[k];
            ASSERT_TRUE(r.ok()) << k << ": " << r.describe();
            if (r.addresses() != addrs && ++changed <= 5)
                ADD_FAILURE() << "answered ADD " << k << " had " << addrs.at(0) << ", after kill -9 it has "
                              << (r.addresses().empty() ? "nothing" : r.addresses()[0]);
        }
        EXPECT_EQ(changed, 0) << "answered allocations lost or changed across kill -9";

        // The ADDs cut off by the kill: whether or not they became durable, a retry now gets an
        // address no one else holds.
        auto retried = add_all(unanswered);
        for (auto& [k, r] : retried) {
            ASSERT_TRUE(r.ok()) << k << ": " << r.describe();
            answered[k] = r.addresses();
        }
        expect_unique(answered);
        std::cerr << "[ round " << round << " ] stopped after " << answers << " answers; " << unanswered.size()
                  << " cut off; " << answered.size() << " held in total\n";
    }
}

// The state disk fills up: the failing ADD gets a clear "try again later" (11), the agent
// stays up and still answers idempotent ADDs; once space is freed ADDs work again; everything
// answered survives a restart.
void DurabilityTest::fill_disk_and_recover(const AgentSpec& spec, int clients) {
    netns_path_ = new_netns().path();
    auto& mount = mount_tmpfs(agent().state_dir(), "256k");
    ASSERT_TRUE(mount.ok()) << mount.error();
    ASSERT_TRUE(agent().start(spec));

    // Fill the tmpfs to the last byte with a file we can delete later.
    const std::string filler = agent().state_dir() + "/filler";
    {
        int fd = ::open(filler.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ASSERT_GE(fd, 0);
        std::string chunk(4096, 'F');
        size_t total = 0;
        for (;;) {
            ssize_t n = ::write(fd, chunk.data(), chunk.size());
            if (n <= 0) break;
            total += static_cast<size_t>(n);
        }
        for (;;) {  // top off the last partial space byte by byte
            if (::write(fd, "F", 1) != 1) break;
        }
        ::close(fd);
        ASSERT_GT(total, 100u * 1024);
    }

    // `clients` clients ADD new keys until the first failure; the others finish what they sent.
    Held answered;
    std::vector<std::pair<std::string, CniResult>> failures;
    {
        std::mutex mu;
        std::atomic<int> next{0};
        std::atomic<bool> stop{false};
        std::vector<std::thread> pool;
        for (int c = 0; c < clients; ++c)
            pool.emplace_back([&] {
                for (int i; !stop && (i = next++) < 2000;) {
                    const std::string key = "disk-" + std::to_string(i);
                    auto r = add(key);
                    std::lock_guard lock(mu);
                    if (r.ok()) {
                        answered[key] = r.addresses();
                    } else {
                        failures.emplace_back(key, std::move(r));
                        stop = true;
                    }
                }
            });
        for (auto& t : pool) t.join();
    }
    ASSERT_FALSE(failures.empty()) << "the journal never ran out of space";
    const std::string failed_key = failures.front().first;
    const CniResult failure = failures.front().second;
    const size_t failed_count = failures.size();
    for (auto& [key, r] : failures) {
        EXPECT_EQ(r.exit_code, 1) << key << ": " << r.describe();
        EXPECT_EQ(r.code(), 11) << key << ": " << r.describe();
        EXPECT_NE(r.msg().find("No space left on device"), std::string::npos) << key << ": " << r.msg();
    }
    ASSERT_TRUE(agent().running()) << agent().log();
    expect_unique(answered);

    // Still full: a retry fails the same way, or fits: the write that failed may have been a
    // snapshot or a group-committed batch of many requests, where one retried record is smaller.
    // Either way answered keys are still answered.
    auto retry = add(failed_key);
    if (retry.ok()) {
        answered[failed_key] = retry.addresses();
        std::erase_if(failures, [&](auto& f) { return f.first == failed_key; });
    } else {
        EXPECT_EQ(retry.code(), 11) << retry.describe();
    }
    if (!answered.empty()) {
        auto& [k, addrs] = *answered.begin();
        auto idem = add(k);
        EXPECT_TRUE(idem.ok()) << "an idempotent ADD needs no disk: " << idem.describe();
        EXPECT_EQ(idem.addresses(), addrs);
    }

    ASSERT_EQ(::unlink(filler.c_str()), 0);
    for (auto& [key, _] : failures) {
        auto ok = add(key);
        ASSERT_TRUE(ok.ok()) << "after freeing space: " << ok.describe() << "\nagent log:\n" << agent().log();
        answered[key] = ok.addresses();
    }
    for (int i = 0; i < 5; ++i) {
        auto r = add("disk-after-" + std::to_string(i));
        ASSERT_TRUE(r.ok()) << r.describe();
        answered["disk-after-" + std::to_string(i)] = r.addresses();
    }
    expect_unique(answered);

    ASSERT_TRUE(agent().stop());
    ASSERT_TRUE(agent().restart());
    std::vector<std::string> keys;
    for (auto& [k, _] : answered) keys.push_back(k);
    auto again = add_all(keys);
    for (auto& [k, addrs] : answered) {
        ASSERT_TRUE(again[k].ok()) << k << ": " << again[k].describe();
        EXPECT_EQ(again[k].addresses(), addrs) << k;
    }
    std::cerr << "[ disk ] " << answered.size() - 5 - failed_count << " ADDs fitted before ENOSPC, " << failed_count
              << " failed; the first failure: " << failure.msg() << "\n";
    ASSERT_TRUE(agent().stop());
}

// 12. kill -9 at three different moments of a 64-client burst, then a SIGTERM under load.
TEST_F(DurabilityTest, AnsweredAddsSurviveKill9DuringConcurrentBurst) {
    WARREN_REQUIRE_ROOT();
    burst_and_crash({.pod_cidrs = {"10.199.0.0/16"}}, {100, 37, 170, 60}, true);
}

// 12b. The same with a snapshot (and journal compaction) every few KiB, so kills also land
// around snapshot writes.
TEST_F(DurabilityTest, AnsweredAddsSurviveKill9WithFrequentSnapshots) {
    WARREN_REQUIRE_ROOT();
    const std::string cfg = tmp("snapshots.json");
    write_file(cfg, R"({"snapshotAfterBytes": 4096})");
    burst_and_crash({.pod_cidrs = {"10.199.0.0/16"}, .extra_args = {"--config", cfg}}, {120, 45, 200}, false);
    EXPECT_NE(agent().log().find("writing snapshot"), std::string::npos) << "no snapshot was taken";
}

// 15. A full state disk.
TEST_F(DurabilityTest, FullStateDiskFailsAddsCleanlyAndRecovers) {
    WARREN_REQUIRE_ROOT();
    fill_disk_and_recover({.pod_cidrs = {"10.199.0.0/16"}}, 1);
}

// 15b. A full state disk hit by 16 concurrent clients while snapshots are due: failed snapshots
// and failed group commits must not lose or duplicate anything either.
TEST_F(DurabilityTest, FullStateDiskWithSnapshotsDueFailsCleanlyAndRecovers) {
    WARREN_REQUIRE_ROOT();
    const std::string cfg = tmp("snapshots.json");
    write_file(cfg, R"({"snapshotAfterBytes": 1024})");
    fill_disk_and_recover({.pod_cidrs = {"10.199.0.0/16"}, .extra_args = {"--config", cfg}}, 16);
}

}  // namespace
}  // namespace warren::it

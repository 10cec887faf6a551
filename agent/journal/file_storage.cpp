#include "journal/file_storage.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "journal/fs_util.hpp"

namespace warren::journal {
namespace {

constexpr const char* kJournalFile = "journal.wal";
constexpr const char* kSnapshotFile = "snapshot.bin";
constexpr const char* kSnapshotTmpFile = "snapshot.bin.tmp";

Result<std::string> read_whole(int fd, const std::string& path) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return fail_errno("cannot stat " + path);
    std::string buf(static_cast<size_t>(st.st_size), '\0');
    size_t got = 0;
    while (got < buf.size()) {
        const ssize_t n = ::pread(fd, buf.data() + got, buf.size() - got, static_cast<off_t>(got));
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail_errno("cannot read " + path);
        }
        if (n == 0) break;  // shrank under us; what we have is what there is
        got += static_cast<size_t>(n);
    }
    buf.resize(got);
    return buf;
}

}  // namespace

FileStorage::FileStorage(std::string dir, Fd dir_fd, Fd journal, uint64_t size)
    : dir_(std::move(dir)),
      journal_path_(dir_ + "/" + kJournalFile),
      snapshot_path_(dir_ + "/" + kSnapshotFile),
      dir_fd_(std::move(dir_fd)),
      journal_(std::move(journal)),
      size_(size),
      allocated_(size) {}

Result<std::unique_ptr<FileStorage>> FileStorage::open(const std::string& dir_in) {
    std::string dir = dir_in;
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    auto dir_fd = detail::open_state_dir(dir);
    if (!dir_fd) return std::unexpected(dir_fd.error());

    const std::string path = dir + "/" + kJournalFile;
    bool created = false;
    auto fd = detail::open_in_dir(dir_fd->get(), kJournalFile, O_RDWR, "journal", path);
    if (!fd && fd.error().sys_errno == ENOENT) {
        fd = detail::open_in_dir(dir_fd->get(), kJournalFile, O_RDWR | O_CREAT | O_EXCL, "journal",
                                 path);
        created = true;
    }
    if (!fd) {
        const int err = fd.error().sys_errno;
        if (err == EACCES || err == EROFS || err == EPERM)
            return fail_errno("state directory " + dir + " is not writable", err);
        return std::unexpected(fd.error());
    }
    struct stat st {};
    if (::fstat(fd->get(), &st) != 0) return fail_errno("cannot stat journal " + path);
    // A new journal's directory entry must be durable before anything in it is acknowledged.
    if (created) {
        if (auto s = sync_dir(dir_fd->get(), dir); !s) return std::unexpected(s.error());
    }
    return std::unique_ptr<FileStorage>(new FileStorage(dir, std::move(*dir_fd), std::move(*fd),
                                                        static_cast<uint64_t>(st.st_size)));
}

Result<std::string> FileStorage::read_journal() {
    return read_whole(journal_.get(), journal_path_);
}

void FileStorage::make_room(uint64_t end) {
    if (end <= allocated_) return;
    const uint64_t target = (end + kPreallocateBytes - 1) / kPreallocateBytes * kPreallocateBytes;
    static const std::string zeros(1u << 20, '\0');
    for (uint64_t at = allocated_; at < target;) {
        const uint64_t n = std::min<uint64_t>(zeros.size(), target - at);
        if (detail::pwrite_all(journal_.get(), std::string_view(zeros.data(), n), at).err != 0) {
            // No room for the zeros: leave the file as it was and append at its end.
            if (::ftruncate(journal_.get(), static_cast<off_t>(allocated_)) != 0) broken_ = true;
            return;
        }
        at += n;
    }
    allocated_ = target;
}

Status FileStorage::append_journal(std::string_view bytes) {
    if (broken_)
        return fail(Code::io, "journal " + journal_path_ +
                                  " is in an unknown state after a failed write could not be "
                                  "undone; restart warrend to recover it");
    const uint64_t before = size_;
    make_room(size_ + bytes.size());
    const auto out = detail::pwrite_all(journal_.get(), bytes, before);
    if (out.err == 0) {
        size_ += bytes.size();
        allocated_ = std::max(allocated_, size_);
        return {};
    }
    auto error = Error::from_errno(
        "cannot append " + std::to_string(bytes.size()) + " bytes to journal " + journal_path_,
        out.err);
    if (::ftruncate(journal_.get(), static_cast<off_t>(before)) == 0) {
        allocated_ = before;
    } else {
        broken_ = true;
        error.details = "undoing the partial write (" + std::to_string(out.written) +
                        " bytes) failed too: " + Error::from_errno("ftruncate").describe();
        struct stat st {};
        if (::fstat(journal_.get(), &st) == 0) size_ = allocated_ = static_cast<uint64_t>(st.st_size);
    }
    return std::unexpected(std::move(error));
}

Status FileStorage::sync_journal() {
    if (::fdatasync(journal_.get()) != 0) return fail_errno("cannot sync journal " + journal_path_);
    return {};
}

Status FileStorage::truncate_journal(uint64_t size) {
    if (::ftruncate(journal_.get(), static_cast<off_t>(size)) != 0)
        return fail_errno("cannot truncate journal " + journal_path_ + " to " +
                          std::to_string(size) + " bytes");
    size_ = allocated_ = size;
    broken_ = false;  // the tail is known again, whatever happened before
    if (::fdatasync(journal_.get()) != 0)
        return fail_errno("cannot sync journal " + journal_path_ + " after truncating it");
    return {};
}

Result<std::optional<std::string>> FileStorage::read_snapshot() {
    auto fd =
        detail::open_in_dir(dir_fd_.get(), kSnapshotFile, O_RDONLY, "snapshot", snapshot_path_);
    if (!fd) {
        if (fd.error().sys_errno == ENOENT) return std::optional<std::string>{};
        return std::unexpected(fd.error());
    }
    auto bytes = read_whole(fd->get(), snapshot_path_);
    if (!bytes) return std::unexpected(bytes.error());
    return std::optional<std::string>(std::move(*bytes));
}

Status FileStorage::write_snapshot(std::string_view bytes) {
    const std::string tmp = snapshot_path_ + ".tmp";
    // A leftover from a crash (or anything planted under that name) goes first: the new file
    // is always created here, never opened through whatever was there.
    if (::unlinkat(dir_fd_.get(), kSnapshotTmpFile, 0) != 0 && errno != ENOENT)
        return fail_errno("cannot remove the leftover snapshot " + tmp);
    auto fd = detail::open_in_dir(dir_fd_.get(), kSnapshotTmpFile, O_WRONLY | O_CREAT | O_EXCL,
                                  "snapshot", tmp);
    if (!fd) return std::unexpected(fd.error());
    auto give_up = [&](std::string what, int err) {
        ::unlinkat(dir_fd_.get(), kSnapshotTmpFile, 0);
        return fail_errno(std::move(what), err);
    };
    if (auto out = detail::pwrite_all(fd->get(), bytes, 0); out.err != 0)
        return give_up("cannot write snapshot " + tmp, out.err);
    if (::fsync(fd->get()) != 0) return give_up("cannot sync snapshot " + tmp, errno);
    fd->reset();
    if (::renameat(dir_fd_.get(), kSnapshotTmpFile, dir_fd_.get(), kSnapshotFile) != 0)
        return give_up("cannot rename " + tmp + " to " + snapshot_path_, errno);
    return sync_dir(dir_fd_.get(), dir_);
}

}  // namespace warren::journal

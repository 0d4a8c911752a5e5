// engine_crash_test: the engine-level crash test (SPEC.md §4, issue 5).
//
// A child process opens a store and writes numbered random batches (Put,
// Delete, DeleteRange; a quarter of them with WriteOptions.sync), reporting
// each on a pipe: "P n" before Write(), "C n" once it returned OK. Every
// batch also sets the key "~last" to its number. The parent kills the child
// with SIGKILL at a random moment (usually 0..max-delay ms after the store
// is open; one kill in ten while it is still opening and recovering), then
// reopens the store itself and checks it against its expected state:
//   - every acknowledged batch is there (a process kill loses no page
//     cache, and the WAL is written through a shared mapping, so sync=false
//     batches count too);
//   - the pending batch (announced, not acknowledged) is there entirely or
//     not at all, and nothing after it;
//   - the whole store equals the model (std::map) after exactly those
//     batches, forward and backward, and Verify() passes.
// The next child continues on the same store from the recovered state.
// The store is tuned tiny (64 KiB memtable and files, L0 trigger 2) so that
// flushes and compactions run all the time and kills land inside them; the
// child also flushes, compacts ranges and takes checkpoints now and then
// ("K n dir" once a checkpoint holding batches < n is complete: the parent
// opens it and compares it with the model of that moment).
//
// Batches are a function of (seed, batch number) alone, so the parent
// regenerates any batch the child announces; the child needs no model.
//
// Build (from the repository root; needs build/libstrata.a from `make`):
//   g++ -std=c++20 -O2 -g -Wall -Wextra -pthread -Iengine/include -Iengine -I.
//       -o build/engine_crash_test tools/crashtest/engine_crash_test.cc
//       build/libstrata.a                                   (one command line)
// Run:
//   build/engine_crash_test --iterations=200 --seed=7
// Flags: --iterations=N kills (default 100), --seed=S (default: from the
// clock; printed), --dir=D (work directory, default a fresh one under
// $TMPDIR or /tmp, removed on success), --max-delay-ms=M (default 200),
// --verbose. Exit status 0 on success; on failure the seed, the iteration
// and the directory are printed and the directory is kept.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "strata/db.h"
#include "strata/write_batch.h"
#include "util/random.h"

namespace {

namespace fs = std::filesystem;
using strata::DB;
using strata::Options;
using strata::Random;
using strata::Status;
using strata::WriteBatch;
using Map = std::map<std::string, std::string>;

constexpr int kKeySpace = 4000;
constexpr char kLastKey[] = "~last";  // sorts after every data key
// A child that is not open after this long, or a pipe silent for this long
// while it should be writing, fails the run instead of hanging it.
constexpr int kStartTimeoutMs = 60000;

// ---- Batches ----------------------------------------------------------------

struct Op {
  enum Type { kPut, kDelete, kDeleteRange } type;
  std::string key;
  std::string value;  // the end key for kDeleteRange
};

std::string Key(int i) {
  char buf[16];
  snprintf(buf, sizeof(buf), "k%06d", i);
  return buf;
}

// Batch n of the run with this seed, and whether it is written with sync.
std::vector<Op> MakeBatch(uint64_t seed, uint64_t n, bool* sync) {
  Random rnd(seed * 0x9E3779B97F4A7C15ull ^ (n + 1) * 0xD1B54A32D192ED03ull);
  std::vector<Op> ops;
  const int count = 1 + static_cast<int>(rnd.Skewed(5));  // 1..32, mostly small
  for (int i = 0; i < count; i++) {
    const uint64_t what = rnd.Uniform(100);
    const int k = static_cast<int>(rnd.Uniform(kKeySpace));
    if (what < 70) {
      std::string v = std::to_string(n) + "." + std::to_string(i) + ":";
      const size_t len = v.size() + rnd.Uniform(rnd.OneIn(20) ? 4000 : 200);
      while (v.size() < len) v.push_back(static_cast<char>('a' + rnd.Uniform(26)));
      ops.push_back({Op::kPut, Key(k), v});
    } else if (what < 95) {
      ops.push_back({Op::kDelete, Key(k), ""});
    } else {
      ops.push_back({Op::kDeleteRange, Key(k), Key(k + 1 + static_cast<int>(rnd.Uniform(100)))});
    }
  }
  ops.push_back({Op::kPut, kLastKey, std::to_string(n)});
  *sync = rnd.OneIn(4);
  return ops;
}

void ApplyToModel(const std::vector<Op>& ops, Map* model) {
  for (const Op& op : ops) {
    switch (op.type) {
      case Op::kPut:
        (*model)[op.key] = op.value;
        break;
      case Op::kDelete:
        model->erase(op.key);
        break;
      case Op::kDeleteRange:
        model->erase(model->lower_bound(op.key), model->lower_bound(op.value));
        break;
    }
  }
}

Options StoreOptions() {
  Options o;
  o.write_buffer_size = 64 << 10;
  o.target_file_size = 64 << 10;
  o.max_bytes_for_level_base = 256 << 10;
  o.l0_compaction_trigger = 2;
  o.block_size = 1024;
  o.wal_background_sync_ms = 20;
  o.block_cache = strata::NewLRUCache(8 << 20);
  return o;
}

// ---- The child -------------------------------------------------------------

int g_report_fd = -1;

void Report(const std::string& line) {
  const std::string l = line + "\n";
  // One write() per line: lines are shorter than PIPE_BUF, so atomic.
  if (write(g_report_fd, l.data(), l.size()) != static_cast<ssize_t>(l.size())) _exit(3);
}

[[noreturn]] void ChildFail(const std::string& what, const Status& s) {
  Report("F " + what + ": " + s.ToString());
  _exit(2);
}

// Writes batches from `start` on until killed.
[[noreturn]] void RunChild(const std::string& db_dir, const std::string& cp_dir, uint64_t seed,
                           uint64_t start) {
  std::unique_ptr<DB> db;
  Status s = DB::Open(StoreOptions(), db_dir, &db);
  if (!s.ok()) ChildFail("open", s);
  Report("R");
  Random admin(seed ^ (start * 7919 + 1));
  WriteBatch wb;
  for (uint64_t n = start;; n++) {
    bool sync;
    const std::vector<Op> ops = MakeBatch(seed, n, &sync);
    wb.Clear();
    for (const Op& op : ops) {
      switch (op.type) {
        case Op::kPut:
          wb.Put(op.key, op.value);
          break;
        case Op::kDelete:
          wb.Delete(op.key);
          break;
        case Op::kDeleteRange:
          wb.DeleteRange(op.key, op.value);
          break;
      }
    }
    Report("P " + std::to_string(n));
    strata::WriteOptions wo;
    wo.sync = sync;
    s = db->Write(wo, &wb);
    if (!s.ok()) ChildFail("write of batch " + std::to_string(n), s);
    Report("C " + std::to_string(n));

    // Now and then, foreground admin work (background flushes and
    // compactions run anyway).
    const uint64_t what = admin.Uniform(1000);
    if (what < 5) {
      strata::FlushOptions fo;
      fo.wait = admin.OneIn(2);
      s = db->Flush(fo);
      if (!s.ok()) ChildFail("flush", s);
    } else if (what < 8) {
      const int a = static_cast<int>(admin.Uniform(kKeySpace));
      const std::string b = Key(a), e = Key(a + 1 + static_cast<int>(admin.Uniform(800)));
      const strata::Slice bs(b), es(e);
      s = db->CompactRange(&bs, &es);
      if (!s.ok()) ChildFail("compact range", s);
    } else if (what < 9) {
      // Holds every batch < n + 1.
      const std::string dir = cp_dir + "/cp-" + std::to_string(n + 1);
      s = db->Checkpoint(dir);
      if (!s.ok()) ChildFail("checkpoint " + dir, s);
      Report("K " + std::to_string(n + 1) + " " + dir);
    } else if (what < 10) {
      s = db->SyncWAL();
      if (!s.ok()) ChildFail("sync WAL", s);
    }
  }
}

// ---- The parent ------------------------------------------------------------

struct Flags {
  int iterations = 100;
  uint64_t seed = 0;
  std::string dir;
  int max_delay_ms = 200;
  bool verbose = false;
};

struct Totals {
  uint64_t kills = 0;
  uint64_t kills_before_open = 0;  // the child had not reported "R"
  uint64_t batches = 0;            // acknowledged batches, over all children
  uint64_t sync_batches = 0;
  uint64_t pending_present = 0;  // the pending batch survived the kill
  uint64_t pending_absent = 0;
  uint64_t checkpoints = 0;      // checked
  uint64_t torn_tails = 0;       // reopens that dropped a torn WAL tail
  uint64_t leftover_tables = 0;  // reopens that removed table files (a kill mid-flush/compaction)
};

std::string Hex(const std::string& s, size_t max = 24) {
  return s.size() > max ? s.substr(0, max) + "..." : s;
}

// "" if the store in dir holds exactly model (forward and backward) and
// passes Verify(); else the first problem. *stats gets strata.stats.
std::string CheckStore(DB* db, const Map& model) {
  std::unique_ptr<strata::Iterator> it(db->NewIterator(strata::ReadOptions()));
  auto m = model.begin();
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++m) {
    if (m == model.end()) return "unexpected key " + it->key().ToString();
    if (it->key().ToString() != m->first) {
      return it->key().ToString() < m->first ? "unexpected key " + it->key().ToString()
                                             : "missing key " + m->first;
    }
    if (it->value().ToString() != m->second) {
      return "wrong value for " + m->first + ": " + Hex(it->value().ToString()) + ", expected " +
             Hex(m->second);
    }
  }
  if (!it->status().ok()) return "forward scan: " + it->status().ToString();
  if (m != model.end()) return "missing key " + m->first;
  auto r = model.rbegin();
  for (it->SeekToLast(); it->Valid(); it->Prev(), ++r) {
    if (r == model.rend() || it->key().ToString() != r->first ||
        it->value().ToString() != r->second) {
      return "backward scan disagrees at " + it->key().ToString();
    }
  }
  if (!it->status().ok()) return "backward scan: " + it->status().ToString();
  if (r != model.rend()) return "backward scan misses " + r->first;
  it.reset();
  for (const auto& [k, v] : model) {
    std::string got;
    Status s = db->Get(strata::ReadOptions(), k, &got);
    if (!s.ok() || got != v) return "Get(" + k + "): " + (s.ok() ? Hex(got) : s.ToString());
  }
  Status s = db->Verify();
  if (!s.ok()) return "Verify: " + s.ToString();
  return "";
}

std::vector<std::string> Tables(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".sst") names.push_back(e.path().filename().string());
  }
  return names;
}

uint64_t StatValue(DB* db, const std::string& name) {
  std::string json;
  db->GetProperty("strata.stats", &json);
  const size_t p = json.find("\"" + name + "\":");
  if (p == std::string::npos) return 0;
  return strtoull(json.c_str() + p + name.size() + 3, nullptr, 10);
}

class Parent {
 public:
  Parent(const Flags& flags, const std::string& self)
      : flags_(flags),
        self_(self),
        rnd_(flags.seed),
        db_dir_(flags.dir + "/db"),
        cp_dir_(flags.dir + "/checkpoints") {}

  // Runs every iteration; returns the process exit status.
  int Run() {
    fs::create_directories(cp_dir_);
    // The store is created here, so that every kill hits a reopen.
    {
      std::unique_ptr<DB> db;
      Status s = DB::Open(StoreOptions(), db_dir_, &db);
      if (!s.ok()) return Fail("creating the store: " + s.ToString());
    }
    for (iteration_ = 0; iteration_ < flags_.iterations; iteration_++) {
      std::string problem = OneKill();
      if (!problem.empty()) return Fail(problem);
    }
    printf("engine_crash_test: OK, seed %" PRIu64 ": %" PRIu64 " kills (%" PRIu64
           " before the store was open), %" PRIu64 " batches acknowledged (%" PRIu64
           " with sync), pending batch present after %" PRIu64 " kills and absent after %" PRIu64
           ", %" PRIu64 " torn WAL tails dropped, %" PRIu64
           " reopens removed unfinished or obsolete tables, %" PRIu64 " checkpoints checked\n",
           flags_.seed, totals_.kills, totals_.kills_before_open, totals_.batches,
           totals_.sync_batches, totals_.pending_present, totals_.pending_absent,
           totals_.torn_tails, totals_.leftover_tables, totals_.checkpoints);
    return 0;
  }

 private:
  int Fail(const std::string& problem) {
    fprintf(stderr,
            "engine_crash_test: FAILED at iteration %d (seed %" PRIu64 ", next batch %" PRIu64
            "): %s\n  directory kept: %s\n  rerun: --seed=%" PRIu64 " --iterations=%d\n",
            iteration_, flags_.seed, next_batch_, problem.c_str(), flags_.dir.c_str(), flags_.seed,
            flags_.iterations);
    return 1;
  }

  // Starts a child writing from next_batch_, kills it, checks the store.
  std::string OneKill() {
    // The write end stays open across exec; everything is prepared before
    // fork, since the child of a threaded process may only exec.
    int fds[2];
    if (pipe(fds) != 0) return std::string("pipe: ") + strerror(errno);
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    std::vector<std::string> args = {self_,
                                     "--child",
                                     "--fd=" + std::to_string(fds[1]),
                                     "--dir=" + flags_.dir,
                                     "--seed=" + std::to_string(flags_.seed),
                                     "--start=" + std::to_string(next_batch_)};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t pid = fork();
    if (pid < 0) return std::string("fork: ") + strerror(errno);
    if (pid == 0) {
      execv(self_.c_str(), argv.data());
      _exit(127);
    }
    close(fds[1]);
    const int rfd = fds[0];

    // When to kill: mostly some time after the store is open, sometimes
    // while it is still opening.
    const bool early = rnd_.OneIn(10);
    const int delay_ms = static_cast<int>(rnd_.Uniform(early ? 30 : flags_.max_delay_ms + 1));
    std::string buffer;
    bool ready = false, child_exited = false;
    auto start = std::chrono::steady_clock::now();
    auto deadline = start + std::chrono::milliseconds(early ? delay_ms : kStartTimeoutMs);
    while (true) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) break;
      pollfd p{rfd, POLLIN, 0};
      const int wait_ms = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count());
      const int r = poll(&p, 1, std::max(1, wait_ms));
      if (r < 0 && errno == EINTR) continue;
      if (r > 0) {
        char buf[4096];
        const ssize_t got = read(rfd, buf, sizeof(buf));
        if (got <= 0) {
          child_exited = true;  // the child died on its own
          break;
        }
        buffer.append(buf, static_cast<size_t>(got));
        if (!ready && buffer.find("R\n") != std::string::npos) {
          ready = true;
          if (!early)
            deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms);
        }
      }
    }
    if (!ready && !early && !child_exited) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      close(rfd);
      return "the child did not open the store within " + std::to_string(kStartTimeoutMs) + " ms";
    }
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    // Drain what the child wrote before it died.
    char buf[4096];
    ssize_t got;
    while ((got = read(rfd, buf, sizeof(buf))) > 0) buffer.append(buf, static_cast<size_t>(got));
    close(rfd);
    totals_.kills++;
    if (!ready) totals_.kills_before_open++;
    if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
      return "the child ended by itself (status " + std::to_string(status) +
             "): " + buffer.substr(buffer.rfind('\n', buffer.size() - 2) + 1);
    }
    return CheckAfterKill(buffer, ready, delay_ms);
  }

  // Replays the child's report into the model, then checks the store.
  std::string CheckAfterKill(const std::string& report, bool ready, int delay_ms) {
    bool has_pending = false;
    uint64_t pending = 0;
    size_t pos = 0;
    while (true) {
      const size_t eol = report.find('\n', pos);
      if (eol == std::string::npos) break;  // a line cut by the kill: ignored
      const std::string line = report.substr(pos, eol - pos);
      pos = eol + 1;
      if (line.empty()) continue;
      if (line[0] == 'F') return "the child failed: " + line.substr(2);
      if (line[0] == 'P') {
        pending = strtoull(line.c_str() + 2, nullptr, 10);
        if (pending != next_batch_)
          return "the child announced batch " + line.substr(2) + ", expected " +
                 std::to_string(next_batch_);
        has_pending = true;
      } else if (line[0] == 'C') {
        const uint64_t n = strtoull(line.c_str() + 2, nullptr, 10);
        if (!has_pending || n != pending) return "acknowledged a batch not announced: " + line;
        bool sync;
        ApplyToModel(MakeBatch(flags_.seed, n, &sync), &model_);
        totals_.batches++;
        totals_.sync_batches += sync ? 1 : 0;
        has_pending = false;
        next_batch_ = n + 1;
      } else if (line[0] == 'K') {
        char* end = nullptr;
        const uint64_t n = strtoull(line.c_str() + 2, &end, 10);
        const std::string dir = end + 1;
        if (n != next_batch_)
          return "checkpoint of batch " + std::to_string(n) + " at batch " +
                 std::to_string(next_batch_);
        std::string problem = CheckCheckpoint(dir);
        if (!problem.empty()) return "checkpoint " + dir + ": " + problem;
      }
    }
    // Partial checkpoints of the killed child.
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(cp_dir_, ec)) fs::remove_all(e.path(), ec);

    const std::vector<std::string> tables_before = Tables(db_dir_);
    std::unique_ptr<DB> db;
    Status s = DB::Open(StoreOptions(), db_dir_, &db);
    if (!s.ok()) return "reopen failed: " + s.ToString();
    // The last batch present, by a scan (and by Get, which must agree).
    std::string last;
    bool any = false;
    {
      std::unique_ptr<strata::Iterator> it(db->NewIterator(strata::ReadOptions()));
      it->SeekToLast();
      if (!it->status().ok()) return "SeekToLast: " + it->status().ToString();
      if (it->Valid() && it->key().ToString() == kLastKey) {
        any = true;
        last = it->value().ToString();
      }
    }
    std::string got;
    s = db->Get(strata::ReadOptions(), kLastKey, &got);
    if (!s.ok() && !s.IsNotFound()) return "Get(~last): " + s.ToString();
    if (s.ok() != any || (any && got != last)) {
      return "Get(~last) says " + (s.ok() ? got : std::string("not found")) + " but a scan finds " +
             (any ? last : std::string("nothing"));
    }
    const uint64_t last_n = any ? strtoull(last.c_str(), nullptr, 10) : 0;
    // The last batch present must be the last acknowledged one, or the
    // pending one.
    const bool expect_none = next_batch_ == 0;
    if (any && has_pending && last_n == pending) {
      bool sync;
      ApplyToModel(MakeBatch(flags_.seed, pending, &sync), &model_);
      next_batch_ = pending + 1;
      totals_.pending_present++;
    } else if ((expect_none && !any) || (any && !expect_none && last_n + 1 == next_batch_)) {
      if (has_pending) totals_.pending_absent++;
    } else {
      return "the store ends at batch " + (any ? last : std::string("(none)")) +
             " but batches up to " + std::to_string(static_cast<int64_t>(next_batch_) - 1) +
             " were acknowledged" +
             (has_pending ? " and " + std::to_string(pending) + " was pending" : "");
    }
    std::string problem = CheckStore(db.get(), model_);
    if (!problem.empty()) return "after the kill: " + problem;
    if (StatValue(db.get(), "wal_tails_dropped") > 0) totals_.torn_tails++;
    // A table gone after recovery was an unfinished output of a killed
    // flush or compaction (or an input not yet deleted).
    const std::vector<std::string> tables_after = Tables(db_dir_);
    for (const std::string& t : tables_before) {
      if (std::find(tables_after.begin(), tables_after.end(), t) == tables_after.end()) {
        totals_.leftover_tables++;
        break;
      }
    }
    s = db->Close();
    if (!s.ok()) return "close: " + s.ToString();
    if (flags_.verbose) {
      printf("iteration %d: killed %d ms %s, %" PRIu64 " batches so far, pending %s\n", iteration_,
             delay_ms, ready ? "after open" : "while opening", next_batch_,
             has_pending ? (any && last_n == pending ? "present" : "absent") : "none");
    }
    return "";
  }

  std::string CheckCheckpoint(const std::string& dir) {
    std::unique_ptr<DB> db;
    Status s = DB::Open(StoreOptions(), dir, &db);
    if (!s.ok()) return "open: " + s.ToString();
    std::string problem = CheckStore(db.get(), model_);
    db.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
    if (problem.empty()) totals_.checkpoints++;
    return problem;
  }

  const Flags flags_;
  const std::string self_;
  Random rnd_;
  const std::string db_dir_;
  const std::string cp_dir_;
  Map model_;                // the store after batches 0..next_batch_-1
  uint64_t next_batch_ = 0;  // the first batch not known to be in the store
  int iteration_ = 0;
  Totals totals_;
};

bool Flag(const char* arg, const char* name, std::string* value) {
  const size_t n = strlen(name);
  if (strncmp(arg, name, n) != 0 || arg[n] != '=') return false;
  *value = arg + n + 1;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  flags.seed = static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count() ^
                                     (getpid() << 16));
  bool child = false;
  int fd = -1;
  uint64_t start = 0;
  for (int i = 1; i < argc; i++) {
    std::string v;
    if (strcmp(argv[i], "--child") == 0) {
      child = true;
    } else if (strcmp(argv[i], "--verbose") == 0) {
      flags.verbose = true;
    } else if (Flag(argv[i], "--iterations", &v)) {
      flags.iterations = atoi(v.c_str());
    } else if (Flag(argv[i], "--seed", &v)) {
      flags.seed = strtoull(v.c_str(), nullptr, 10);
    } else if (Flag(argv[i], "--dir", &v)) {
      flags.dir = v;
    } else if (Flag(argv[i], "--max-delay-ms", &v)) {
      flags.max_delay_ms = std::max(0, atoi(v.c_str()));
    } else if (Flag(argv[i], "--fd", &v)) {
      fd = atoi(v.c_str());
    } else if (Flag(argv[i], "--start", &v)) {
      start = strtoull(v.c_str(), nullptr, 10);
    } else {
      fprintf(stderr,
              "usage: %s [--iterations=N] [--seed=S] [--dir=D] [--max-delay-ms=M] [--verbose]\n",
              argv[0]);
      return 2;
    }
  }
  if (child) {
    g_report_fd = fd;
    RunChild(flags.dir + "/db", flags.dir + "/checkpoints", flags.seed, start);
  }

  bool remove_dir = false;
  if (flags.dir.empty()) {
    const char* tmp = getenv("TMPDIR");
    flags.dir = std::string(tmp != nullptr ? tmp : "/tmp") + "/engine_crash_test-" +
                std::to_string(getpid());
    remove_dir = true;
  }
  if (fs::exists(flags.dir + "/db")) {
    fprintf(stderr, "%s/db exists: give a new --dir\n", flags.dir.c_str());
    return 2;
  }
  fs::create_directories(flags.dir);
  signal(SIGPIPE, SIG_IGN);
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  printf("engine_crash_test: seed %" PRIu64 ", %d kills, directory %s\n", flags.seed,
         flags.iterations, flags.dir.c_str());
  fflush(stdout);
  Parent parent(flags, self);
  const int rc = parent.Run();
  if (rc == 0 && remove_dir) fs::remove_all(flags.dir);
  return rc;
}

// Transaction isolation between connections, strata against SQLite's own: every test runs the
// same steps on a native table in a WAL database shared by two connections and on a strata
// table whose store the two connections share (each from its own database file, so that only
// strata's arbitration is at work, not the database file's lock), and expects the same
// outcome, written once. What it pins down (SPEC §2, vtab.h ReadSnapshot, txn_watch.h):
//   - a transaction reads one snapshot, from its first read to its end, even if it writes
//     nothing; the next transaction reads the latest state;
//   - a write after another connection committed since the transaction's first read is
//     refused with SQLITE_BUSY_SNAPSHOT (no lost update); rolled back, the retry succeeds;
//   - a statement that writes takes the write token when it starts, so a second writer gets
//     SQLITE_BUSY even in the middle of the first's read-then-write statement;
//   - readers are neither blocked by nor shown a writer's pending transaction.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "unit_tests/sql_test_util.h"
#include "unit_tests/test_util.h"

namespace strata {
namespace {

class SqlIsolationTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    const char* ext = getenv("STRATA_EXT");
    if (ext == nullptr || *ext == '\0') GTEST_SKIP() << "STRATA_EXT is not set";
    ext_ = ext;
    const bool strata = GetParam();
    a_ = test::OpenWithExtension(dir_.Sub(strata ? "a.db" : "native.db"), ext_);
    b_ = test::OpenWithExtension(dir_.Sub(strata ? "b.db" : "native.db"), ext_);
    ASSERT_NE(nullptr, a_);
    ASSERT_NE(nullptr, b_);
    if (strata) {
      const std::string create =
          "CREATE VIRTUAL TABLE t USING strata(k INTEGER PRIMARY KEY, v INTEGER, path = '" +
          dir_.Sub("t.strata") + "')";
      ASSERT_EQ("", Exec(a_, create));
      ASSERT_EQ("", Exec(b_, create));
    } else {
      ASSERT_EQ("", Exec(a_,
                         "PRAGMA journal_mode=WAL; "
                         "CREATE TABLE t(k INTEGER PRIMARY KEY, v INTEGER)"));
    }
    ASSERT_EQ("", Exec(a_, "INSERT INTO t VALUES (1, 10), (2, 20), (3, 30)"));
    ASSERT_EQ(SQLITE_OK, sqlite3_create_function(
                             a_, "hook", 1, SQLITE_UTF8, this,
                             [](sqlite3_context* ctx, int, sqlite3_value** argv) {
                               auto* self = static_cast<SqlIsolationTest*>(sqlite3_user_data(ctx));
                               if (self->hook_) self->hook_();
                               sqlite3_result_value(ctx, argv[0]);
                             },
                             nullptr, nullptr));
  }
  void TearDown() override {
    if (a_ != nullptr) sqlite3_close(a_);
    if (b_ != nullptr) sqlite3_close(b_);
  }

  // "" on success, else the extended error code and the message.
  static std::string Exec(sqlite3* db, const std::string& sql) {
    std::string r = test::ExecSql(db, sql);
    if (r.empty()) return r;
    return std::to_string(sqlite3_extended_errcode(db)) + r.substr(r.find(':'));
  }
  // The extended code alone ("0" for success).
  static std::string Code(sqlite3* db, const std::string& sql) {
    const std::string r = Exec(db, sql);
    return r.empty() ? "0" : r.substr(0, r.find(':'));
  }
  static std::string Query(sqlite3* db, const std::string& sql) {
    return test::QueryFirst(db, sql);
  }
  static std::string V1(sqlite3* db) { return Query(db, "SELECT v FROM t WHERE k = 1"); }
  static std::string Sum(sqlite3* db) { return Query(db, "SELECT sum(v) FROM t"); }
  // The store's open snapshots (strata only).
  std::string Snapshots() { return Query(a_, "SELECT strata_stats('t') ->> '$.snapshots'"); }

  test::ScratchDir dir_{"sql-isolation"};
  std::string ext_;
  sqlite3* a_ = nullptr;
  sqlite3* b_ = nullptr;
  std::function<void()> hook_;
};

const std::string kBusy = std::to_string(SQLITE_BUSY);
const std::string kBusySnapshot = std::to_string(SQLITE_BUSY_SNAPSHOT);

TEST_P(SqlIsolationTest, ReadOnlyTransactionReadsOneSnapshot) {
  ASSERT_EQ("", Exec(b_, "BEGIN"));
  EXPECT_EQ("10", V1(b_));
  ASSERT_EQ("", Exec(a_, "UPDATE t SET v = 11 WHERE k = 1; INSERT INTO t VALUES (4, 40)"));
  // Point reads, scans and IN lists all read the transaction's snapshot.
  EXPECT_EQ("10", V1(b_));
  EXPECT_EQ("60", Sum(b_));
  EXPECT_EQ("3", Query(b_, "SELECT count(*) FROM t WHERE k IN (1, 2, 3, 4)"));
  EXPECT_EQ("11", V1(a_));
  if (GetParam()) EXPECT_EQ("1", Snapshots());  // the transaction's, held between statements
  ASSERT_EQ("", Exec(b_, "COMMIT"));
  if (GetParam()) EXPECT_EQ("0", Snapshots());
  EXPECT_EQ("11", V1(b_));
  EXPECT_EQ("101", Sum(b_));
}

// The end of a transaction that only read is seen however it ends, so the next one reads the
// latest state: COMMIT, ROLLBACK, RELEASE of the savepoint that began it, and a transaction
// whose first statement writes a TEMP table.
TEST_P(SqlIsolationTest, NextTransactionReadsTheLatestState) {
  int v = 10;
  auto bump = [&] {
    v++;
    return Exec(a_, "UPDATE t SET v = " + std::to_string(v) + " WHERE k = 1");
  };
  const std::pair<const char*, const char*> ways[] = {
      {"BEGIN", "COMMIT"},
      {"BEGIN", "ROLLBACK"},
      {"SAVEPOINT s", "RELEASE s"},
      {"BEGIN IMMEDIATE", "END"},
      {"BEGIN; CREATE TEMP TABLE IF NOT EXISTS scratch(x); INSERT INTO scratch VALUES (1)",
       "COMMIT"},
  };
  for (const auto& [begin, end] : ways) {
    SCOPED_TRACE(begin);
    ASSERT_EQ("", Exec(b_, begin));
    EXPECT_EQ(std::to_string(v), V1(b_));
    ASSERT_EQ("", Exec(b_, end));
    ASSERT_EQ("", bump());
    ASSERT_EQ("", Exec(b_, begin));
    EXPECT_EQ(std::to_string(v), V1(b_));
    ASSERT_EQ("", Exec(b_, end));
  }
}

TEST_P(SqlIsolationTest, StaleWriteIsRefusedAndTheRetrySucceeds) {
  ASSERT_EQ("", Exec(b_, "BEGIN"));
  EXPECT_EQ("10", V1(b_));
  ASSERT_EQ("", Exec(a_, "UPDATE t SET v = 11 WHERE k = 1"));
  EXPECT_EQ("10", V1(b_));
  // Even a write to another row: the transaction read a state that is gone.
  EXPECT_EQ(kBusySnapshot, Code(b_, "UPDATE t SET v = v + 5 WHERE k = 2"));
  EXPECT_EQ(kBusySnapshot, Code(b_, "INSERT INTO t VALUES (9, 90)"));
  ASSERT_EQ("", Exec(b_, "ROLLBACK"));
  EXPECT_EQ("11", V1(a_));
  EXPECT_EQ("20", Query(a_, "SELECT v FROM t WHERE k = 2"));
  // The retry reads the latest state and writes.
  ASSERT_EQ("", Exec(b_, "BEGIN"));
  EXPECT_EQ("11", V1(b_));
  ASSERT_EQ("", Exec(b_, "UPDATE t SET v = v + 5 WHERE k = 1"));
  ASSERT_EQ("", Exec(b_, "COMMIT"));
  EXPECT_EQ("16", V1(a_));
}

// Read, write, read again: the transaction's own write and the rows it read, and nothing of a
// commit that could only come before its write.
TEST_P(SqlIsolationTest, WriteAfterReadWithNoCommitBetweenGoesThrough) {
  ASSERT_EQ("", Exec(b_, "BEGIN"));
  EXPECT_EQ("60", Sum(b_));
  ASSERT_EQ("", Exec(b_, "UPDATE t SET v = v + 1 WHERE k = 1"));
  EXPECT_EQ(kBusy, Code(a_, "UPDATE t SET v = 0 WHERE k = 3"));
  EXPECT_EQ("61", Sum(b_));
  EXPECT_EQ("60", Sum(a_));  // readers see none of the pending transaction
  ASSERT_EQ("", Exec(b_, "COMMIT"));
  EXPECT_EQ("61", Sum(a_));
}

// A statement that writes nothing still holds the write token to its transaction's end, as a
// native write statement holds the database's write lock.
TEST_P(SqlIsolationTest, WriteStatementTakesTheTokenEvenIfItChangesNothing) {
  ASSERT_EQ("", Exec(b_, "BEGIN; UPDATE t SET v = 0 WHERE k = 999"));
  EXPECT_EQ(kBusy, Code(a_, "INSERT INTO t VALUES (5, 50)"));
  EXPECT_EQ("60", Sum(a_));
  ASSERT_EQ("", Exec(b_, "COMMIT"));
  EXPECT_EQ("", Exec(a_, "INSERT INTO t VALUES (5, 50)"));
}

// A second writer with a busy timeout waits for the first to finish, as it waits for a
// database's write lock; past its timeout it gets SQLITE_BUSY.
TEST_P(SqlIsolationTest, SecondWriterWaitsUpToItsBusyTimeout) {
  ASSERT_EQ("", Exec(a_, "BEGIN; UPDATE t SET v = 11 WHERE k = 1"));
  sqlite3_busy_timeout(b_, 100);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(kBusy, Code(b_, "UPDATE t SET v = v + 1 WHERE k = 2"));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(90));
  sqlite3_busy_timeout(b_, 20000);
  std::string waited = "not run";
  std::thread writer([&] { waited = Exec(b_, "UPDATE t SET v = v + 1 WHERE k = 1"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_EQ("", Exec(a_, "COMMIT"));
  writer.join();
  EXPECT_EQ("", waited);
  EXPECT_EQ("12", V1(a_));  // after a's 11: b waited, then read the latest
}

// Autocommit UPDATE v = v + 1: another connection tries to commit between the UPDATE's read of
// the row and its write (from a function the UPDATE calls). The UPDATE holds the write token
// from its start, so the other write is refused and no update is lost.
TEST_P(SqlIsolationTest, NoLostUpdateWithinOneStatement) {
  std::string other = "not run";
  hook_ = [&] { other = Code(b_, "UPDATE t SET v = 100 WHERE k = 1"); };
  ASSERT_EQ("", Exec(a_, "UPDATE t SET v = hook(v) + 1 WHERE k = 1"));
  EXPECT_EQ(kBusy, other);
  EXPECT_EQ("11", V1(a_));
  EXPECT_EQ("11", V1(b_));
}

// A connection closed in the middle of a read transaction lets go of its snapshot (the
// sanitizer builds would report a leak), and the other connection goes on writing.
TEST_P(SqlIsolationTest, CloseInsideAReadTransaction) {
  ASSERT_EQ("", Exec(b_, "BEGIN"));
  EXPECT_EQ("10", V1(b_));
  ASSERT_EQ(SQLITE_OK, sqlite3_close(b_));
  b_ = nullptr;
  ASSERT_EQ("", Exec(a_, "UPDATE t SET v = 12 WHERE k = 1"));
  EXPECT_EQ("12", V1(a_));
}

// Rolling back a schema change resets the connection's schema, and SQLite connects the strata
// table anew while the old connection object stays in the transaction: both must act on one
// transaction (vtab.h, StoreTxn), so writes before the savepoint survive and those after it go.
TEST_P(SqlIsolationTest, RollbackOfASchemaChangeKeepsTheTransaction) {
  ASSERT_EQ("", Exec(b_,
                     "BEGIN; INSERT INTO t VALUES (7, 70); SAVEPOINT sp; "
                     "INSERT INTO t VALUES (8, 80); CREATE TABLE other(x); ROLLBACK TO sp; "
                     "INSERT INTO t VALUES (9, 90)"));
  EXPECT_EQ("7,9", Query(b_, "SELECT group_concat(k) FROM t WHERE k > 5"));
  EXPECT_EQ(kBusy, Code(a_, "INSERT INTO t VALUES (10, 100)"));
  ASSERT_EQ("", Exec(b_, "COMMIT"));
  EXPECT_EQ("7,9", Query(a_, "SELECT group_concat(k) FROM t WHERE k > 5"));
  EXPECT_EQ("", Exec(a_, "INSERT INTO t VALUES (10, 100)"));
}

// The connection's first read in a transaction creates temp.strata_txn (txn_watch.h) inside
// savepoint b; ROLLBACK TO b undoes the creation and resets the schema, and SQLite lets go of
// the strata table object, which had only read, while the transaction goes on. Its view (the
// snapshot and the first read's mark) must survive: the reads stay on the snapshot and the
// stale write is refused.
TEST_P(SqlIsolationTest, ViewSurvivesARollbackThatResetsTheSchema) {
  ASSERT_EQ("", Exec(b_, "SAVEPOINT a; SAVEPOINT b"));
  EXPECT_EQ("10", V1(b_));
  ASSERT_EQ("", Exec(a_, "UPDATE t SET v = 11 WHERE k = 1"));
  ASSERT_EQ("", Exec(b_, "ROLLBACK TO b"));
  EXPECT_EQ("10", V1(b_));
  EXPECT_EQ(kBusySnapshot, Code(b_, "UPDATE t SET v = v + 5 WHERE k = 1"));
  ASSERT_EQ("", Exec(b_, "ROLLBACK TO a; RELEASE a"));
  EXPECT_EQ("11", V1(a_));
  // The next transaction starts afresh.
  ASSERT_EQ("", Exec(b_, "BEGIN"));
  EXPECT_EQ("11", V1(b_));
  ASSERT_EQ("", Exec(b_, "UPDATE t SET v = v + 5 WHERE k = 1; COMMIT"));
  EXPECT_EQ("16", V1(a_));
}

INSTANTIATE_TEST_SUITE_P(NativeAndStrata, SqlIsolationTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Strata" : "Native";
                         });

// Under PRAGMA query_only the TEMP schema cannot be written, so strata cannot learn when a
// read-only transaction ends (txn_watch.h): reads still work, each statement reading the
// latest state, and nothing is left behind.
TEST(SqlIsolationQueryOnlyTest, ReadsWorkWithoutATransactionSnapshot) {
  const char* ext = getenv("STRATA_EXT");
  if (ext == nullptr || *ext == '\0') GTEST_SKIP() << "STRATA_EXT is not set";
  test::ScratchDir dir("sql-isolation-qo");
  sqlite3* a = test::OpenWithExtension(dir.Sub("a.db"), ext);
  sqlite3* b = test::OpenWithExtension(dir.Sub("b.db"), ext);
  ASSERT_NE(nullptr, a);
  ASSERT_NE(nullptr, b);
  const std::string create =
      "CREATE VIRTUAL TABLE t USING strata(k INTEGER PRIMARY KEY, v, path = '" +
      dir.Sub("t.strata") + "')";
  ASSERT_EQ("", test::ExecSql(a, create + "; INSERT INTO t VALUES (1, 10)"));
  ASSERT_EQ("", test::ExecSql(b, create + "; PRAGMA query_only = 1; BEGIN"));
  EXPECT_EQ("10", test::QueryFirst(b, "SELECT v FROM t WHERE k = 1"));
  ASSERT_EQ("", test::ExecSql(a, "UPDATE t SET v = 11 WHERE k = 1"));
  EXPECT_EQ("11", test::QueryFirst(b, "SELECT v FROM t WHERE k = 1"));
  EXPECT_EQ("0", test::QueryFirst(b, "SELECT count(*) FROM sqlite_temp_schema"));
  EXPECT_EQ("", test::ExecSql(b, "COMMIT"));
  sqlite3_close(b);
  sqlite3_close(a);
}

}  // namespace
}  // namespace strata

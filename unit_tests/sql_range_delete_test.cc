// Range deletes (RangeDeleteRun in sqlite_ext/vtab.h) in the cases the sqlite3 shell cannot set
// up (sql_tests/40_range_delete has the rest): another connection commits into the range while
// the DELETE scans, a statement nested in the DELETE's scan writes and scans the table, and a
// range tombstone that only the WAL holds survives a reopen.
//
// Each case is one that a range tombstone would get wrong if the guard it tests were missing:
// the outcome must be the point deletes' one.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <functional>
#include <string>

#include "unit_tests/sql_test_util.h"
#include "unit_tests/test_util.h"

namespace strata {
namespace {

class RangeDeleteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* ext = getenv("STRATA_EXT");
    if (ext == nullptr || *ext == '\0') GTEST_SKIP() << "STRATA_EXT is not set";
    ext_ = ext;
    db_ = Open("test.db");
    ASSERT_NE(nullptr, db_);
    // Keys 100..199 but 150.
    ASSERT_EQ("", Exec("CREATE VIRTUAL TABLE t USING strata(k INTEGER PRIMARY KEY, v);"
                       "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s "
                       "WHERE x < 300) INSERT INTO t SELECT x, 'v' || x FROM s WHERE x <> 150"));
    ASSERT_EQ(SQLITE_OK, sqlite3_create_function_v2(db_, "hook", 1, SQLITE_UTF8, this, &CallHook,
                                                    nullptr, nullptr, nullptr));
    sequence_ = LastSequence();
  }
  void TearDown() override {
    if (db_ != nullptr) sqlite3_close(db_);
    if (other_ != nullptr) sqlite3_close(other_);
  }

  sqlite3* Open(const std::string& file) { return test::OpenWithExtension(dir_.Sub(file), ext_); }

  // "" on success, else the error code and message.
  std::string Exec(const std::string& sql, sqlite3* db = nullptr) {
    return test::ExecSql(db ? db : db_, sql);
  }

  // The first column of the first row, as text; or the error.
  std::string Query(const std::string& sql, sqlite3* db = nullptr) {
    return test::QueryFirst(db ? db : db_, sql);
  }

  int64_t LastSequence() {
    return std::stoll(Query("SELECT json_extract(strata_stats('t'), '$.last_sequence')"));
  }
  // Engine updates committed since the previous call (or SetUp): 1 for a range tombstone.
  int64_t Written() {
    const int64_t now = LastSequence();
    const int64_t n = now - sequence_;
    sequence_ = now;
    return n;
  }

  // hook(k) in SQL runs hook_ with k, once, and returns 1.
  static void CallHook(sqlite3_context* ctx, int, sqlite3_value** argv) {
    auto* self = static_cast<RangeDeleteTest*>(sqlite3_user_data(ctx));
    if (self->hook_) {
      auto hook = std::move(self->hook_);
      self->hook_ = nullptr;
      hook(sqlite3_value_int64(argv[0]));
    }
    sqlite3_result_int(ctx, 1);
  }

  test::ScratchDir dir_{"range-delete"};
  std::string ext_;
  sqlite3* db_ = nullptr;
  sqlite3* other_ = nullptr;
  std::function<void(int64_t)> hook_;
  int64_t sequence_ = 0;
};

TEST_F(RangeDeleteTest, RangeBecomesOneTombstone) {
  ASSERT_EQ("", Exec("DELETE FROM t WHERE k >= 100 AND k < 200"));
  EXPECT_EQ(99, sqlite3_changes(db_));
  EXPECT_EQ(1, Written());
  EXPECT_EQ("0", Query("SELECT count(*) FROM t WHERE k >= 100 AND k < 200"));
  EXPECT_EQ("200", Query("SELECT count(*) FROM t"));
}

// Another connection tries to commit a row into the range while the DELETE scans it. The
// DELETE took the store's write token when it began (xBegin, before its scan), as SQLite takes
// a database's write lock, so the other writer gets SQLITE_BUSY and the range stays as the scan
// saw it: one range tombstone is right. (Before the token moved to xBegin, the insert went
// through and the DELETE had to fall back to point deletes to keep the row.)
TEST_F(RangeDeleteTest, AnotherConnectionCannotCommitDuringTheScan) {
  other_ = Open("other.db");
  ASSERT_NE(nullptr, other_);
  ASSERT_EQ("", Exec("CREATE VIRTUAL TABLE t2 USING strata(k INTEGER PRIMARY KEY, v, "
                     "path = '" +
                         dir_.Sub("test.db-t.strata") + "')",
                     other_));
  std::string inserted = "not run";
  hook_ = [&](int64_t) {
    if (inserted == "not run") inserted = Exec("INSERT INTO t2 VALUES (150, 'late')", other_);
  };
  ASSERT_EQ("", Exec("DELETE FROM t WHERE k >= 100 AND k < 200 AND hook(k)"));
  EXPECT_EQ(0u, inserted.rfind("5: ", 0)) << inserted;
  EXPECT_NE(std::string::npos, inserted.find("one writer at a time")) << inserted;
  EXPECT_EQ(99, sqlite3_changes(db_));
  EXPECT_EQ(1, Written());
  EXPECT_EQ("0", Query("SELECT count(*) FROM t WHERE k >= 100 AND k < 200"));
  // Once the DELETE has committed, the other connection writes.
  EXPECT_EQ("", Exec("INSERT INTO t2 VALUES (150, 'late')", other_));
  EXPECT_EQ("150:late",
            Query("SELECT group_concat(k || ':' || v) FROM t WHERE k >= 100 AND k < 200"));
}

// A statement nested in the DELETE's scan (through hook) deletes 120, inserts 150 and then
// scans the range to its end: 99 rows, as many as the DELETE will delete, but not the same
// ones. The DELETE deletes what its own scan saw, so 150 must survive. (The nested scan runs
// while the DELETE's cursor is open, which keeps it from starting a run.)
TEST_F(RangeDeleteTest, NestedStatementScansTheRangeAgain) {
  std::string nested = "not run";
  hook_ = [&](int64_t) {
    nested = Exec("DELETE FROM t WHERE k = 120; INSERT INTO t VALUES (150, 'nested')");
    if (nested.empty()) nested = Query("SELECT count(*) FROM t WHERE k >= 100 AND k < 200");
  };
  ASSERT_EQ("", Exec("DELETE FROM t WHERE k >= 100 AND k < 200 AND hook(k)"));
  ASSERT_EQ("99", nested);
  EXPECT_EQ(99, sqlite3_changes(db_));
  EXPECT_EQ("150:nested",
            Query("SELECT group_concat(k || ':' || v) FROM t WHERE k >= 100 AND k < 200"));
}

// The tombstone is in the WAL only (no flush) when the connection closes; reopened, the store
// replays it. Then a flush and a full compaction, and reopened again.
TEST_F(RangeDeleteTest, SurvivesReopen) {
  ASSERT_EQ("", Exec("BEGIN; DELETE FROM t WHERE k > 10 AND k <= 250;"
                     "INSERT INTO t VALUES (100, 'after the range delete'); COMMIT"));
  EXPECT_EQ(2, Written());
  const std::string expected = "10|61|50|100:after the range delete";
  const std::string query =
      "SELECT max(k) FILTER (WHERE k <= 10) || '|' || count(*) || '|' || "
      "count(*) FILTER (WHERE k > 250) || '|' || (SELECT k || ':' || v FROM t WHERE k = 100) "
      "FROM t";
  EXPECT_EQ("61", Query("SELECT count(*) FROM t"));
  sqlite3_close(db_);
  db_ = Open("test.db");
  ASSERT_NE(nullptr, db_);
  EXPECT_EQ("61", Query("SELECT count(*) FROM t"));
  EXPECT_EQ(expected, Query(query));
  EXPECT_EQ("ok", Query("SELECT strata_flush('t')"));
  EXPECT_EQ("ok", Query("SELECT strata_compact('t')"));
  sqlite3_close(db_);
  db_ = Open("test.db");
  ASSERT_NE(nullptr, db_);
  EXPECT_EQ(expected, Query(query));
  EXPECT_EQ("ok", Query("SELECT strata_verify('t')"));
}

}  // namespace
}  // namespace strata

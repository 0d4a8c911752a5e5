// Transactional DROP TABLE and ALTER TABLE ... RENAME of strata tables (sqlite_ext/ddl_txn.h),
// in the cases the sqlite3 shell cannot set up (sql_tests/37_transactional_ddl has the rest):
// a statement still reading the renamed table at COMMIT, a COMMIT that fails after the store
// has moved, and a connection closed with the transaction open.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <string>

#include "unit_tests/sql_test_util.h"
#include "unit_tests/test_util.h"

namespace strata {
namespace {

class DdlTxnTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* ext = getenv("STRATA_EXT");
    if (ext == nullptr || *ext == '\0') GTEST_SKIP() << "STRATA_EXT is not set";
    ext_ = ext;
    db_ = Open();
    ASSERT_NE(nullptr, db_);
    ASSERT_EQ("", Exec("CREATE VIRTUAL TABLE n USING strata;"
                       "INSERT INTO n VALUES (1, 'a'), (2, 'b');"
                       "CREATE TABLE native(x); INSERT INTO native VALUES (1)"));
  }
  void TearDown() override {
    if (db_ != nullptr) sqlite3_close(db_);
    if (other_ != nullptr) sqlite3_close(other_);
  }

  sqlite3* Open() { return test::OpenWithExtension(dir_.Sub("test.db"), ext_); }

  // "" on success, else the error code and message.
  std::string Exec(const std::string& sql, sqlite3* db = nullptr) {
    return test::ExecSql(db ? db : db_, sql);
  }

  // The first column of the first row, as text; or the error.
  std::string Query(const std::string& sql, sqlite3* db = nullptr) {
    return test::QueryFirst(db ? db : db_, sql);
  }

  // Which of the stores of tables n and n2 exist on disk.
  std::string Stores() {
    std::string r;
    for (const char* t : {"n", "n2"}) {
      if (std::filesystem::exists(dir_.Sub(std::string("test.db-") + t + ".strata"))) {
        r += r.empty() ? t : std::string(",") + t;
      }
    }
    return r;
  }

  test::ScratchDir dir_{"ddltxn"};
  std::string ext_;
  sqlite3* db_ = nullptr;
  sqlite3* other_ = nullptr;
};

TEST_F(DdlTxnTest, CommitWaitsForAStatementReadingTheRenamedTable) {
  ASSERT_EQ("", Exec("BEGIN; ALTER TABLE n RENAME TO n2"));
  sqlite3_stmt* scan = nullptr;
  ASSERT_EQ(SQLITE_OK, sqlite3_prepare_v2(db_, "SELECT key FROM n2", -1, &scan, nullptr));
  ASSERT_EQ(SQLITE_ROW, sqlite3_step(scan));
  // Moving the store would close the engine under the scan: COMMIT is busy, and the
  // transaction stays open.
  const std::string busy = Exec("COMMIT");
  EXPECT_EQ(0u, busy.rfind("5: ", 0)) << busy;
  EXPECT_NE(std::string::npos, busy.find("a statement still reads this store")) << busy;
  EXPECT_EQ(0, sqlite3_get_autocommit(db_));
  EXPECT_EQ("n", Stores());
  ASSERT_EQ(SQLITE_ROW, sqlite3_step(scan));
  EXPECT_EQ(2, sqlite3_column_int(scan, 0));
  EXPECT_EQ(SQLITE_DONE, sqlite3_step(scan));
  sqlite3_finalize(scan);
  EXPECT_EQ("", Exec("COMMIT"));
  EXPECT_EQ("n2", Stores());
  EXPECT_EQ("2", Query("SELECT count(*) FROM n2"));
}

TEST_F(DdlTxnTest, CommitBusyAfterTheMoveThenRollbackMovesTheStoreBack) {
  // Another connection's read transaction on a native table keeps the database from
  // committing (SQLITE_BUSY) after the store has moved in xSync.
  other_ = Open();
  ASSERT_NE(nullptr, other_);
  ASSERT_EQ("", Exec("BEGIN; SELECT * FROM native", other_));
  ASSERT_EQ("", Exec("BEGIN; ALTER TABLE n RENAME TO n2"));
  EXPECT_EQ(0u, Exec("COMMIT").rfind("5: ", 0));
  EXPECT_EQ(0, sqlite3_get_autocommit(db_));
  EXPECT_EQ("n2", Stores());
  EXPECT_EQ("2", Query("SELECT count(*) FROM n2"));
  ASSERT_EQ("", Exec("ROLLBACK"));
  EXPECT_EQ("n", Stores());
  EXPECT_EQ("2", Query("SELECT count(*) FROM n"));
  // Retried once the reader is gone, the COMMIT goes through.
  ASSERT_EQ("", Exec("BEGIN; ALTER TABLE n RENAME TO n2"));
  EXPECT_EQ(0u, Exec("COMMIT").rfind("5: ", 0));
  ASSERT_EQ("", Exec("COMMIT", other_));
  EXPECT_EQ("", Exec("COMMIT"));
  EXPECT_EQ("n2", Stores());
  EXPECT_EQ("2", Query("SELECT count(*) FROM n2"));
}

TEST_F(DdlTxnTest, StoreThatCannotMoveBackFollowsItsTableLater) {
  other_ = Open();
  ASSERT_NE(nullptr, other_);
  ASSERT_EQ("", Exec("BEGIN; SELECT * FROM native", other_));
  ASSERT_EQ("", Exec("BEGIN; ALTER TABLE n RENAME TO n2"));
  EXPECT_EQ(0u, Exec("COMMIT").rfind("5: ", 0));
  EXPECT_EQ("n2", Stores());
  // The other connection still sees the committed name, and reads the moved store by it.
  EXPECT_EQ("2", Query("SELECT count(*) FROM n", other_));
  // Rolled back while it holds the store: the store cannot move back yet, but table n
  // reads it where it is...
  ASSERT_EQ("", Exec("ROLLBACK"));
  EXPECT_EQ("n2", Stores());
  EXPECT_EQ("2", Query("SELECT count(*) FROM n"));
  ASSERT_EQ("", Exec("COMMIT", other_));  // its read ends; it still holds table n
  ASSERT_EQ("", Exec("INSERT INTO n VALUES (3, 'c')"));
  EXPECT_EQ("3", Query("SELECT count(*) FROM n", other_));
  // ...and it moves back once no one holds it.
  sqlite3_close(db_);
  sqlite3_close(other_);
  other_ = nullptr;
  db_ = Open();
  ASSERT_NE(nullptr, db_);
  EXPECT_EQ("n", Stores());
  EXPECT_EQ("3", Query("SELECT count(*) FROM n"));
}

TEST_F(DdlTxnTest, ClosedWithTheTransactionOpenNothingHappened) {
  ASSERT_EQ("", Exec("CREATE VIRTUAL TABLE d USING strata; INSERT INTO d VALUES (1, 'd')"));
  ASSERT_EQ("", Exec("BEGIN; DROP TABLE d; ALTER TABLE n RENAME TO n2;"
                     "INSERT INTO n2 VALUES (3, 'c')"));
  sqlite3_close(db_);
  db_ = Open();
  ASSERT_NE(nullptr, db_);
  EXPECT_EQ("1", Query("SELECT count(*) FROM d"));
  EXPECT_EQ("2", Query("SELECT count(*) FROM n"));
  EXPECT_EQ("n", Stores());
  EXPECT_TRUE(std::filesystem::exists(dir_.Sub("test.db-d.strata")));
}

}  // namespace
}  // namespace strata

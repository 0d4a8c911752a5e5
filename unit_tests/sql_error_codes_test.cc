// Extended result codes of constraint failures, which the sqlite3 shell does
// not show: a strata table gives the ones a native table with the same
// declaration gives. (The long differential run met a rowid table answering
// SQLITE_CONSTRAINT_PRIMARYKEY where native answers SQLITE_CONSTRAINT_ROWID.)
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "unit_tests/test_util.h"

namespace strata {
namespace {

class SqlErrorCodesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* ext = getenv("STRATA_EXT");
    if (ext == nullptr || *ext == '\0') GTEST_SKIP() << "STRATA_EXT is not set";
    ASSERT_EQ(SQLITE_OK, sqlite3_open(dir_.Sub("test.db").c_str(), &db_));
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_enable_load_extension(db_, 1);
    ASSERT_EQ(SQLITE_OK, sqlite3_load_extension(db_, ext, nullptr, nullptr));
  }
  void TearDown() override {
    if (db_ != nullptr) sqlite3_close(db_);
  }

  // The extended code of the statement's failure (SQLITE_OK if none).
  int Code(const std::string& sql) {
    return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  }

  // Runs the same declaration and statements on a strata table and a native
  // one; returns both codes of the last statement as "strata/native".
  std::string Both(const std::string& decl, const std::string& native_suffix,
                   const std::string& setup, const std::string& failing) {
    std::string r;
    for (const std::string& t : {std::string("s"), std::string("n")}) {
      const bool strata = t == "s";
      EXPECT_EQ(SQLITE_OK, Code(strata ? "CREATE VIRTUAL TABLE s USING strata(" + decl + ")"
                                       : "CREATE TABLE n(" + decl + ")" + native_suffix));
      EXPECT_EQ(SQLITE_OK, Code(Replace(setup, t)));
      r += (strata ? "" : "/") + std::to_string(Code(Replace(failing, t)));
      EXPECT_EQ(SQLITE_OK, Code("DROP TABLE " + t));
    }
    return r;
  }
  static std::string Replace(std::string sql, const std::string& table) {
    for (size_t p; (p = sql.find("@T")) != std::string::npos;) sql.replace(p, 2, table);
    return sql;
  }

  test::ScratchDir dir_{"sql-error-codes"};
  sqlite3* db_ = nullptr;
};

TEST_F(SqlErrorCodesTest, DuplicateKeysGiveTheNativeExtendedCode) {
  const std::string rowid = std::to_string(SQLITE_CONSTRAINT_ROWID);
  const std::string pk = std::to_string(SQLITE_CONSTRAINT_PRIMARYKEY);
  EXPECT_EQ(rowid + "/" + rowid, Both("x", "", "INSERT INTO @T(rowid, x) VALUES (1, 1)",
                                      "INSERT INTO @T(rowid, x) VALUES (1, 2)"));
  EXPECT_EQ(pk + "/" + pk, Both("id INTEGER PRIMARY KEY, x", "", "INSERT INTO @T VALUES (1, 1)",
                                "INSERT INTO @T VALUES (1, 2)"));
  EXPECT_EQ(pk + "/" + pk,
            Both("k TEXT PRIMARY KEY, x", " WITHOUT ROWID", "INSERT INTO @T VALUES ('a', 1)",
                 "INSERT INTO @T VALUES ('a', 2)"));
  const std::string notnull = std::to_string(SQLITE_CONSTRAINT_NOTNULL);
  EXPECT_EQ(notnull + "/" + notnull, Both("k TEXT PRIMARY KEY, x NOT NULL", " WITHOUT ROWID",
                                          "SELECT 1", "INSERT INTO @T VALUES ('a', NULL)"));
}

}  // namespace
}  // namespace strata

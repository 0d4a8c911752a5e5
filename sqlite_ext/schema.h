// Schema: a strata table's columns and key, parsed from the column
// definitions among the CREATE VIRTUAL TABLE arguments, with SQLite's type
// affinity rules, the CREATE TABLE statement declared to SQLite, and the
// canonical form recorded in the store. Pure C++: no SQLite dependency.
//
// Three kinds of key:
//   kRowid      no PRIMARY KEY (an implicit integer rowid) or an INTEGER
//               PRIMARY KEY column aliasing the rowid; declared as a rowid
//               table;
//   kSingle     one PRIMARY KEY column of any other type; declared WITHOUT
//               ROWID with that column as its key;
//   kComposite  PRIMARY KEY (a, b, ...); declared WITHOUT ROWID with a
//               hidden column holding the encoded key as its single-column
//               key (SQLite allows only one key column on a writable
//               WITHOUT ROWID virtual table).
#ifndef STRATA_SQLITE_EXT_SCHEMA_H_
#define STRATA_SQLITE_EXT_SCHEMA_H_

#include <string>
#include <string_view>
#include <vector>

namespace strata {

// SQLite's column affinities (https://sqlite.org/datatype3.html#affinity).
enum class Affinity { kBlob, kText, kNumeric, kInteger, kReal };

Affinity AffinityOfType(std::string_view declared_type);

struct Column {
  std::string name;
  std::string type;  // as declared, e.g. "VARCHAR(20)"; may be empty
  Affinity affinity = Affinity::kBlob;
  bool not_null = false;
  std::string collation;    // as declared; empty for the default (BINARY)
  std::string default_sql;  // the DEFAULT clause's expression, verbatim; empty if none
};

enum class KeyKind { kRowid, kSingle, kComposite };

class Schema {
 public:
  // The name of the hidden column that holds a composite key.
  static constexpr const char* kHiddenKeyName = "__strata_key";

  // Parses the column definitions (arguments that are not options). With
  // none, the table gets the default `key PRIMARY KEY, value`. On error
  // returns false with a message in *error.
  static bool Parse(const std::vector<std::string>& column_args, Schema* schema,
                    std::string* error);

  // The statement for sqlite3_declare_vtab.
  std::string DeclareSql() const;
  // The canonical description recorded in the store. Parse(Canonical
  // lines) is not needed: two schemas are equal iff their Canonical() are.
  std::string Canonical() const;
  // "" if equal, else a sentence saying how this schema differs from the
  // one recorded (given as its Canonical()).
  std::string DiffFrom(const std::string& recorded_canonical) const;

  const std::vector<Column>& columns() const { return columns_; }
  KeyKind kind() const { return kind_; }
  // Columns of the key in key order (empty for an implicit rowid).
  const std::vector<int>& key_columns() const { return key_columns_; }
  // The INTEGER PRIMARY KEY column aliasing the rowid, or -1.
  int rowid_alias() const { return rowid_alias_; }
  // Columns stored in the row value (every column not part of the key).
  const std::vector<int>& value_columns() const { return value_columns_; }
  // For each column, its position among value_columns() (or -1 if a key
  // column), and its position among key_columns() (or -1).
  int value_index(int column) const { return value_index_[column]; }
  int key_index(int column) const { return key_index_[column]; }
  // The column index SQLite uses for the hidden key column (composite
  // keys), or -1.
  int hidden_key_column() const {
    return kind_ == KeyKind::kComposite ? static_cast<int>(columns_.size()) : -1;
  }
  // A key column's name, for messages ("t.key" style uses the table name).
  std::string KeyDescription(const std::string& table) const;

 private:
  void Finish();

  std::vector<Column> columns_;
  std::vector<int> key_columns_;
  KeyKind kind_ = KeyKind::kRowid;
  int rowid_alias_ = -1;
  std::vector<int> value_columns_;
  std::vector<int> value_index_;
  std::vector<int> key_index_;
};

// Quotes an identifier for SQL: "name" with " doubled.
std::string QuoteIdentifier(std::string_view name);

}  // namespace strata

#endif  // STRATA_SQLITE_EXT_SCHEMA_H_

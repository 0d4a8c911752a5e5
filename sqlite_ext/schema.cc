// Column definition parsing, affinity, and the declared and recorded forms
// of a strata table's schema.
#include "sqlite_ext/schema.h"

#include <cctype>

namespace strata {

namespace {

std::string Upper(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  return r;
}

bool SameName(std::string_view a, std::string_view b) { return Upper(a) == Upper(b); }

// A minimal SQL tokenizer: identifiers (bare or quoted), strings, numbers,
// and single-character punctuation.
struct Token {
  enum Kind { kIdent, kString, kNumber, kPunct, kEnd } kind;
  std::string text;  // identifiers unquoted; others verbatim
  std::string raw;   // as written
};

class Tokenizer {
 public:
  explicit Tokenizer(std::string_view s) : s_(s) {}

  bool Next(Token* t, std::string* error) {
    while (pos_ < s_.size() && isspace(static_cast<unsigned char>(s_[pos_]))) pos_++;
    const size_t start = pos_;
    if (pos_ >= s_.size()) {
      *t = Token{Token::kEnd, "", ""};
      return true;
    }
    const char c = s_[pos_];
    if (c == '"' || c == '`' || c == '[') {
      const char close = c == '[' ? ']' : c;
      std::string text;
      pos_++;
      while (true) {
        if (pos_ >= s_.size()) {
          *error = "strata: unterminated quoted name in: " + std::string(s_);
          return false;
        }
        if (s_[pos_] == close) {
          if (close != ']' && pos_ + 1 < s_.size() && s_[pos_ + 1] == close) {
            text.push_back(close);
            pos_ += 2;
            continue;
          }
          pos_++;
          break;
        }
        text.push_back(s_[pos_++]);
      }
      *t = Token{Token::kIdent, text, std::string(s_.substr(start, pos_ - start))};
      return true;
    }
    if (c == '\'') {
      pos_++;
      while (true) {
        if (pos_ >= s_.size()) {
          *error = "strata: unterminated string in: " + std::string(s_);
          return false;
        }
        if (s_[pos_] == '\'') {
          if (pos_ + 1 < s_.size() && s_[pos_ + 1] == '\'') {
            pos_ += 2;
            continue;
          }
          pos_++;
          break;
        }
        pos_++;
      }
      std::string raw(s_.substr(start, pos_ - start));
      *t = Token{Token::kString, raw, raw};
      return true;
    }
    if (isalpha(static_cast<unsigned char>(c)) || c == '_' || (c & 0x80)) {
      while (pos_ < s_.size() && (isalnum(static_cast<unsigned char>(s_[pos_])) ||
                                  s_[pos_] == '_' || s_[pos_] == '$' || (s_[pos_] & 0x80))) {
        pos_++;
      }
      std::string raw(s_.substr(start, pos_ - start));
      *t = Token{Token::kIdent, raw, raw};
      return true;
    }
    if (isdigit(static_cast<unsigned char>(c)) || c == '.') {
      while (pos_ < s_.size() &&
             (isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '.' ||
              ((s_[pos_] == '+' || s_[pos_] == '-') &&
               (s_[pos_ - 1] == 'e' || s_[pos_ - 1] == 'E')))) {
        pos_++;
      }
      std::string raw(s_.substr(start, pos_ - start));
      *t = Token{Token::kNumber, raw, raw};
      return true;
    }
    pos_++;
    std::string raw(1, c);
    *t = Token{Token::kPunct, raw, raw};
    return true;
  }

  size_t pos() const { return pos_; }
  void set_pos(size_t p) { pos_ = p; }
  std::string_view rest(size_t from) const { return s_.substr(from); }
  std::string_view slice(size_t from, size_t to) const { return s_.substr(from, to - from); }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

bool IsKeyword(const Token& t, const char* word) {
  return t.kind == Token::kIdent && t.raw.front() != '"' && t.raw.front() != '[' &&
         t.raw.front() != '`' && SameName(t.text, word);
}

bool IsConstraintStart(const Token& t) {
  for (const char* w : {"CONSTRAINT", "PRIMARY", "NOT", "NULL", "UNIQUE", "CHECK", "DEFAULT",
                        "COLLATE", "REFERENCES", "GENERATED", "AS"}) {
    if (IsKeyword(t, w)) return true;
  }
  return false;
}

}  // namespace

Affinity AffinityOfType(std::string_view declared_type) {
  const std::string t = Upper(declared_type);
  if (t.find("INT") != std::string::npos) return Affinity::kInteger;
  if (t.find("CHAR") != std::string::npos || t.find("CLOB") != std::string::npos ||
      t.find("TEXT") != std::string::npos) {
    return Affinity::kText;
  }
  if (t.find("BLOB") != std::string::npos || t.empty()) return Affinity::kBlob;
  if (t.find("REAL") != std::string::npos || t.find("FLOA") != std::string::npos ||
      t.find("DOUB") != std::string::npos) {
    return Affinity::kReal;
  }
  return Affinity::kNumeric;
}

std::string QuoteIdentifier(std::string_view name) {
  std::string r = "\"";
  for (char c : name) {
    if (c == '"') r.push_back('"');
    r.push_back(c);
  }
  return r + "\"";
}

namespace {

// Parses `PRIMARY KEY (a, b, ...)` into column names.
bool ParseTableKey(Tokenizer* tz, std::vector<std::string>* names, std::string* error,
                   const std::string& arg) {
  Token t;
  if (!tz->Next(&t, error)) return false;
  if (!IsKeyword(t, "KEY")) {
    *error = "strata: expected PRIMARY KEY (...) in: " + arg;
    return false;
  }
  if (!tz->Next(&t, error)) return false;
  if (t.kind != Token::kPunct || t.text != "(") {
    *error = "strata: expected a column list after PRIMARY KEY in: " + arg;
    return false;
  }
  while (true) {
    if (!tz->Next(&t, error)) return false;
    if (t.kind != Token::kIdent) {
      *error = "strata: expected a column name in: " + arg;
      return false;
    }
    names->push_back(t.text);
    if (!tz->Next(&t, error)) return false;
    if (IsKeyword(t, "ASC")) {
      if (!tz->Next(&t, error)) return false;
    } else if (IsKeyword(t, "DESC")) {
      *error = "strata: descending key columns are not supported (in: " + arg + ")";
      return false;
    } else if (IsKeyword(t, "COLLATE")) {
      *error =
          "strata: COLLATE in a PRIMARY KEY list is not supported; strata keys use BINARY "
          "order (in: " +
          arg + ")";
      return false;
    }
    if (t.kind == Token::kPunct && t.text == ")") break;
    if (t.kind != Token::kPunct || t.text != ",") {
      *error = "strata: expected , or ) in: " + arg;
      return false;
    }
  }
  if (!tz->Next(&t, error)) return false;
  if (t.kind != Token::kEnd) {
    *error = "strata: unexpected " + t.raw + " after PRIMARY KEY (...) in: " + arg;
    return false;
  }
  return true;
}

}  // namespace

bool Schema::Parse(const std::vector<std::string>& args, Schema* schema, std::string* error) {
  *schema = Schema();
  std::vector<std::string> table_key;
  bool have_table_key = false;
  std::vector<int> column_key;  // columns with a column-level PRIMARY KEY
  std::vector<bool> integer_key;

  for (const std::string& arg : args) {
    Tokenizer tz(arg);
    Token t;
    if (!tz.Next(&t, error)) return false;
    if (t.kind == Token::kEnd) {
      *error = "strata: empty column definition";
      return false;
    }
    if (IsKeyword(t, "PRIMARY")) {
      if (have_table_key) {
        *error = "strata: more than one PRIMARY KEY";
        return false;
      }
      have_table_key = true;
      if (!ParseTableKey(&tz, &table_key, error, arg)) return false;
      continue;
    }
    for (const char* w : {"UNIQUE", "CHECK", "FOREIGN", "CONSTRAINT"}) {
      if (IsKeyword(t, w)) {
        *error = "strata: table constraint " + Upper(w) + " is not supported (in: " + arg + ")";
        return false;
      }
    }
    if (t.kind != Token::kIdent) {
      *error = "strata: expected a column name in: " + arg;
      return false;
    }
    Column col;
    col.name = t.text;
    for (const Column& c : schema->columns_) {
      if (SameName(c.name, col.name)) {
        *error = "strata: duplicate column name: " + col.name;
        return false;
      }
    }
    if (SameName(col.name, kHiddenKeyName)) {
      *error = std::string("strata: the column name ") + kHiddenKeyName + " is reserved";
      return false;
    }
    // The type: identifiers up to a constraint, plus an optional (n[, m]).
    size_t type_start = tz.pos();
    size_t type_end = type_start;
    while (true) {
      size_t before = tz.pos();
      if (!tz.Next(&t, error)) return false;
      if (t.kind == Token::kIdent && !IsConstraintStart(t)) {
        type_end = tz.pos();
        continue;
      }
      if (t.kind == Token::kPunct && t.text == "(" && type_end > type_start) {
        int depth = 1;
        while (depth > 0) {
          if (!tz.Next(&t, error)) return false;
          if (t.kind == Token::kEnd) {
            *error = "strata: unbalanced parentheses in: " + arg;
            return false;
          }
          if (t.kind == Token::kPunct && t.text == "(") depth++;
          if (t.kind == Token::kPunct && t.text == ")") depth--;
        }
        type_end = tz.pos();
        continue;
      }
      tz.set_pos(before);
      break;
    }
    {
      std::string_view type = tz.slice(type_start, type_end);
      while (!type.empty() && isspace(static_cast<unsigned char>(type.front()))) {
        type.remove_prefix(1);
      }
      col.type = std::string(type);
    }
    col.affinity = AffinityOfType(col.type);
    bool pk = false;
    bool integer_alias_possible = false;
    // Constraints.
    while (true) {
      if (!tz.Next(&t, error)) return false;
      if (t.kind == Token::kEnd) break;
      if (IsKeyword(t, "CONSTRAINT")) {
        if (!tz.Next(&t, error)) return false;  // its name
        continue;
      }
      if (IsKeyword(t, "PRIMARY")) {
        if (!tz.Next(&t, error)) return false;
        if (!IsKeyword(t, "KEY")) {
          *error = "strata: expected KEY after PRIMARY in: " + arg;
          return false;
        }
        pk = true;
        integer_alias_possible = Upper(col.type) == "INTEGER";
        continue;
      }
      if (IsKeyword(t, "ASC")) continue;
      if (IsKeyword(t, "DESC")) {
        *error = "strata: descending keys are not supported (in: " + arg + ")";
        return false;
      }
      if (IsKeyword(t, "AUTOINCREMENT")) {
        *error =
            "strata: AUTOINCREMENT is not supported; an INTEGER PRIMARY KEY takes one more "
            "than the largest key when none is given (in: " +
            arg + ")";
        return false;
      }
      if (IsKeyword(t, "NOT")) {
        if (!tz.Next(&t, error)) return false;
        if (!IsKeyword(t, "NULL")) {
          *error = "strata: expected NULL after NOT in: " + arg;
          return false;
        }
        col.not_null = true;
        continue;
      }
      if (IsKeyword(t, "NULL")) continue;
      if (IsKeyword(t, "ON")) {
        // ON CONFLICT clauses: strata follows the statement's conflict mode.
        *error =
            "strata: ON CONFLICT clauses in column definitions are not supported; use "
            "INSERT OR ... (in: " +
            arg + ")";
        return false;
      }
      if (IsKeyword(t, "COLLATE")) {
        if (!tz.Next(&t, error)) return false;
        if (t.kind != Token::kIdent) {
          *error = "strata: expected a collation name after COLLATE in: " + arg;
          return false;
        }
        // Key columns must be BINARY (checked once the key is known); other
        // columns keep theirs for SQLite's own comparisons.
        if (!SameName(t.text, "BINARY")) col.collation = t.text;
        continue;
      }
      if (IsKeyword(t, "DEFAULT")) {
        size_t start = tz.pos();
        if (!tz.Next(&t, error)) return false;
        if (t.kind == Token::kPunct && t.text == "(") {
          int depth = 1;
          while (depth > 0) {
            if (!tz.Next(&t, error)) return false;
            if (t.kind == Token::kEnd) {
              *error = "strata: unbalanced parentheses in: " + arg;
              return false;
            }
            if (t.kind == Token::kPunct && t.text == "(") depth++;
            if (t.kind == Token::kPunct && t.text == ")") depth--;
          }
        } else if (t.kind == Token::kPunct && (t.text == "-" || t.text == "+")) {
          if (!tz.Next(&t, error)) return false;
        }
        std::string_view expr = tz.slice(start, tz.pos());
        while (!expr.empty() && isspace(static_cast<unsigned char>(expr.front()))) {
          expr.remove_prefix(1);
        }
        col.default_sql = std::string(expr);
        continue;
      }
      for (const char* w : {"UNIQUE", "CHECK", "REFERENCES", "GENERATED", "AS"}) {
        if (IsKeyword(t, w)) {
          *error = "strata: column constraint " + Upper(w) + " is not supported (in: " + arg + ")";
          return false;
        }
      }
      *error = "strata: unexpected " + t.raw + " in column definition: " + arg;
      return false;
    }
    if (pk) {
      column_key.push_back(static_cast<int>(schema->columns_.size()));
      integer_key.push_back(integer_alias_possible);
    }
    schema->columns_.push_back(std::move(col));
  }

  if (schema->columns_.empty()) {
    if (have_table_key) {
      *error = "strata: PRIMARY KEY (...) names columns but none are defined";
      return false;
    }
    Column key;
    key.name = "key";
    Column value;
    value.name = "value";
    schema->columns_ = {key, value};
    column_key = {0};
    integer_key = {false};
  }
  if (have_table_key && !column_key.empty()) {
    *error = "strata: PRIMARY KEY given both on a column and as PRIMARY KEY (...)";
    return false;
  }
  if (column_key.size() > 1) {
    *error = "strata: more than one column is marked PRIMARY KEY; use PRIMARY KEY (a, b, ...)";
    return false;
  }
  if (have_table_key) {
    for (const std::string& name : table_key) {
      int found = -1;
      for (size_t i = 0; i < schema->columns_.size(); i++) {
        if (SameName(schema->columns_[i].name, name)) found = static_cast<int>(i);
      }
      if (found < 0) {
        *error = "strata: PRIMARY KEY names an unknown column: " + name;
        return false;
      }
      for (int k : schema->key_columns_) {
        if (k == found) {
          *error = "strata: PRIMARY KEY names column " + name + " twice";
          return false;
        }
      }
      schema->key_columns_.push_back(found);
    }
    if (schema->key_columns_.size() == 1) {
      const Column& c = schema->columns_[schema->key_columns_[0]];
      schema->kind_ = Upper(c.type) == "INTEGER" ? KeyKind::kRowid : KeyKind::kSingle;
      if (schema->kind_ == KeyKind::kRowid) schema->rowid_alias_ = schema->key_columns_[0];
    } else {
      schema->kind_ = KeyKind::kComposite;
    }
  } else if (column_key.size() == 1) {
    schema->key_columns_ = column_key;
    if (integer_key[0]) {
      schema->kind_ = KeyKind::kRowid;
      schema->rowid_alias_ = column_key[0];
    } else {
      schema->kind_ = KeyKind::kSingle;
    }
  } else {
    schema->kind_ = KeyKind::kRowid;  // implicit rowid
  }
  for (int k : schema->key_columns_) {
    const Column& c = schema->columns_[k];
    if (!c.collation.empty()) {
      *error = "strata: key column " + c.name + " uses collation " + c.collation +
               "; strata keeps keys in BINARY order, so key columns must use COLLATE BINARY";
      return false;
    }
  }
  if (schema->columns_.size() > 2000) {
    *error = "strata: too many columns (at most 2000)";
    return false;
  }
  schema->Finish();
  return true;
}

void Schema::Finish() {
  value_columns_.clear();
  value_index_.assign(columns_.size(), -1);
  key_index_.assign(columns_.size(), -1);
  for (size_t k = 0; k < key_columns_.size(); k++)
    key_index_[key_columns_[k]] = static_cast<int>(k);
  for (size_t i = 0; i < columns_.size(); i++) {
    if (key_index_[i] >= 0) continue;
    value_index_[i] = static_cast<int>(value_columns_.size());
    value_columns_.push_back(static_cast<int>(i));
  }
}

std::string Schema::DeclareSql() const {
  std::string sql = "CREATE TABLE x(";
  for (size_t i = 0; i < columns_.size(); i++) {
    const Column& c = columns_[i];
    if (i > 0) sql += ", ";
    sql += QuoteIdentifier(c.name);
    if (!c.type.empty()) sql += " " + c.type;
    if (!c.collation.empty()) sql += " COLLATE " + QuoteIdentifier(c.collation);
    if ((kind_ == KeyKind::kSingle && key_index_[i] == 0) ||
        (kind_ == KeyKind::kRowid && static_cast<int>(i) == rowid_alias_)) {
      sql += " PRIMARY KEY";
    }
    if (!c.default_sql.empty()) sql += " DEFAULT " + c.default_sql;
  }
  if (kind_ == KeyKind::kComposite) {
    sql += ", " + QuoteIdentifier(kHiddenKeyName) + " BLOB HIDDEN PRIMARY KEY";
  }
  sql += ")";
  if (kind_ != KeyKind::kRowid) sql += " WITHOUT ROWID";
  return sql;
}

std::string Schema::Canonical() const {
  std::string r = "strata-schema 1\n";
  for (const Column& c : columns_) {
    r += "column " + QuoteIdentifier(c.name) + " " + Upper(c.type) +
         (c.not_null ? " NOT NULL" : "") +
         (c.collation.empty() ? "" : " COLLATE " + Upper(c.collation)) + "\n";
  }
  r += "key";
  if (key_columns_.empty()) r += " rowid";
  for (int k : key_columns_) r += " " + QuoteIdentifier(columns_[k].name);
  return r + "\n";
}

std::string Schema::DiffFrom(const std::string& recorded) const {
  const std::string mine = Canonical();
  if (mine == recorded) return "";
  auto lines = [](const std::string& s) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start < s.size()) {
      size_t nl = s.find('\n', start);
      if (nl == std::string::npos) nl = s.size();
      out.push_back(s.substr(start, nl - start));
      start = nl + 1;
    }
    return out;
  };
  std::vector<std::string> a = lines(recorded), b = lines(mine);
  for (size_t i = 0; i < std::max(a.size(), b.size()); i++) {
    std::string x = i < a.size() ? a[i] : "(nothing)";
    std::string y = i < b.size() ? b[i] : "(nothing)";
    if (x != y) {
      return "the store was created with `" + x + "` where this table declares `" + y + "`";
    }
  }
  return "the schemas differ";
}

std::string Schema::KeyDescription(const std::string& table) const {
  if (key_columns_.empty()) return table + ".rowid";
  std::string r;
  for (size_t k = 0; k < key_columns_.size(); k++) {
    if (k > 0) r += ", ";
    r += table + "." + columns_[key_columns_[k]].name;
  }
  return r;
}

}  // namespace strata

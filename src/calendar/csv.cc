// Reading a calendar import (csv.h): RFC 4180 records (quoted fields, doubled quotes, line breaks
// inside quotes, CRLF, a UTF-8 BOM), the header's columns, each cell checked.
#include "calendar/csv.h"

#include <algorithm>
#include <cctype>
#include <chrono>

#include <fmt/format.h>

#include "calendar/config.h"
#include "config/values.h"

namespace lifeline::calendar {
namespace {

using core::ErrorCode;
using core::MakeError;
using core::Result;

enum class Col { kTime, kText, kMedia, kChannels, kExpires, kId };

struct Column {
  Col kind;
  std::string name;  // as written in the header (or Hootsuite's name without one)
};

struct Record {
  int line = 0;
  std::vector<std::string> cells;
};

std::string Trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

// Lowercase, without spaces, '_', '-' and '.': "Date and time" -> "dateandtime".
std::string Normal(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == ' ' || c == '_' || c == '-' || c == '.' || c == '\t') continue;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::optional<Col> ColumnKind(std::string_view header) {
  const std::string n = Normal(header);
  static const std::vector<std::pair<std::string_view, Col>> kNames = {
      {"date", Col::kTime},
      {"datetime", Col::kTime},
      {"dateandtime", Col::kTime},
      {"time", Col::kTime},
      {"scheduled", Col::kTime},
      {"scheduledtime", Col::kTime},
      {"scheduledat", Col::kTime},
      {"publishat", Col::kTime},
      {"at", Col::kTime},
      {"postatspecifictime", Col::kTime},
      {"message", Col::kText},
      {"text", Col::kText},
      {"content", Col::kText},
      {"caption", Col::kText},
      {"post", Col::kText},
      {"link", Col::kMedia},
      {"url", Col::kMedia},
      {"media", Col::kMedia},
      {"mediaurl", Col::kMedia},
      {"mediaurls", Col::kMedia},
      {"image", Col::kMedia},
      {"imageurl", Col::kMedia},
      {"imageurls", Col::kMedia},
      {"videourl", Col::kMedia},
      {"channels", Col::kChannels},
      {"channel", Col::kChannels},
      {"networks", Col::kChannels},
      {"network", Col::kChannels},
      {"profiles", Col::kChannels},
      {"expires", Col::kExpires},
      {"expiresat", Col::kExpires},
      {"expiry", Col::kExpires},
      {"id", Col::kId},
  };
  for (const auto& [name, kind] : kNames) {
    if (n == name) return kind;
  }
  return std::nullopt;
}

// Splits `csv` into records; kInvalidArgument for an unterminated quote or text after a closing
// quote.
Result<std::vector<Record>> Split(std::string_view csv, const std::string& file) {
  if (csv.starts_with("\xEF\xBB\xBF")) csv.remove_prefix(3);
  std::vector<Record> out;
  Record rec;
  std::string cell;
  int line = 1;
  rec.line = 1;
  bool quoted = false, after_quote = false, any = false;
  int quote_line = 0;
  auto end_cell = [&] {
    rec.cells.push_back(std::move(cell));
    cell.clear();
    after_quote = false;
  };
  auto end_record = [&] {
    end_cell();
    // A blank line is no record.
    if (!(rec.cells.size() == 1 && Trim(rec.cells[0]).empty())) out.push_back(std::move(rec));
    rec = Record{};
    rec.line = line;
    any = false;
  };
  for (std::size_t i = 0; i < csv.size(); ++i) {
    const char c = csv[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < csv.size() && csv[i + 1] == '"') {
          cell += '"';
          ++i;
        } else {
          quoted = false;
          after_quote = true;
        }
      } else {
        if (c == '\n') ++line;
        cell += c;
      }
      continue;
    }
    if (c == '"') {
      if (!Trim(cell).empty() || after_quote) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "{}:{}: column {}: a quote inside an unquoted field (quote the whole "
                         "field and double the quotes inside: \"say \"\"hi\"\"\")",
                         file, line, rec.cells.size() + 1);
      }
      cell.clear();
      quoted = true;
      quote_line = line;
      any = true;
    } else if (c == ',') {
      end_cell();
      any = true;
    } else if (c == '\r' && i + 1 < csv.size() && csv[i + 1] == '\n') {
      continue;
    } else if (c == '\n') {
      ++line;
      end_record();
    } else {
      if (after_quote && !std::isspace(static_cast<unsigned char>(c))) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "{}:{}: column {}: text after a closing quote", file, line,
                         rec.cells.size() + 1);
      }
      if (!after_quote) cell += c;
      any = true;
    }
  }
  if (quoted) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "{}:{}: column {}: a quoted field is never closed", file, quote_line,
                     rec.cells.size() + 1);
  }
  if (any || !cell.empty()) end_record();
  return out;
}

bool Digits(std::string_view s, std::size_t* i, std::size_t min, std::size_t max, int* out) {
  std::size_t start = *i;
  int v = 0;
  while (*i < s.size() && *i - start < max && s[*i] >= '0' && s[*i] <= '9') {
    v = v * 10 + (s[*i] - '0');
    ++*i;
  }
  if (*i - start < min) return false;
  *out = v;
  return true;
}

std::vector<std::string> SplitList(std::string_view cell, std::string_view seps) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : cell) {
    if (seps.find(c) != std::string_view::npos || std::isspace(static_cast<unsigned char>(c))) {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

bool ValidId(std::string_view id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

}  // namespace

std::optional<DateOrder> ParseDateOrder(std::string_view s) {
  const std::string n = Normal(s);
  if (n == "dd/mm/yyyy" || n == "ddmmyyyy" || n == "dayfirst") return DateOrder::kDayFirst;
  if (n == "mm/dd/yyyy" || n == "mmddyyyy" || n == "monthfirst") return DateOrder::kMonthFirst;
  if (n == "iso" || n == "yyyymmdd") return DateOrder::kIsoOnly;
  return std::nullopt;
}

Result<store::Time> ParseCsvTime(std::string_view cell, DateOrder order) {
  using namespace std::chrono;
  const std::string t = Trim(cell);
  if (t.empty()) return MakeError(ErrorCode::kInvalidArgument, "empty: a date and time is needed");
  // An RFC 3339 time with its zone first.
  if (auto full = config::ParseTimestamp(t); full.ok()) return store::FromSystem(*full);
  auto bad = [&](std::string_view why) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "'{}' {} (write 2026-11-27 09:00 in UTC, 2026-11-27T09:00:00+01:00, or with "
                     "--date-format dd/mm/yyyy or mm/dd/yyyy: 27/11/2026 09:00)",
                     t, why);
  };
  std::size_t i = 0;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (t.find('/') != std::string::npos) {
    int a = 0, b = 0;
    if (!Digits(t, &i, 1, 2, &a) || i >= t.size() || t[i++] != '/' || !Digits(t, &i, 1, 2, &b) ||
        i >= t.size() || t[i++] != '/' || !Digits(t, &i, 4, 4, &y)) {
      return bad("is not a date and time");
    }
    if (order == DateOrder::kIsoOnly) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "'{}': a date with slashes needs --date-format dd/mm/yyyy or mm/dd/yyyy "
                       "(is {:02}/{:02} day/month or month/day?)",
                       t, a, b);
    }
    d = order == DateOrder::kDayFirst ? a : b;
    mo = order == DateOrder::kDayFirst ? b : a;
  } else {
    if (!Digits(t, &i, 4, 4, &y) || i >= t.size() || t[i++] != '-' || !Digits(t, &i, 2, 2, &mo) ||
        i >= t.size() || t[i++] != '-' || !Digits(t, &i, 2, 2, &d)) {
      return bad("is not a date and time");
    }
  }
  if (i >= t.size() || (t[i] != ' ' && t[i] != 'T')) return bad("has no time of day");
  while (i < t.size() && (t[i] == ' ' || t[i] == 'T')) ++i;
  if (!Digits(t, &i, 1, 2, &h) || i >= t.size() || t[i++] != ':' || !Digits(t, &i, 2, 2, &mi)) {
    return bad("has no time of day (HH:MM)");
  }
  if (i < t.size() && t[i] == ':') {
    ++i;
    if (!Digits(t, &i, 2, 2, &s)) return bad("has a bad seconds field");
  }
  if (i < t.size() && (t[i] == 'Z' || t[i] == 'z')) ++i;
  if (i != t.size()) return bad("has something after the time");
  const year_month_day ymd{year(y), month(static_cast<unsigned>(mo)),
                           day(static_cast<unsigned>(d))};
  if (!ymd.ok()) return bad("is not a date of the calendar");
  if (h > 23 || mi > 59 || s > 59) return bad("is not a time of day");
  return store::Time(sys_days(ymd) + hours(h) + minutes(mi) + seconds(s));
}

Result<std::vector<CsvRow>> ParseCsv(std::string_view csv, const CsvOptions& o) {
  LL_ASSIGN(std::vector<Record> records, Split(csv, o.file));
  if (records.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "{}: no posts in the file", o.file);
  }
  // A header unless the first cell is a date (Hootsuite's files have none).
  std::vector<Column> columns;
  std::size_t first = 0;
  const bool headerless = ParseCsvTime(records[0].cells[0], DateOrder::kDayFirst).ok() ||
                          ParseCsvTime(records[0].cells[0], DateOrder::kMonthFirst).ok();
  if (headerless) {
    columns = {{Col::kTime, "date"}, {Col::kText, "message"}, {Col::kMedia, "link"}};
  } else {
    first = 1;
    std::vector<Col> seen;
    for (std::size_t c = 0; c < records[0].cells.size(); ++c) {
      const std::string name = Trim(records[0].cells[c]);
      auto kind = ColumnKind(name);
      if (!kind) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "{}:{}: column {} ('{}'): unknown column (date, message, link, media, "
                         "channels, expires, id; or no header row: date, message, link)",
                         o.file, records[0].line, c + 1, name.substr(0, 60));
      }
      if (*kind != Col::kMedia && std::find(seen.begin(), seen.end(), *kind) != seen.end()) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "{}:{}: column {} ('{}'): a second column for the same field", o.file,
                         records[0].line, c + 1, name);
      }
      seen.push_back(*kind);
      columns.push_back({*kind, name});
    }
    auto has = [&](Col k) { return std::find(seen.begin(), seen.end(), k) != seen.end(); };
    if (!has(Col::kTime) || !has(Col::kText)) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "{}:{}: the header needs a date column and a message column", o.file,
                       records[0].line);
    }
    if (!has(Col::kChannels) && o.channels.empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "{}:{}: no channels column: add one, or name the channels for every row "
                       "with --channels",
                       o.file, records[0].line);
    }
  }
  if (headerless && o.channels.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "{}: a file without a header row (date, message, link) needs --channels",
                     o.file);
  }
  if (records.size() <= first) {
    return MakeError(ErrorCode::kInvalidArgument, "{}: no posts in the file", o.file);
  }

  std::vector<CsvRow> rows;
  for (std::size_t r = first; r < records.size(); ++r) {
    const Record& rec = records[r];
    auto fail = [&](std::size_t c, std::string_view what) {
      return MakeError(ErrorCode::kInvalidArgument, "{}:{}: column {} ({}): {}", o.file, rec.line,
                       c + 1, columns[c].name, what);
    };
    if (rec.cells.size() > columns.size()) {
      // Trailing empty cells (a spreadsheet's export) are harmless.
      for (std::size_t c = columns.size(); c < rec.cells.size(); ++c) {
        if (!Trim(rec.cells[c]).empty()) {
          return MakeError(ErrorCode::kInvalidArgument,
                           "{}:{}: column {}: {} columns, but the {} has {} (quote a field "
                           "that holds a comma)",
                           o.file, rec.line, c + 1, rec.cells.size(),
                           headerless ? "format (date, message, link)" : "header", columns.size());
        }
      }
    }
    CsvRow row;
    row.line = rec.line;
    row.channels = o.channels;
    for (std::size_t c = 0; c < columns.size(); ++c) {
      const std::string cell = c < rec.cells.size() ? rec.cells[c] : std::string();
      const std::string label = fmt::format("column {} ({})", c + 1, columns[c].name);
      switch (columns[c].kind) {
        case Col::kTime: {
          row.time_column = label;
          auto t = ParseCsvTime(cell, o.dates);
          if (!t.ok()) return fail(c, t.error().message());
          row.at = *t;
          break;
        }
        case Col::kText:
          row.text_column = label;
          // Line breaks inside a quoted message are kept; surrounding blanks are not.
          row.text = Trim(cell);
          if (row.text.empty()) return fail(c, "empty: a post needs its text");
          break;
        case Col::kMedia:
          for (std::string& link : SplitList(cell, ";|")) {
            if (!IsLink(link)) {
              return fail(
                  c, fmt::format("'{}' is not an http:// or https:// link", link.substr(0, 80)));
            }
            row.media.push_back(std::move(link));
          }
          break;
        case Col::kChannels: {
          row.channels_column = label;
          auto listed = SplitList(cell, ",;|");
          if (!listed.empty()) row.channels = std::move(listed);
          if (row.channels.empty()) {
            return fail(c, "empty: name the channels (or give --channels for every row)");
          }
          break;
        }
        case Col::kExpires:
          if (!Trim(cell).empty()) {
            auto t = ParseCsvTime(cell, o.dates);
            if (!t.ok()) return fail(c, t.error().message());
            row.expires = *t;
          }
          break;
        case Col::kId:
          row.id = Trim(cell);
          if (!row.id.empty() && !ValidId(row.id)) {
            return fail(c, fmt::format("'{}' is not a post id (1 to 64 letters, digits, '_', "
                                       "'-', '.')",
                                       row.id.substr(0, 80)));
          }
          break;
      }
    }
    if (row.channels_column.empty()) row.channels_column = "--channels";
    if (row.expires && *row.expires <= row.at) {
      for (std::size_t c = 0; c < columns.size(); ++c) {
        if (columns[c].kind == Col::kExpires) return fail(c, "must be after the post's time");
      }
    }
    std::vector<std::string> sorted = row.channels;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
      return MakeError(ErrorCode::kInvalidArgument, "{}:{}: {}: a channel is listed twice", o.file,
                       rec.line, row.channels_column);
    }
    for (const CsvRow& earlier : rows) {
      if (!row.id.empty() && earlier.id == row.id) {
        return MakeError(ErrorCode::kInvalidArgument, "{}:{}: id '{}' is used before, on line {}",
                         o.file, rec.line, row.id, earlier.line);
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace lifeline::calendar

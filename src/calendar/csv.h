// Reading a calendar import (`lifeline calendar import FILE`): a CSV file in the columns social
// media schedulers use (Hootsuite's bulk composer: date and time, message, link; with or without
// a header row) plus optional channels, expires and id columns. Every error names the file, the
// line and the column; a file with one bad row gives no rows at all.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/records.h"

namespace lifeline::calendar {

// How to read dates written with slashes (04/05/2026 10:00): schedulers let the user pick.
enum class DateOrder {
  kIsoOnly,     // only 2026-05-04 10:00[:00][Z|+01:00]: a slashed date is an error
  kDayFirst,    // dd/mm/yyyy hh:mm
  kMonthFirst,  // mm/dd/yyyy hh:mm
};
// "dd/mm/yyyy", "mm/dd/yyyy", "iso".
std::optional<DateOrder> ParseDateOrder(std::string_view s);

struct CsvOptions {
  std::string file = "import.csv";  // the name in messages
  // For rows without a channels column (or with it empty): Hootsuite files name no network.
  std::vector<std::string> channels;
  DateOrder dates = DateOrder::kIsoOnly;
};

struct CsvRow {
  int line = 0;    // where the row starts, 1-based
  std::string id;  // "" = one is made
  store::Time at;
  std::string text;
  std::vector<std::string> media;
  std::vector<std::string> channels;
  std::optional<store::Time> expires;
  // The columns of the fields checked later (channels exist, the text fits), for messages:
  // "column 2 (message)".
  std::string text_column;
  std::string channels_column;
  std::string time_column;
};

// The rows of `csv` in file order. kInvalidArgument "FILE:LINE: column N (NAME): what" for the
// first mistake (and no rows). Times without a zone are UTC.
core::Result<std::vector<CsvRow>> ParseCsv(std::string_view csv, const CsvOptions& options);

// One date-and-time cell as ParseCsv reads it; the error says what would be valid.
core::Result<store::Time> ParseCsvTime(std::string_view cell, DateOrder order);

}  // namespace lifeline::calendar

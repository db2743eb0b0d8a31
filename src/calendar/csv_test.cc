// Reading a calendar import: Hootsuite's bulk format and headed files, and every bad row named by
// file, line and column with nothing returned.
#include "calendar/csv.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace lifeline::calendar {
namespace {

using ::testing::ElementsAre;
using namespace std::chrono;

store::Time Utc(int y, unsigned mo, unsigned d, int h, int mi) {
  return store::Time(sys_days(year(y) / month(mo) / day(d)) + hours(h) + minutes(mi));
}

std::string ErrorOf(const std::string& csv, CsvOptions o = {}) {
  o.file = "posts.csv";
  auto r = ParseCsv(csv, o);
  return r.ok() ? "(no error)" : r.error().message();
}

TEST(CalendarCsvTest, HootsuiteBulkFileWithoutHeader) {
  CsvOptions o;
  o.file = "bulk.csv";
  o.channels = {"brand-mastodon", "brand-telegram"};
  o.dates = DateOrder::kDayFirst;
  auto rows = ParseCsv(
      "27/11/2026 09:00,\"Black Friday: 30% off, today only\",https://brand.example/bf\r\n"
      "28/11/2026 14:30,\"Say \"\"thanks\"\"\nto our team\",\r\n",
      o);
  ASSERT_TRUE(rows.ok()) << rows.error().message();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].line, 1);
  EXPECT_EQ((*rows)[0].at, Utc(2026, 11, 27, 9, 0));
  EXPECT_EQ((*rows)[0].text, "Black Friday: 30% off, today only");
  EXPECT_THAT((*rows)[0].media, ElementsAre("https://brand.example/bf"));
  EXPECT_THAT((*rows)[0].channels, ElementsAre("brand-mastodon", "brand-telegram"));
  EXPECT_EQ((*rows)[1].line, 2);
  EXPECT_EQ((*rows)[1].at, Utc(2026, 11, 28, 14, 30));
  EXPECT_EQ((*rows)[1].text, "Say \"thanks\"\nto our team");
  EXPECT_TRUE((*rows)[1].media.empty());
}

TEST(CalendarCsvTest, HeadedFileWithChannelsExpiresAndIds) {
  auto rows = ParseCsv(
      "\xEF\xBB\xBF"
      "Date,Message,Link,Image URL,Channels,Expires,ID\n"
      "\n"
      "2026-11-27 09:00,Sale,https://a.example/1,https://a.example/i.jpg,"
      "\"brand-mastodon; brand-telegram\",2026-11-27T12:00:00Z,bf-1\n"
      "2026-11-27T10:00:00+01:00,Later,,,brand-telegram,,\n",
      {});
  ASSERT_TRUE(rows.ok()) << rows.error().message();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].line, 3);
  EXPECT_EQ((*rows)[0].id, "bf-1");
  EXPECT_THAT((*rows)[0].media, ElementsAre("https://a.example/1", "https://a.example/i.jpg"));
  EXPECT_THAT((*rows)[0].channels, ElementsAre("brand-mastodon", "brand-telegram"));
  EXPECT_EQ((*rows)[0].expires, Utc(2026, 11, 27, 12, 0));
  EXPECT_EQ((*rows)[0].channels_column, "column 5 (Channels)");
  EXPECT_EQ((*rows)[1].at, Utc(2026, 11, 27, 9, 0));
  EXPECT_FALSE((*rows)[1].expires.has_value());
}

TEST(CalendarCsvTest, BadRowsNameTheLineAndTheColumn) {
  const std::string header = "date,message,link,channels\n";
  EXPECT_EQ(ErrorOf(header + "2026-11-27 09:00,Sale,,brand-telegram\n"
                             "2026-11-31 09:00,Sale,,brand-telegram\n"),
            "posts.csv:3: column 1 (date): '2026-11-31 09:00' is not a date of the calendar "
            "(write 2026-11-27 09:00 in UTC, 2026-11-27T09:00:00+01:00, or with --date-format "
            "dd/mm/yyyy or mm/dd/yyyy: 27/11/2026 09:00)");
  EXPECT_EQ(ErrorOf(header + "2026-11-27 09:00,,,brand-telegram\n"),
            "posts.csv:2: column 2 (message): empty: a post needs its text");
  EXPECT_EQ(ErrorOf(header + "2026-11-27 09:00,Sale,www.brand.example,brand-telegram\n"),
            "posts.csv:2: column 3 (link): 'www.brand.example' is not an http:// or https:// link");
  EXPECT_EQ(ErrorOf(header + "2026-11-27 09:00,Sale,,\n"),
            "posts.csv:2: column 4 (channels): empty: name the channels (or give --channels for "
            "every row)");
  EXPECT_EQ(ErrorOf(header + "2026-11-27 09:00,Sale, 30% off,,brand-telegram\n"),
            "posts.csv:2: column 5: 5 columns, but the header has 4 (quote a field that holds a "
            "comma)");
  EXPECT_EQ(ErrorOf(header + "27/11/2026 09:00,Sale,,brand-telegram\n"),
            "posts.csv:2: column 1 (date): '27/11/2026 09:00': a date with slashes needs "
            "--date-format dd/mm/yyyy or mm/dd/yyyy (is 27/11 day/month or month/day?)");
  EXPECT_EQ(ErrorOf(header + "2026-11-27 09:00,\"Sale,,brand-telegram\n"),
            "posts.csv:2: column 2: a quoted field is never closed");
  EXPECT_EQ(ErrorOf("when,message\n2026-11-27 09:00,Sale\n"),
            "posts.csv:1: column 1 ('when'): unknown column (date, message, link, media, "
            "channels, expires, id; or no header row: date, message, link)");
  EXPECT_EQ(ErrorOf("date,message\n2026-11-27 09:00,Sale\n"),
            "posts.csv:1: no channels column: add one, or name the channels for every row with "
            "--channels");
  EXPECT_EQ(ErrorOf("2026-11-27 09:00,Sale,\n"),
            "posts.csv: a file without a header row (date, message, link) needs --channels");
  EXPECT_EQ(ErrorOf("date,message,channels,expires\n2026-11-27 09:00,Sale,t,2026-11-27 08:00\n"),
            "posts.csv:2: column 4 (expires): must be after the post's time");
  EXPECT_EQ(ErrorOf("date,message,channels,id\n2026-11-27 09:00,A,t,x\n2026-11-27 10:00,B,t,x\n"),
            "posts.csv:3: id 'x' is used before, on line 2");
  EXPECT_EQ(ErrorOf(""), "posts.csv: no posts in the file");
  // A multi-line message: the next row's line is counted from the file, not from the records.
  EXPECT_EQ(ErrorOf(header + "2026-11-27 09:00,\"two\nlines\",,t\n2026-11-27 25:00,x,,t\n"),
            "posts.csv:4: column 1 (date): '2026-11-27 25:00' is not a time of day (write "
            "2026-11-27 09:00 in UTC, 2026-11-27T09:00:00+01:00, or with --date-format "
            "dd/mm/yyyy or mm/dd/yyyy: 27/11/2026 09:00)");
}

TEST(CalendarCsvTest, DateOrders) {
  EXPECT_EQ(*ParseCsvTime("04/05/2026 10:00", DateOrder::kDayFirst), Utc(2026, 5, 4, 10, 0));
  EXPECT_EQ(*ParseCsvTime("04/05/2026 10:00", DateOrder::kMonthFirst), Utc(2026, 4, 5, 10, 0));
  EXPECT_EQ(*ParseCsvTime("2026-05-04 10:00:30", DateOrder::kIsoOnly),
            Utc(2026, 5, 4, 10, 0) + seconds(30));
  EXPECT_FALSE(ParseCsvTime("13/13/2026 10:00", DateOrder::kDayFirst).ok());
  EXPECT_FALSE(ParseCsvTime("2026-05-04", DateOrder::kIsoOnly).ok());
  EXPECT_EQ(ParseDateOrder("DD/MM/YYYY"), DateOrder::kDayFirst);
  EXPECT_EQ(ParseDateOrder("mm/dd/yyyy"), DateOrder::kMonthFirst);
  EXPECT_EQ(ParseDateOrder("yy"), std::nullopt);
}

}  // namespace
}  // namespace lifeline::calendar

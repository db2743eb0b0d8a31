// The measured reports' evidence line (measured.h).
#include "watch/measured.h"

#include <gtest/gtest.h>

namespace lifeline::watch {
namespace {

TEST(MeasuredEvidence, NamesBothOutcomesAndTheConnections) {
  MeasuredCounts c{2, 1, {{"cellular", 1}, {"wifi", 1}}};
  EXPECT_EQ(MeasuredEvidence("WhatsApp", c),
            "3 measured reports from devices in the last hour: 2 could not reach WhatsApp while "
            "reaching other sites (1 on mobile data, 1 on Wi-Fi), 1 reached it");
}

TEST(MeasuredEvidence, MostCommonConnectionFirstAndUntoldLast) {
  MeasuredCounts c{6, 0, {{"", 1}, {"cellular", 1}, {"unknown", 1}, {"wifi", 3}}};
  EXPECT_EQ(MeasuredEvidence("Telegram", c),
            "6 measured reports from devices in the last hour: 6 could not reach Telegram while "
            "reaching other sites (3 on Wi-Fi, 1 on mobile data, 2 on a connection not told)");
}

TEST(MeasuredEvidence, OneReportAndNoConnectionTold) {
  EXPECT_EQ(MeasuredEvidence("X", {1, 0, {{"", 1}}}),
            "1 measured report from devices in the last hour: 1 could not reach X while reaching "
            "other sites");
  EXPECT_EQ(MeasuredEvidence("X", {0, 2, {}}),
            "2 measured reports from devices in the last hour: 2 reached X");
  EXPECT_EQ(MeasuredEvidence("X", {}), "");
}

TEST(MeasuredEvidence, ConnectionLabels) {
  EXPECT_EQ(ConnectionLabel("wifi"), "Wi-Fi");
  EXPECT_EQ(ConnectionLabel("cellular"), "mobile data");
  EXPECT_EQ(ConnectionLabel("mixed"), "");
  EXPECT_EQ(ConnectionLabel(""), "");
}

}  // namespace
}  // namespace lifeline::watch

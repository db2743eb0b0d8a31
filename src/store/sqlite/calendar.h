// The SQLite content-calendar store (store/calendar.h): its SQL lives in calendar.cc, on the
// store's writer and reader connections.
#pragma once

#include <memory>

#include "store/calendar.h"
#include "store/sqlite/conns.h"

namespace lifeline::store::sqlite {

// `conns` must outlive the result (the SqliteStore owns both).
std::unique_ptr<CalendarStore> NewSqliteCalendar(Connections* conns);

}  // namespace lifeline::store::sqlite

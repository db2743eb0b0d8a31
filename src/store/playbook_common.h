// What every dialect's playbook store shares (store/playbook.h): input validation and the state
// names, so SQLite and a later PostgreSQL playbook store differ only in SQL.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/playbook.h"

namespace lifeline::store::internal {

core::Status ValidateNewLifecycle(const NewLifecycle& l);
core::Status ValidateLifecycleMove(const LifecycleMove& m);
core::Status ValidateStep(const StepRecord& s);
core::Status ValidateNewAssignment(const NewAssignment& a);
core::Status ValidateAssignmentMove(const AssignmentMove& m);
core::Status ValidateAssignmentQuery(const AssignmentQuery& q);
core::Status ValidateRunQuery(const RunQuery& q);
core::Status ValidateLinkToken(const LinkToken& t);
// A required name argument: an incident id, a response, a step id, an assignment id, a hash.
core::Status ValidatePlaybookName(std::string_view field, std::string_view value);

// A list of names as the JSON array stored in a text column, and back (a column that does not
// parse gives an empty list: the store wrote it).
std::string NamesToJson(const std::vector<std::string>& names);
std::vector<std::string> NamesFromJson(std::string_view json);

// The refusal of a move the assignment's state does not allow, naming who put it there.
core::Error AssignmentMoveRefused(const Assignment& a, AssignmentState to);

}  // namespace lifeline::store::internal

// What the PostgreSQL loop runs: each method as a list of steps (a statement, the values it
// binds, what its answer means), handed in by TS (counters/postgresql/methods.ts METHOD_STEPS,
// with the statements' text from SQL there). The loop knows no method and no SQL: these codes
// are its whole vocabulary. JS reads every code through the name tables below, which the binding
// exports, so no code's number is written on the TS side.

#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "../http-loader/call-loop.h"

namespace pg_loader {

// A value a statement binds, in $1, $2... order.
enum Param : uint8_t { kUserId, kNext, kVersion, kSlot };
constexpr const char* kParamNames[] = {"userId", "next", "version", "slot"};
static_assert(sizeof kParamNames / sizeof *kParamNames == kSlot + 1, "a name for each Param");

// What a statement's answer means for the attempt.
enum Use : uint8_t {
  kNothing,       // nothing to read
  kReadNext,      // the first row's counter + 1 is the value to write and return; no row: missing row
  kReadVersion,   // as kReadNext, and the row's version is kept for the write
  kReturned,      // the first row's counter is the increment's value; no row: missing row
  kVersionCheck,  // no row: the version changed, a lost race (retried)
  kSlotOrUpsert,  // no row: the slot is missing, run `upsert` (once)
};
constexpr const char* kUseNames[] = {"nothing", "readNext", "readVersion", "returned", "versionCheck", "slotOrUpsert"};
static_assert(sizeof kUseNames / sizeof *kUseNames == kSlotOrUpsert + 1, "a name for each Use");

// Why a call failed, as it goes to JS (which writes the message, as the JS engine would have).
enum Failure : uint8_t {
  kStatement,   // an error answer or a lost connection: SQLSTATE and libpq's message
  kGaveUp,      // lost every race PG_MAX_RETRIES allows: the last loss (SQLSTATE and message, or none)
  kMissingRow,  // the user has no row
  kConnect,     // the connection could not be opened: libpq's message
  kNoAnswer,    // no answer within the statement timeout (the connection is given up)
};
constexpr const char* kFailureNames[] = {"statement", "gaveUp", "missingRow", "connect", "noAnswer"};
static_assert(sizeof kFailureNames / sizeof *kFailureNames == kNoAnswer + 1, "a name for each Failure");

struct Statement {
  std::string text;
  std::vector<Param> params;  // none: sent as a simple query (BEGIN, COMMIT), like the JS engine's query()
};

struct Step {
  Statement statement;
  Use use = kNothing;
  // From this step on, a lost connection may have applied the increment (an autocommit write, COMMIT).
  bool commits = false;
};

// A method: its steps, the upsert of kSlotOrUpsert, and how it ends a failed transaction.
struct Method {
  std::vector<Step> steps;
  Statement upsert;
  // Set when the first step opens a transaction: a failure after it, before the last step (COMMIT,
  // whose failure has ended the transaction), sends `rollback` while the connection lives.
  bool transaction = false;
  Statement rollback;
  // Version conflicts and, with retryErrors, 40001/40P01 are retried under the policy below.
  bool retryErrors = false;
};

using http_loader::RetryPolicy;

}  // namespace pg_loader

// Where a held post goes under policy next_free_slot (config.h Release): the channel's next slot
// that no other post holds, or the first time at least `spacing` away from every other post.
#pragma once

#include <optional>
#include <vector>

#include "calendar/config.h"
#include "store/records.h"

namespace lifeline::calendar {

// How far ahead a free slot is looked for.
inline constexpr std::chrono::hours kSlotHorizon{24 * 14};

// The earliest time at or after `now` that is free on a channel whose other posts are due at
// `taken`: with slots, a slot occurrence such that no other post is due from it until the next
// slot; with spacing, a time at least `spacing` from each of them. nullopt when nothing is free
// within kSlotHorizon (or the release has neither slots nor spacing).
std::optional<store::Time> NextFreeSlot(const Release& release, store::Time now,
                                        std::vector<store::Time> taken);

}  // namespace lifeline::calendar

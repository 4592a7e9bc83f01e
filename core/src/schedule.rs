//! Which trigger wins when: pure functions of the triggers and an instant.
//!
//! Among triggers that are active and whose window `[start, end)` holds the instant (a missing
//! bound is open), the one with the latest start wins (a missing start is the earliest), ties to
//! the highest id. With none, the baseline runs (`None`).
//!
//! The winner can only change where a window opens or closes, and the rule makes the next change
//! cheap to find without sorting: a window that opens after `t` starts later than every window
//! open at `t`, so it wins at once; the only other change is the current winner's end. So
//! [`next_transition`] is three linear scans, whatever the number of triggers.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::model::{Trigger, TriggerId};

/// A change of winner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Transition {
    /// The instant it happens.
    pub at: DateTime<Utc>,
    /// The winner from then on; `None` is the baseline.
    pub winner: Option<TriggerId>,
}

/// A stretch of time with one winner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Span {
    /// Where it starts (included).
    pub start: DateTime<Utc>,
    /// Where it ends (excluded).
    pub end: DateTime<Utc>,
    /// The winner throughout; `None` is the baseline.
    pub winner: Option<TriggerId>,
}

/// Precedence among triggers covering one instant: the later start, then the higher id.
#[inline]
fn rank(trigger: &Trigger) -> (Option<DateTime<Utc>>, TriggerId) {
    (trigger.start, trigger.id)
}

/// The trigger that wins at `at`, or `None` for the baseline.
pub fn winner_at(triggers: &[Trigger], at: DateTime<Utc>) -> Option<&Trigger> {
    triggers
        .iter()
        .filter(|t| t.covers(at))
        .max_by_key(|t| rank(t))
}

/// The earliest instant strictly after `after` at which the winner differs from the winner at
/// `after`, with the new winner; `None` when the winner never changes again.
pub fn next_transition(triggers: &[Trigger], after: DateTime<Utc>) -> Option<Transition> {
    let current = winner_at(triggers, after);
    let next_start = triggers
        .iter()
        .filter(|t| t.is_active && t.has_window())
        .filter_map(|t| t.start)
        .filter(|&start| start > after)
        .min();
    let at = match (current.and_then(|t| t.end), next_start) {
        (Some(end), Some(start)) => end.min(start),
        (end, start) => end.or(start)?,
    };
    Some(Transition {
        at,
        winner: winner_at(triggers, at).map(|t| t.id),
    })
}

/// Every trigger covering `at`, in precedence order: the latest start first, ties to the highest
/// id. Scoped configs' triggers all apply at once, so the controller asks this of them.
pub fn active_at(triggers: &[Trigger], at: DateTime<Utc>) -> Vec<&Trigger> {
    let mut active: Vec<&Trigger> = triggers.iter().filter(|t| t.covers(at)).collect();
    active.sort_by_key(|t| std::cmp::Reverse(rank(t)));
    active
}

/// The earliest instant strictly after `after` at which the set of triggers covering it
/// ([`active_at`]) changes: a window opening, or one open at `after` closing.
pub fn next_change(triggers: &[Trigger], after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let opening = triggers
        .iter()
        .filter(|t| t.is_active && t.has_window())
        .filter_map(|t| t.start)
        .filter(|&start| start > after);
    let closing = triggers
        .iter()
        .filter(|t| t.covers(after))
        .filter_map(|t| t.end);
    opening.chain(closing).min()
}

/// Consecutive spans covering `[from, to)`, each with its winner; empty when `to <= from`.
pub fn timeline(triggers: &[Trigger], from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Span> {
    if to <= from {
        return Vec::new();
    }
    // Triggers that cannot cover any instant of [from, to) cannot change the winner there.
    let relevant: Vec<Trigger> = triggers
        .iter()
        .filter(|t| t.can_win_after(from) && t.start.is_none_or(|start| start < to))
        .cloned()
        .collect();
    let mut spans = Vec::new();
    let mut start = from;
    let mut winner = winner_at(&relevant, from).map(|t| t.id);
    while let Some(next) = next_transition(&relevant, start).filter(|next| next.at < to) {
        spans.push(Span {
            start,
            end: next.at,
            winner,
        });
        start = next.at;
        winner = next.winner;
    }
    spans.push(Span {
        start,
        end: to,
        winner,
    });
    spans
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ConfigId;
    use chrono::{Duration, TimeZone};
    use proptest::prelude::*;

    fn at(hour: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap() + Duration::hours(hour)
    }

    fn trigger(id: i64, start: Option<i64>, end: Option<i64>) -> Trigger {
        Trigger {
            id: TriggerId(id),
            name: format!("t{id}"),
            is_active: true,
            start: start.map(at),
            end: end.map(at),
            config_id: ConfigId(id),
            version: 1,
            updated_at: at(0),
        }
    }

    fn winner(triggers: &[Trigger], hour: i64) -> Option<i64> {
        winner_at(triggers, at(hour)).map(|t| t.id.0)
    }

    #[test]
    fn every_covering_trigger_is_active_and_the_set_changes_at_each_bound() {
        let ts = [
            trigger(1, Some(0), Some(10)),
            trigger(2, Some(3), Some(5)),
            trigger(3, Some(3), Some(8)),
            trigger(4, None, None),
        ];
        let ids = |hour| {
            active_at(&ts, at(hour))
                .iter()
                .map(|t| t.id.0)
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(-1), [4]);
        assert_eq!(ids(0), [1, 4]);
        assert_eq!(
            ids(4),
            [3, 2, 1, 4],
            "latest start first, ties to the highest id"
        );
        assert_eq!(ids(5), [3, 1, 4]);
        let changes: Vec<_> =
            std::iter::successors(next_change(&ts, at(-1)), |&t| next_change(&ts, t)).collect();
        assert_eq!(changes, [at(0), at(3), at(5), at(8), at(10)]);
    }

    #[test]
    fn windows_are_half_open() {
        let ts = [trigger(1, Some(10), Some(12))];
        assert_eq!(winner(&ts, 9), None);
        assert_eq!(winner(&ts, 10), Some(1));
        assert_eq!(winner(&ts, 11), Some(1));
        assert_eq!(winner(&ts, 12), None);
    }

    #[test]
    fn missing_bounds_are_open() {
        let ts = [trigger(1, None, Some(5)), trigger(2, Some(20), None)];
        assert_eq!(winner(&ts, -1000), Some(1));
        assert_eq!(winner(&ts, 5), None);
        assert_eq!(winner(&ts, 100_000), Some(2));
        let forever = [trigger(3, None, None)];
        assert_eq!(winner(&forever, -5), Some(3));
        assert_eq!(next_transition(&forever, at(0)), None);
    }

    #[test]
    fn inactive_and_empty_windows_never_win() {
        let mut inactive = trigger(1, Some(0), Some(10));
        inactive.is_active = false;
        let empty = trigger(2, Some(5), Some(5));
        let reversed = trigger(3, Some(6), Some(4));
        let ts = [inactive, empty, reversed];
        for hour in -1..12 {
            assert_eq!(winner(&ts, hour), None, "hour {hour}");
        }
        assert_eq!(next_transition(&ts, at(-10)), None);
    }

    #[test]
    fn scenarios() {
        // (description, triggers, [(hour, winner)])
        type Scenario = (&'static str, Vec<Trigger>, Vec<(i64, Option<i64>)>);
        let table: Vec<Scenario> = vec![
            (
                "nested: the inner window starts later and wins inside it",
                vec![trigger(1, Some(0), Some(10)), trigger(2, Some(3), Some(5))],
                vec![
                    (0, Some(1)),
                    (3, Some(2)),
                    (4, Some(2)),
                    (5, Some(1)),
                    (10, None),
                ],
            ),
            (
                "adjacent: the second starts as the first ends",
                vec![trigger(1, Some(0), Some(2)), trigger(2, Some(2), Some(4))],
                vec![(1, Some(1)), (2, Some(2)), (3, Some(2)), (4, None)],
            ),
            (
                "equal starts: the highest id wins",
                vec![trigger(7, Some(0), Some(4)), trigger(3, Some(0), Some(8))],
                vec![(0, Some(7)), (3, Some(7)), (4, Some(3)), (8, None)],
            ),
            (
                "overlapping: the later start wins even if it ends later",
                vec![trigger(9, Some(0), Some(4)), trigger(1, Some(2), Some(6))],
                vec![(1, Some(9)), (2, Some(1)), (5, Some(1)), (6, None)],
            ),
            (
                "open-ended under a window",
                vec![trigger(1, None, None), trigger(2, Some(1), Some(2))],
                vec![(0, Some(1)), (1, Some(2)), (2, Some(1))],
            ),
            (
                "an inactive window leaves the one below",
                vec![trigger(1, Some(0), Some(9)), {
                    let mut t = trigger(2, Some(1), Some(3));
                    t.is_active = false;
                    t
                }],
                vec![(0, Some(1)), (1, Some(1)), (2, Some(1)), (9, None)],
            ),
        ];
        for (description, triggers, expectations) in table {
            for (hour, want) in expectations {
                assert_eq!(winner(&triggers, hour), want, "{description}, hour {hour}");
            }
        }
    }

    #[test]
    fn next_transition_finds_each_change() {
        let ts = [trigger(1, Some(0), Some(10)), trigger(2, Some(3), Some(5))];
        let steps: Vec<_> = std::iter::successors(
            Some(Transition {
                at: at(-1),
                winner: None,
            }),
            |t| next_transition(&ts, t.at),
        )
        .map(|t| (t.at, t.winner.map(|id| id.0)))
        .collect();
        assert_eq!(
            steps,
            vec![
                (at(-1), None),
                (at(0), Some(1)),
                (at(3), Some(2)),
                (at(5), Some(1)),
                (at(10), None),
            ]
        );
    }

    #[test]
    fn next_transition_is_strictly_after() {
        let ts = [trigger(1, Some(0), Some(2))];
        assert_eq!(
            next_transition(&ts, at(0)).unwrap(),
            Transition {
                at: at(2),
                winner: None
            }
        );
        // An end and a start at one instant make one transition to the starting trigger.
        let ts = [trigger(1, Some(0), Some(2)), trigger(2, Some(2), Some(3))];
        assert_eq!(
            next_transition(&ts, at(1)).unwrap(),
            Transition {
                at: at(2),
                winner: Some(TriggerId(2))
            }
        );
    }

    #[test]
    fn timeline_covers_the_range() {
        let ts = [trigger(1, Some(0), Some(10)), trigger(2, Some(3), Some(5))];
        let spans = timeline(&ts, at(-2), at(8));
        let simple: Vec<_> = spans
            .iter()
            .map(|s| (s.start, s.end, s.winner.map(|id| id.0)))
            .collect();
        assert_eq!(
            simple,
            vec![
                (at(-2), at(0), None),
                (at(0), at(3), Some(1)),
                (at(3), at(5), Some(2)),
                (at(5), at(8), Some(1)),
            ]
        );
        assert!(timeline(&ts, at(5), at(5)).is_empty());
        assert_eq!(
            timeline(&[], at(0), at(1)),
            vec![Span {
                start: at(0),
                end: at(1),
                winner: None
            }]
        );
    }

    #[test]
    fn ten_thousand_triggers_stay_linear() {
        let ts: Vec<Trigger> = (0..10_000)
            .map(|i| trigger(i, Some(i % 500), Some(i % 500 + 1 + i % 7)))
            .collect();
        let started = std::time::Instant::now();
        let mut steps = 0;
        let mut after = at(-1);
        while let Some(next) = next_transition(&ts, after) {
            after = next.at;
            steps += 1;
        }
        assert!(steps > 400, "{steps} transitions");
        // Loose bound for unoptimized builds on a loaded machine; the bench gives the real figure.
        let per_call = started.elapsed() / steps;
        assert!(
            per_call < std::time::Duration::from_millis(20),
            "{per_call:?} per call"
        );
    }

    /// Small worlds of triggers with unique ids (as a store gives them) on whole hours.
    fn arb_triggers() -> impl Strategy<Value = Vec<Trigger>> {
        prop::collection::vec(arb_trigger(), 0..8).prop_map(|mut triggers| {
            for (i, t) in triggers.iter_mut().enumerate() {
                t.id = TriggerId(i as i64 * 7 % 11);
            }
            triggers
        })
    }

    fn arb_trigger() -> impl Strategy<Value = Trigger> {
        (
            0i64..1,
            prop::option::weighted(0.8, 0i64..20),
            prop::option::weighted(0.8, 0i64..20),
            prop::bool::weighted(0.85),
        )
            .prop_map(|(id, start, end, is_active)| {
                let mut t = trigger(id, start, end);
                t.is_active = is_active;
                t
            })
    }

    proptest! {
        #[test]
        fn transitions_agree_with_dense_sampling(triggers in arb_triggers()) {
            // Windows fall on whole hours; sampling every half hour sees every change.
            let sample = |half_hours: i64| {
                winner_at(&triggers, at(0) + Duration::minutes(30 * half_hours)).map(|t| t.id)
            };
            let expected_changes: Vec<_> = (-3..50)
                .filter(|&k| sample(k) != sample(k - 1))
                .map(|k| (at(0) + Duration::minutes(30 * k), sample(k)))
                .collect();
            let mut after = at(0) + Duration::minutes(30 * -4);
            let mut found = Vec::new();
            while let Some(next) = next_transition(&triggers, after) {
                prop_assert!(next.at > after);
                prop_assert_ne!(next.winner, winner_at(&triggers, after).map(|t| t.id));
                found.push((next.at, next.winner));
                after = next.at;
            }
            prop_assert_eq!(found, expected_changes);
        }

        #[test]
        fn timeline_agrees_with_winner_at(
            triggers in arb_triggers(),
            from in -3i64..22,
            len in 0i64..25,
        ) {
            let spans = timeline(&triggers, at(from), at(from + len));
            if len == 0 {
                prop_assert!(spans.is_empty());
            } else {
                prop_assert_eq!(spans[0].start, at(from));
                prop_assert_eq!(spans[spans.len() - 1].end, at(from + len));
            }
            for pair in spans.windows(2) {
                prop_assert_eq!(pair[0].end, pair[1].start);
                prop_assert_ne!(pair[0].winner, pair[1].winner);
            }
            for span in &spans {
                prop_assert!(span.start < span.end);
                let mut t = span.start;
                while t < span.end {
                    prop_assert_eq!(winner_at(&triggers, t).map(|t| t.id), span.winner);
                    t += Duration::minutes(30);
                }
                let next = next_transition(&triggers, span.start);
                if span.end < at(from + len) {
                    prop_assert_eq!(next.map(|n| n.at), Some(span.end));
                }
            }
        }
    }
}

//! The wait shown to walk-ins, measured against a simulated day (see `estimate_day`): the
//! estimate of issue 15 must be clearly nearer the real wait than the one it replaced, and the
//! range must hold the real wait most of the time. The figures themselves are printed (run with
//! `--nocapture`) and published in `docs/wait-estimate.md`; `cargo bench --bench estimate`
//! prints them over more days.

mod estimate_day;

use estimate_day::{errors, report, simulate_day};

/// Seeded days, so a failure can be replayed; enough that one lucky day does not decide.
const DAYS: u64 = 5;

#[test]
fn the_wait_shown_is_nearer_the_real_wait_than_before() {
    let (table, [before, without, after]) = report(DAYS);
    println!("{table}");
    assert!(after.count > 200, "the days have walk-ins: {after:?}");
    assert!(
        after.mean_absolute < 0.8 * before.mean_absolute,
        "mean error after {:.1} min, before {:.1} min",
        after.mean_absolute,
        before.mean_absolute
    );
    assert!(
        after.p90 < before.p90,
        "90th percentile after {:.1} min, before {:.1} min",
        after.p90,
        before.p90
    );
    assert!(
        without.mean_absolute < before.mean_absolute,
        "even without appointments known: {:.1} against {:.1} min",
        without.mean_absolute,
        before.mean_absolute
    );
    assert!(after.inside >= 0.6, "the real wait fell in the range {:.0} % of the time", after.inside * 100.0);
    assert!(after.inside > before.inside, "in range: after {:.2}, before {:.2}", after.inside, before.inside);
}

#[test]
fn the_simulated_day_is_the_same_for_the_same_seed() {
    let shown = |seed| {
        simulate_day(seed)
            .into_iter()
            .map(|s| (s.service, s.issued_at, s.before, s.after, s.real_minutes.map(|m| (m * 60.0).round())))
            .collect::<Vec<_>>()
    };
    assert_eq!(shown(3), shown(3));
    assert_ne!(shown(3), shown(4), "another seed, another day");
    let day = simulate_day(3);
    assert!(day.iter().all(|s| s.real_minutes.is_some()), "every walk-in is called by the end of the day");
    assert!(errors(&day, |s| s.after).count > 40);
}

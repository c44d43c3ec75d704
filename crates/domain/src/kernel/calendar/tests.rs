use super::*;
use proptest::prelude::*;
use time::macros::date;

/// The State Council's notice for 2026 (国办发明电〔2025〕7号), as the
/// table an administrator loads.
pub(crate) const NOTICE_2026: &str = "\
# 国务院办公厅关于2026年部分节假日安排的通知
2026-01-01~2026-01-03,放假,元旦
2026-01-04,上班,元旦
2026-02-15~2026-02-23,放假,春节
2026-02-14,上班,春节
2026-02-28,上班,春节
2026-04-04~2026-04-06,放假,清明节
2026-05-01~2026-05-05,放假,劳动节
2026-05-09,上班,劳动节
2026-06-19~2026-06-21,放假,端午节
2026-09-25~2026-09-27,放假,中秋节
2026-10-01~2026-10-07,放假,国庆节
2026-09-20,上班,国庆节
2026-10-10,上班,国庆节
";

fn calendar() -> Calendar {
    let mut arranged = BTreeMap::new();
    arranged.insert(2026, parse_table(2026, NOTICE_2026).unwrap());
    Calendar::new(&arranged, &shipped_lunar_dates())
}

fn working(n: u32) -> Period {
    Period {
        count: n,
        unit: Unit::WorkingDays,
    }
}

fn days(n: u32) -> Period {
    Period {
        count: n,
        unit: Unit::CalendarDays,
    }
}

fn due(c: &Calendar, from: Date, p: Period) -> Deadline {
    c.deadline(from, p, StartRule::NextDay, &[]).unwrap()
}

#[test]
fn the_2026_notice_reads_as_a_table() {
    let days = parse_table(2026, NOTICE_2026).unwrap();
    let off = days.iter().filter(|d| d.kind == DayKind::Holiday).count();
    let on = days.iter().filter(|d| d.kind == DayKind::Workday).count();
    assert_eq!((off, on), (3 + 9 + 3 + 5 + 3 + 3 + 7, 6));
    assert_eq!(parse_date("2026年2月15日"), Some(date!(2026 - 02 - 15)));
    assert_eq!(parse_date("2026/2/30"), None);
    let bad = parse_table(
        2026,
        "2026-02-15,放假\n2025-12-31,放假\nxx\n2026-13-01,上班\n2026-03-01,午休",
    )
    .unwrap_err();
    assert_eq!(
        bad.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        vec![2, 3, 4, 5]
    );
}

#[test]
fn working_days_follow_the_2026_holidays_and_make_up_days() {
    let c = calendar();
    // Saturday 14 February is a make-up working day; the holiday runs to the 23rd.
    assert!(c.is_working_day(date!(2026 - 02 - 14)).unwrap());
    assert!(!c.is_working_day(date!(2026 - 02 - 23)).unwrap());
    assert!(c.is_working_day(date!(2026 - 02 - 28)).unwrap());
    assert!(!c.is_working_day(date!(2026 - 03 - 01)).unwrap());
    assert_eq!(
        due(&c, date!(2026 - 02 - 13), working(1)).date,
        Some(date!(2026 - 02 - 14))
    );
    assert_eq!(
        due(&c, date!(2026 - 02 - 14), working(1)).date,
        Some(date!(2026 - 02 - 24))
    );
    // National Day: nothing counts from the 1st to the 7th; the 10th is on.
    assert_eq!(
        due(&c, date!(2026 - 09 - 30), working(1)).date,
        Some(date!(2026 - 10 - 08))
    );
    assert_eq!(
        due(&c, date!(2026 - 09 - 30), working(3)).date,
        Some(date!(2026 - 10 - 10))
    );
    // 20 working days from an acceptance on Monday 9 March 2026: no holiday
    // until 清明 (4–6 April), so four weeks: Monday 6 April is off, the
    // 20th working day is Tuesday 7 April.
    let d = due(&c, date!(2026 - 03 - 09), working(20));
    assert_eq!(d.date, Some(date!(2026 - 04 - 07)));
    assert!(!d.provisional);
    // The correction notice is due within 5 days of receipt (Art. 32).
    assert_eq!(
        due(&c, date!(2026 - 04 - 30), working(5)).date,
        Some(date!(2026 - 05 - 11))
    );
}

#[test]
fn a_calendar_period_ending_on_a_day_off_ends_on_the_next_working_day() {
    let c = calendar();
    // 27 September + 5 days = 2 October, a holiday: the period ends on the 8th.
    assert_eq!(
        due(&c, date!(2026 - 09 - 27), days(5)).date,
        Some(date!(2026 - 10 - 08))
    );
    // Ending on a working day, it ends there.
    assert_eq!(
        due(&c, date!(2026 - 03 - 02), days(10)).date,
        Some(date!(2026 - 03 - 12))
    );
    // With the starting day counted, one day less.
    assert_eq!(
        c.deadline(date!(2026 - 03 - 02), days(10), StartRule::SameDay, &[])
            .unwrap()
            .date,
        Some(date!(2026 - 03 - 11))
    );
    // Zero days: on the day (即办件).
    assert_eq!(
        due(&c, date!(2026 - 03 - 02), working(0)).date,
        Some(date!(2026 - 03 - 02))
    );
}

#[test]
fn a_year_without_its_notice_is_provisional_with_the_statutory_holidays() {
    let c = calendar();
    assert!(!c.is_arranged(2027));
    // 除夕 2027 is 5 February: the 5th to the 8th are off, no make-up days.
    for d in [date!(2027 - 02 - 05), date!(2027 - 02 - 08)] {
        assert!(!c.is_working_day(d).unwrap(), "{d}");
    }
    assert!(c.is_working_day(date!(2027 - 02 - 09)).unwrap());
    assert!(!c.is_working_day(date!(2027 - 02 - 06)).unwrap());
    let d = due(&c, date!(2026 - 12 - 21), working(20));
    assert!(d.provisional);
    let d = due(&c, date!(2026 - 11 - 02), working(20));
    assert!(!d.provisional);
    // Outside the supported years there is no answer.
    assert_eq!(
        c.deadline(date!(2030 - 12 - 20), working(20), StartRule::NextDay, &[]),
        Err(CalendarError::OutOfRange)
    );
    assert_eq!(
        c.is_working_day(date!(2024 - 12 - 31)),
        Err(CalendarError::OutOfRange)
    );
    assert_eq!(
        c.deadline(
            date!(2026 - 01 - 05),
            working(MAX_COUNT + 1),
            StartRule::NextDay,
            &[]
        ),
        Err(CalendarError::CountTooLarge)
    );
}

#[test]
fn suspended_days_do_not_count_and_an_open_suspension_has_no_deadline_yet() {
    let c = calendar();
    let plain = due(&c, date!(2026 - 03 - 09), working(20)).date.unwrap();
    // An expert review from Monday 16 to Friday 20 March: five working days
    // stand still, so the deadline moves five working days on.
    let stop = [Suspension {
        from: date!(2026 - 03 - 16),
        to: Some(date!(2026 - 03 - 20)),
    }];
    let moved = c
        .deadline(
            date!(2026 - 03 - 09),
            working(20),
            StartRule::NextDay,
            &stop,
        )
        .unwrap()
        .date
        .unwrap();
    assert_eq!(c.working_days_left(plain, moved).unwrap(), 5);
    let open = [Suspension {
        from: date!(2026 - 03 - 16),
        to: None,
    }];
    assert_eq!(
        c.deadline(
            date!(2026 - 03 - 09),
            working(20),
            StartRule::NextDay,
            &open
        )
        .unwrap()
        .date,
        None
    );
}

#[test]
fn working_days_left_counts_forwards_and_backwards() {
    let c = calendar();
    assert_eq!(
        c.working_days_left(date!(2026 - 02 - 13), date!(2026 - 02 - 24))
            .unwrap(),
        2
    );
    assert_eq!(
        c.working_days_left(date!(2026 - 02 - 24), date!(2026 - 02 - 13))
            .unwrap(),
        -2
    );
    assert_eq!(
        c.working_days_left(date!(2026 - 02 - 24), date!(2026 - 02 - 24))
            .unwrap(),
        0
    );
}

fn any_day() -> impl Strategy<Value = Date> {
    (0i64..(365 * 5)).prop_map(|n| date!(2025 - 01 - 01) + time::Duration::days(n))
}

proptest! {
    #[test]
    fn a_working_day_deadline_is_a_working_day_exactly_n_working_days_on(
        from in any_day(), n in 1u32..60,
    ) {
        let c = calendar();
        let d = due(&c, from, working(n)).date.unwrap();
        prop_assert!(d > from);
        prop_assert!(c.is_working_day(d).unwrap());
        prop_assert_eq!(c.working_days_left(from, d).unwrap(), i64::from(n));
        // One more day never ends earlier.
        let d2 = due(&c, from, working(n + 1)).date.unwrap();
        prop_assert!(d2 > d);
    }

    #[test]
    fn a_calendar_day_deadline_is_the_first_working_day_from_the_nth_day(
        from in any_day(), n in 1u32..60,
    ) {
        let c = calendar();
        let d = due(&c, from, days(n)).date.unwrap();
        let nth = from + time::Duration::days(i64::from(n));
        prop_assert!(d >= nth);
        prop_assert!(c.is_working_day(d).unwrap());
        let mut x = nth;
        while x < d {
            prop_assert!(!c.is_working_day(x).unwrap());
            x = x.next_day().unwrap();
        }
    }

    #[test]
    fn a_closed_suspension_moves_the_deadline_by_the_working_days_it_stops(
        from in any_day(), n in 1u32..40, start in 1i64..30, len in 0i64..20,
    ) {
        let c = calendar();
        let plain = due(&c, from, working(n)).date.unwrap();
        let s = Suspension {
            from: from + time::Duration::days(start),
            to: Some(from + time::Duration::days(start + len)),
        };
        let moved = c.deadline(from, working(n), StartRule::NextDay, &[s]).unwrap().date.unwrap();
        prop_assert!(moved >= plain);
        // The working days between them are the stopped working days that
        // fell inside the period.
        let mut stopped = 0;
        let mut x = s.from;
        while x <= s.to.unwrap() && x <= moved {
            if c.is_working_day(x).unwrap() && x > from {
                stopped += 1;
            }
            x = x.next_day().unwrap();
        }
        prop_assert_eq!(c.working_days_left(plain, moved).unwrap(), stopped);
    }
}

//! 法定工作日历 the legal calendar: which days are working days (工作日),
//! and the one function every deadline of the platform comes from.
//!
//! A day is a working day when it is Monday to Friday and not a holiday,
//! or when the year's arrangement makes it a make-up working day (调休上班).
//! A year's arrangement is the State Council's notice for that year
//! (国务院办公厅关于某年部分节假日安排的通知), kept as data. For a year
//! whose notice is not loaded, the statutory holidays of
//! 全国年节及纪念日放假办法 (2024 revision, in force from 2025) still count,
//! from a table of their dates (the lunar and solar-term ones differ every
//! year), and every answer touching that year is marked provisional.
//!
//! Periods (期间) follow 民法典 Arts. 200–203 and 行政许可法 Art. 82: a
//! period of N days starts the day after its starting event unless the
//! rule says the starting day counts; working-day periods count only
//! working days; a calendar-day period whose last day is not a working day
//! ends on the next working day. Suspended intervals (特别程序, Art. 45)
//! do not count.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::{Date, Duration, Month, Weekday};

/// The first and last year the platform computes deadlines for.
pub const FIRST_YEAR: i32 = 2025;
/// See [`FIRST_YEAR`].
pub const LAST_YEAR: i32 = 2030;

/// The most days a period may have (ten years of working days).
pub const MAX_COUNT: u32 = 2_600;

/// How a day departs from the weekly rule in a year's arrangement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// 放假: a day off (a statutory holiday or a day moved into a holiday).
    Holiday,
    /// 调休上班: a weekend day that is a working day.
    Workday,
}

impl DayKind {
    /// Stable code (`holiday`, `workday`).
    pub fn code(self) -> &'static str {
        match self {
            Self::Holiday => "holiday",
            Self::Workday => "workday",
        }
    }

    /// Parses a code, or the Chinese words of a State Council table
    /// (`放假`/`休`, `上班`/`班`).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "holiday" | "放假" | "休" | "休息" => Some(Self::Holiday),
            "workday" | "上班" | "班" | "调休上班" => Some(Self::Workday),
            _ => None,
        }
    }
}

/// One day of a year's arrangement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArrangedDay {
    /// The date.
    pub date: Date,
    /// Off or on.
    pub kind: DayKind,
    /// The festival it belongs to (春节, 国庆节 …).
    pub name: String,
}

/// The statutory holidays of one year under 全国年节及纪念日放假办法: the
/// fixed ones (元旦 1, 劳动节 2, 国庆节 3 days) and, from the table, 除夕 to
/// 正月初三 (4 days), 清明节, 端午节 and 中秋节 (1 day each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LunarDates {
    /// The year.
    pub year: i32,
    /// 农历除夕 (the last day of the lunar year).
    pub new_years_eve: Date,
    /// 清明 (the solar term).
    pub qingming: Date,
    /// 端午 (5th day of the 5th lunar month).
    pub dragon_boat: Date,
    /// 中秋 (15th day of the 8th lunar month).
    pub mid_autumn: Date,
}

impl LunarDates {
    /// The thirteen statutory holidays of the year, with their festival.
    pub fn statutory_holidays(&self) -> Vec<(Date, &'static str)> {
        let fixed = |m: Month, d: u8| Date::from_calendar_date(self.year, m, d).ok();
        let mut days = Vec::with_capacity(13);
        days.extend(fixed(Month::January, 1).map(|d| (d, "元旦")));
        for i in 0..4 {
            days.push((self.new_years_eve + Duration::days(i), "春节"));
        }
        days.push((self.qingming, "清明节"));
        days.extend(
            (1..=2)
                .filter_map(|d| fixed(Month::May, d))
                .map(|d| (d, "劳动节")),
        );
        days.push((self.dragon_boat, "端午节"));
        days.push((self.mid_autumn, "中秋节"));
        days.extend(
            (1..=3)
                .filter_map(|d| fixed(Month::October, d))
                .map(|d| (d, "国庆节")),
        );
        days
    }
}

/// Why a question cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The date lies outside the years the calendar knows.
    #[error("日期须在{FIRST_YEAR}年至{LAST_YEAR}年之间")]
    OutOfRange,
    /// The count is larger than [`MAX_COUNT`].
    #[error("期间不能超过{MAX_COUNT}日")]
    CountTooLarge,
}

impl CalendarError {
    /// Stable code of the problem.
    pub fn code(&self) -> &'static str {
        match self {
            Self::OutOfRange => "out_of_range",
            Self::CountTooLarge => "too_large",
        }
    }
}

/// What a period counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// 工作日
    WorkingDays,
    /// 自然日 (the catalog's `day` unit)
    CalendarDays,
}

/// A period of time from a starting event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// How many days.
    pub count: u32,
    /// Of which kind.
    pub unit: Unit,
}

/// Whether the day of the starting event is day one of a period. 民法典
/// Art. 201 says it is not; the statute leaves room, so it is a setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StartRule {
    /// The period begins the day after the event (the default).
    #[default]
    NextDay,
    /// The day of the event counts as day one.
    SameDay,
}

/// An interval during which the clock stands still (特别程序 under
/// 行政许可法 Art. 45): both days included; `to` is `None` while it lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suspension {
    /// First day stopped.
    pub from: Date,
    /// Last day stopped, if the clock has restarted.
    pub to: Option<Date>,
}

impl Suspension {
    fn covers(&self, d: Date) -> bool {
        d >= self.from && self.to.is_none_or(|to| d <= to)
    }
}

/// A deadline, and whether it rests on a year whose arrangement was not
/// loaded (then only the statutory holidays were known).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Deadline {
    /// The last day of the period; `None` while a suspension still lasts
    /// and the deadline cannot be known.
    pub date: Option<Date>,
    /// Whether a provisional year was used.
    pub provisional: bool,
}

/// Days off and on of every supported year, one bit per day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    /// Per year from [`FIRST_YEAR`]: bit `ordinal - 1` set when working.
    working: Vec<[u64; 6]>,
    /// Per year from [`FIRST_YEAR`]: whether its arrangement is loaded.
    arranged: Vec<bool>,
}

impl Calendar {
    /// Builds the calendar from the loaded arrangements and the table of
    /// statutory dates. A year with an arrangement takes its days from it
    /// (holidays off, make-up days on, the rest by the weekday); a year
    /// without takes the statutory holidays from `lunar`.
    pub fn new(arrangements: &BTreeMap<i32, Vec<ArrangedDay>>, lunar: &[LunarDates]) -> Self {
        let years = (LAST_YEAR - FIRST_YEAR + 1) as usize;
        let mut working = vec![[0u64; 6]; years];
        let mut arranged = vec![false; years];
        for (i, year) in (FIRST_YEAR..=LAST_YEAR).enumerate() {
            let bits = &mut working[i];
            let mut d = Date::from_calendar_date(year, Month::January, 1).unwrap_or(Date::MIN);
            while d.year() == year {
                if !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) {
                    set(bits, d, true);
                }
                match d.next_day() {
                    Some(n) => d = n,
                    None => break,
                }
            }
            match arrangements.get(&year) {
                Some(days) => {
                    arranged[i] = true;
                    for day in days.iter().filter(|day| day.date.year() == year) {
                        set(bits, day.date, day.kind == DayKind::Workday);
                    }
                }
                None => {
                    for l in lunar.iter().filter(|l| l.year == year) {
                        for (date, _) in l.statutory_holidays() {
                            if date.year() == year {
                                set(bits, date, false);
                            }
                        }
                    }
                }
            }
        }
        Self { working, arranged }
    }

    fn index(year: i32) -> Option<usize> {
        (FIRST_YEAR..=LAST_YEAR)
            .contains(&year)
            .then(|| (year - FIRST_YEAR) as usize)
    }

    /// Whether `d` is a working day.
    pub fn is_working_day(&self, d: Date) -> Result<bool, CalendarError> {
        let i = Self::index(d.year()).ok_or(CalendarError::OutOfRange)?;
        let o = usize::from(d.ordinal() - 1);
        Ok(self.working[i][o / 64] & (1 << (o % 64)) != 0)
    }

    /// Whether the arrangement of `year` is loaded (otherwise answers about
    /// it are provisional).
    pub fn is_arranged(&self, year: i32) -> bool {
        Self::index(year).is_some_and(|i| self.arranged[i])
    }

    /// The last day of `period` from the event on `from`, skipping the
    /// suspended days. The one function every deadline comes from.
    pub fn deadline(
        &self,
        from: Date,
        period: Period,
        rule: StartRule,
        suspensions: &[Suspension],
    ) -> Result<Deadline, CalendarError> {
        if period.count > MAX_COUNT {
            return Err(CalendarError::CountTooLarge);
        }
        let mut provisional = !self.is_arranged(from.year());
        let mut day = match rule {
            StartRule::NextDay => next(from)?,
            StartRule::SameDay => from,
        };
        let stopped = |d: Date| suspensions.iter().any(|s| s.covers(d));
        let mut counted = 0u32;
        // A period of 0 days ends on the day of the event (即办件).
        if period.count == 0 {
            return Ok(Deadline {
                date: Some(from),
                provisional,
            });
        }
        loop {
            if suspensions.iter().any(|s| s.to.is_none() && s.from <= day) {
                return Ok(Deadline {
                    date: None,
                    provisional,
                });
            }
            provisional |= !self.is_arranged(day.year());
            let counts = !stopped(day)
                && match period.unit {
                    Unit::WorkingDays => self.is_working_day(day)?,
                    Unit::CalendarDays => true,
                };
            if counts {
                counted += 1;
                if counted == period.count {
                    break;
                }
            }
            day = next(day)?;
        }
        // 民法典 Art. 203: a last day that is not a working day moves on.
        while !self.is_working_day(day)? {
            day = next(day)?;
            provisional |= !self.is_arranged(day.year());
        }
        Ok(Deadline {
            date: Some(day),
            provisional,
        })
    }

    /// Working days from `today` to `deadline`: how many remain after
    /// today up to and including the deadline, or, once it has passed,
    /// minus the working days since (0 on the deadline itself).
    pub fn working_days_left(&self, today: Date, deadline: Date) -> Result<i64, CalendarError> {
        let (a, b, sign) = if today <= deadline {
            (today, deadline, 1)
        } else {
            (deadline, today, -1)
        };
        let mut n = 0i64;
        let mut d = a;
        while d < b {
            d = next(d)?;
            if self.is_working_day(d)? {
                n += 1;
            }
        }
        Ok(sign * n)
    }
}

fn next(d: Date) -> Result<Date, CalendarError> {
    d.next_day().ok_or(CalendarError::OutOfRange)
}

fn set(bits: &mut [u64; 6], d: Date, working: bool) {
    let o = usize::from(d.ordinal() - 1);
    if working {
        bits[o / 64] |= 1 << (o % 64);
    } else {
        bits[o / 64] &= !(1 << (o % 64));
    }
}

/// The statutory dates the platform ships, for the years it supports: the
/// lunar festivals and 清明 move every year. Checked against the almanac
/// (万年历) for 2025 and 2026 by the arrangements of those years; later
/// years are to be confirmed when their notices appear, and an
/// administrator's loaded arrangement always takes precedence.
pub fn shipped_lunar_dates() -> Vec<LunarDates> {
    let d = |y: i32, m: Month, day: u8| Date::from_calendar_date(y, m, day).unwrap_or(Date::MIN);
    use Month::*;
    [
        (2025, (January, 28), (April, 4), (May, 31), (October, 6)),
        (
            2026,
            (February, 16),
            (April, 5),
            (June, 19),
            (September, 25),
        ),
        (2027, (February, 5), (April, 5), (June, 9), (September, 15)),
        (2028, (January, 25), (April, 4), (May, 28), (October, 3)),
        (
            2029,
            (February, 12),
            (April, 4),
            (June, 16),
            (September, 22),
        ),
        (2030, (February, 2), (April, 5), (June, 5), (September, 12)),
    ]
    .into_iter()
    .map(|(y, eve, qm, db, ma)| LunarDates {
        year: y,
        new_years_eve: d(y, eve.0, eve.1),
        qingming: d(y, qm.0, qm.1),
        dragon_boat: d(y, db.0, db.1),
        mid_autumn: d(y, ma.0, ma.1),
    })
    .collect()
}

/// Reads a year's arrangement from a table, one day per line: a date
/// (`2026-02-15`, `2026/2/15` or `2026年2月15日`), then `放假`/`holiday` or
/// `上班`/`workday`, then optionally the festival's name; separated by
/// commas, tabs or spaces. A range `2026-02-15~2026-02-23` stands for
/// every day in it. Blank lines and lines starting with `#` are skipped.
/// Every day must lie in `year`; every bad line is reported with its
/// number at once.
pub fn parse_table(year: i32, text: &str) -> Result<Vec<ArrangedDay>, Vec<(usize, String)>> {
    let mut days: BTreeMap<Date, ArrangedDay> = BTreeMap::new();
    let mut problems = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parts: Vec<&str> = line
            .split(|c: char| c == ',' || c == '，' || c == '\t' || c.is_whitespace())
            .filter(|p| !p.is_empty())
            .collect();
        let (Some(when), Some(kind)) = (parts.first(), parts.get(1)) else {
            problems.push((n, format!("第{n}行应为“日期,放假或上班[,节日]”")));
            continue;
        };
        let Some(kind) = DayKind::parse(kind) else {
            problems.push((n, format!("第{n}行的“{kind}”应为放假或上班")));
            continue;
        };
        let name = parts.get(2..).map(|p| p.join(" ")).unwrap_or_default();
        let (first, last) = match when.split_once(['~', '～']) {
            Some((a, b)) => (parse_date(a), parse_date(b)),
            None => (parse_date(when), parse_date(when)),
        };
        let (Some(first), Some(last)) = (first, last) else {
            problems.push((n, format!("第{n}行的日期“{when}”无法识别")));
            continue;
        };
        if first.year() != year || last.year() != year || last < first {
            problems.push((n, format!("第{n}行的日期不在{year}年内")));
            continue;
        }
        let mut d = first;
        loop {
            days.insert(
                d,
                ArrangedDay {
                    date: d,
                    kind,
                    name: name.clone(),
                },
            );
            if d == last {
                break;
            }
            match d.next_day() {
                Some(nd) => d = nd,
                None => break,
            }
        }
    }
    if problems.is_empty() {
        Ok(days.into_values().collect())
    } else {
        Err(problems)
    }
}

/// Parses `2026-02-15`, `2026/2/15`, `2026.2.15` or `2026年2月15日`.
pub fn parse_date(s: &str) -> Option<Date> {
    let s = s.trim().trim_end_matches('日');
    let parts: Vec<&str> = s.split(['-', '/', '.', '年', '月']).collect();
    let [y, m, d] = parts.as_slice() else {
        return None;
    };
    let y: i32 = y.parse().ok()?;
    let m: u8 = m.parse().ok()?;
    let d: u8 = d.parse().ok()?;
    Date::from_calendar_date(y, Month::try_from(m).ok()?, d).ok()
}

#[cfg(test)]
mod tests;

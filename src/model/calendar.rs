//! Dates and financial years. Simulated time is a number of days since the clock
//! started (the start of the warm-up). English NHS financial years run from 1 April to
//! 31 March and are labelled like `2007/08`.

/// A civil (proleptic Gregorian) date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// A date, or `None` if it does not exist.
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        let dim = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if is_leap(year) => 29,
            2 => 28,
            _ => return None,
        };
        (1..=dim).contains(&day).then_some(Date { year, month, day })
    }

    /// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
    pub fn to_days(self) -> i64 {
        let y = self.year as i64 - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = self.month as i64;
        let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + self.day as i64 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01 (Hinnant's `civil_from_days`).
    pub fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// The financial year containing this date, by the year it starts in.
    pub fn financial_year(self) -> i32 {
        if self.month >= 4 { self.year } else { self.year - 1 }
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// The `2007/08` label of the financial year starting in April of `start_year`.
pub fn fy_label(start_year: i32) -> String {
    format!("{}/{:02}", start_year, (start_year + 1).rem_euclid(100))
}

/// One reported financial year, or the part of it inside the horizon.
#[derive(Debug, Clone, PartialEq)]
pub struct FinancialYear {
    pub label: String,
    /// Simulated time (days since the clock started) of its first day in the horizon.
    pub start: f64,
    /// Simulated time just after its last day in the horizon.
    pub end: f64,
    /// Share of the whole financial year inside the horizon (1 for a full year).
    pub fraction: f64,
    /// Days `[first_day, end_day)` of the financial year inside the horizon, counted
    /// from its 1 April, and the year's length in days.
    pub first_day: u32,
    pub end_day: u32,
    pub days: u32,
}

/// A calendar month, or the part of one inside the horizon: monthly payments fall due
/// at its start and cover its days.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Month {
    /// Simulated time of its first day.
    pub time: f64,
    /// Index of its financial year in [`Calendar::years`].
    pub year: usize,
    /// Days `[from_day, to_day)` of the financial year that it covers.
    pub from_day: u32,
    pub to_day: u32,
}

/// When the clock starts, when reporting starts and ends, and the financial years and
/// month starts in between.
#[derive(Debug, Clone, PartialEq)]
pub struct Calendar {
    /// First reported day.
    pub start: Date,
    /// Days simulated before `start` and not reported.
    pub warm_up_days: u32,
    /// Reported financial years in order; together they cover `[warm_up_days, end)`.
    pub years: Vec<FinancialYear>,
    /// Simulated time at which the run ends.
    pub end: f64,
    /// Every month, or part month, inside the horizon, in order.
    pub months: Vec<Month>,
}

impl Calendar {
    /// Reporting from `start` for `years` years (to the same date `years` later),
    /// after `warm_up_days` of warm-up. `None` if the end date does not exist
    /// (29 February start with a non-leap end year) or `years` is zero.
    pub fn new(start: Date, warm_up_days: u32, years: u32) -> Option<Calendar> {
        if years == 0 {
            return None;
        }
        let end_date = Date::new(start.year + years as i32, start.month, start.day)?;
        let origin = start.to_days() - warm_up_days as i64;
        let t = |d: Date| (d.to_days() - origin) as f64;
        let mut out = Vec::new();
        let mut cursor = start;
        while cursor < end_date {
            let fy = cursor.financial_year();
            let fy_start = Date::new(fy, 4, 1).expect("1 April exists");
            let fy_end = Date::new(fy + 1, 4, 1).expect("1 April exists");
            let stop = fy_end.min(end_date);
            let days = (fy_end.to_days() - fy_start.to_days()) as u32;
            let first_day = (cursor.to_days() - fy_start.to_days()) as u32;
            let end_day = (stop.to_days() - fy_start.to_days()) as u32;
            out.push(FinancialYear {
                label: fy_label(fy),
                start: t(cursor),
                end: t(stop),
                fraction: (end_day - first_day) as f64 / days as f64,
                first_day,
                end_day,
                days,
            });
            cursor = stop;
        }
        let mut months: Vec<Month> = Vec::new();
        for (i, y) in out.iter().enumerate() {
            for fy_day in y.first_day..y.end_day {
                let day = y.start as i64 + origin + (fy_day - y.first_day) as i64;
                if Date::from_days(day).day == 1 || fy_day == y.first_day {
                    if let Some(last) = months.last_mut().filter(|m| m.year == i) {
                        last.to_day = fy_day;
                    }
                    months.push(Month { time: (day - origin) as f64, year: i, from_day: fy_day, to_day: y.end_day });
                }
            }
        }
        Some(Calendar { start, warm_up_days, end: t(end_date), years: out, months })
    }

    /// The calendar date of simulated time `t` (days since the clock started).
    pub fn date_at(&self, t: f64) -> Date {
        Date::from_days(self.start.to_days() - self.warm_up_days as i64 + t.floor() as i64)
    }

    /// The first reported time (end of warm-up).
    pub fn report_start(&self) -> f64 {
        self.warm_up_days as f64
    }

    /// Number of financial-year equivalents reported (sum of fractions).
    pub fn year_equivalents(&self) -> f64 {
        self.years.iter().map(|y| y.fraction).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_round_trip() {
        for d in [-800_000i64, -1, 0, 1, 13_604, 20_000, 800_000] {
            assert_eq!(Date::from_days(d).to_days(), d);
        }
        assert_eq!(Date::new(1970, 1, 1).unwrap().to_days(), 0);
        assert_eq!(Date::new(2007, 4, 1).unwrap().to_days(), 13_604);
        assert!(Date::new(2007, 2, 29).is_none());
        assert!(Date::new(2008, 2, 29).is_some());
    }

    #[test]
    fn full_financial_years() {
        let c = Calendar::new(Date::new(2007, 4, 1).unwrap(), 90, 2).unwrap();
        let labels: Vec<_> = c.years.iter().map(|y| y.label.as_str()).collect();
        assert_eq!(labels, ["2007/08", "2008/09"]);
        assert_eq!(c.years[0].start, 90.0);
        assert_eq!(c.years[0].end - c.years[0].start, 366.0); // Feb 2008 is a leap month
        assert_eq!(c.years[1].end, c.end);
        assert_eq!(c.year_equivalents(), 2.0);
        assert_eq!(c.months.len(), 24);
        assert_eq!(c.months[0], Month { time: 90.0, year: 0, from_day: 0, to_day: 30 });
        assert_eq!(c.months[11], Month { time: 90.0 + 335.0, year: 0, from_day: 335, to_day: 366 });
        assert_eq!(c.months[12].from_day, 0);
        assert_eq!((c.years[0].first_day, c.years[0].end_day, c.years[0].days), (0, 366, 366));
    }

    #[test]
    fn partial_years_are_split_at_1_april() {
        let c = Calendar::new(Date::new(2007, 1, 1).unwrap(), 0, 1).unwrap();
        let labels: Vec<_> = c.years.iter().map(|y| y.label.as_str()).collect();
        assert_eq!(labels, ["2006/07", "2007/08"]);
        assert_eq!(c.years[0].end, 90.0);
        assert!((c.year_equivalents() - 1.0).abs() < 0.01);
        assert_eq!((c.years[0].first_day, c.years[0].end_day), (275, 365));
        assert_eq!((c.years[1].first_day, c.years[1].end_day), (0, 275));
        // A mid-month start: the first payment covers the rest of that month only.
        let m = Calendar::new(Date::new(2007, 4, 15).unwrap(), 0, 1).unwrap();
        assert_eq!(m.months[0], Month { time: 0.0, year: 0, from_day: 14, to_day: 30 });
        assert_eq!(m.months.len(), 13);
        let covered: u32 = m.months.iter().map(|x| x.to_day - x.from_day).sum();
        assert_eq!(covered, 366);
        assert_eq!(fy_label(1999), "1999/00");
    }
}

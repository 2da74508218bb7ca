//! Dates and times as the network reads them, the same in the API (digests, e-mails) and
//! the bot (the weekly round-up): UK time, and month names in English and Welsh.
//!
//! UK time is worked out from the UK's rule rather than a time-zone database, which would
//! be carried for this one zone: British Summer Time runs from 01:00 UTC on the last
//! Sunday of March to 01:00 UTC on the last Sunday of October (the rule since 1996).

use chrono::{DateTime, Datelike, Days, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Utc};

/// Month names in English, January first.
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Month names in Welsh, Ionawr first.
const MONTHS_CY: [&str; 12] = [
    "Ionawr",
    "Chwefror",
    "Mawrth",
    "Ebrill",
    "Mai",
    "Mehefin",
    "Gorffennaf",
    "Awst",
    "Medi",
    "Hydref",
    "Tachwedd",
    "Rhagfyr",
];

/// A day as people write it: `9 December 2026`, or in Welsh `9 Rhagfyr 2026`.
pub fn written_date(day: impl Datelike, welsh: bool) -> String {
    let months = if welsh { &MONTHS_CY } else { &MONTHS_EN };
    format!("{} {} {}", day.day(), months[day.month0() as usize], day.year())
}

/// The last Sunday of `month` in `year`, at 01:00 UTC: when the UK's clocks change.
fn last_sunday_at_one(year: i32, month: u32) -> Option<DateTime<Utc>> {
    let first_of_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    let last = first_of_next.pred_opt()?;
    let sunday = last.checked_sub_days(Days::new(u64::from(last.weekday().num_days_from_sunday())))?;
    Some(sunday.and_time(NaiveTime::from_hms_opt(1, 0, 0)?).and_utc())
}

/// Whether British Summer Time is in force at `at`.
pub fn is_summer_time(at: DateTime<Utc>) -> bool {
    match (last_sunday_at_one(at.year(), 3), last_sunday_at_one(at.year(), 10)) {
        (Some(starts), Some(ends)) => starts <= at && at < ends,
        _ => false,
    }
}

/// The UK's offset from UTC at `at`: an hour in summer, none in winter.
pub fn london_offset(at: DateTime<Utc>) -> FixedOffset {
    let seconds = if is_summer_time(at) { 3_600 } else { 0 };
    FixedOffset::east_opt(seconds).unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC is an offset"))
}

/// The time in the UK (Europe/London) at `at`.
pub fn london(at: DateTime<Utc>) -> NaiveDateTime {
    at.with_timezone(&london_offset(at)).naive_local()
}

#[cfg(test)]
mod tests {
    use chrono::{Timelike, Weekday};

    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).expect("a time").with_timezone(&Utc)
    }

    #[test]
    fn summer_time_starts_and_ends_at_one_in_the_morning_utc_on_the_last_sundays_of_march_and_october() {
        // 2026: the clocks go forward on 29 March and back on 25 October.
        assert!(!is_summer_time(utc("2026-03-29T00:59:59Z")));
        assert!(is_summer_time(utc("2026-03-29T01:00:00Z")));
        assert!(is_summer_time(utc("2026-10-25T00:59:59Z")));
        assert!(!is_summer_time(utc("2026-10-25T01:00:00Z")));
        // 2027: 28 March and 31 October (the last day of the month is itself a Sunday).
        assert!(!is_summer_time(utc("2027-03-28T00:30:00Z")));
        assert!(is_summer_time(utc("2027-03-28T01:30:00Z")));
        assert!(is_summer_time(utc("2027-10-31T00:30:00Z")));
        assert!(!is_summer_time(utc("2027-10-31T01:00:00Z")));
        assert!(!is_summer_time(utc("2026-12-02T12:00:00Z")));
        assert!(is_summer_time(utc("2026-07-01T12:00:00Z")));
        assert_eq!(london_offset(utc("2026-07-01T12:00:00Z")).local_minus_utc(), 3_600);
        assert_eq!(london_offset(utc("2026-12-02T12:00:00Z")).local_minus_utc(), 0);
    }

    #[test]
    fn uk_time_is_utc_in_winter_and_an_hour_ahead_in_summer() {
        let winter = london(utc("2026-12-07T08:30:00Z"));
        assert_eq!((winter.hour(), winter.minute()), (8, 30));
        let summer = london(utc("2026-06-01T08:30:00Z"));
        assert_eq!((summer.hour(), summer.minute()), (9, 30));
        let new_day = london(utc("2026-06-07T23:30:00Z"));
        assert_eq!((new_day.weekday(), new_day.hour()), (Weekday::Mon, 0));
    }

    #[test]
    fn dates_are_written_out_in_english_and_welsh() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 9).expect("a day");
        assert_eq!(written_date(day, false), "9 December 2026");
        assert_eq!(written_date(day, true), "9 Rhagfyr 2026");
    }
}

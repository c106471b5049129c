//! Cron schedules in the format of Spin's cron trigger plugin: six fields with seconds
//! (`sec min hour day-of-month month day-of-week`) or seven with a year, in UTC.

use std::str::FromStr;

use anyhow::{Result, bail};
use chrono::{DateTime, Utc};

/// A parsed cron expression.
#[derive(Debug, Clone)]
pub struct Schedule {
    inner: cron::Schedule,
}

impl Schedule {
    /// Parses an expression such as `0 0 2 * * *` (every day at 02:00:00 UTC).
    pub fn parse(expression: &str) -> Result<Schedule> {
        let fields = expression.split_whitespace().count();
        if !(6..=7).contains(&fields) {
            bail!(
                "`{expression}` has {fields} fields; Spin's cron trigger expects 6 (with seconds) or 7 (with year), e.g. `0 0 2 * * *`"
            );
        }
        let inner = cron::Schedule::from_str(expression)
            .map_err(|e| anyhow::anyhow!("`{expression}` is not a valid cron expression: {e}"))?;
        Ok(Schedule { inner })
    }

    /// The first firing strictly after `after`, if the schedule fires again at all.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.inner.after(&after).next()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn nightly_schedule_fires_at_two() {
        let s = Schedule::parse("0 0 2 * * *").unwrap();
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 17, 0, 0).unwrap();
        assert_eq!(
            s.next_after(now).unwrap(),
            Utc.with_ymd_and_hms(2026, 11, 28, 2, 0, 0).unwrap()
        );
    }

    #[test]
    fn every_second_and_step_syntax() {
        let s = Schedule::parse("*/5 * * * * *").unwrap();
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 1).unwrap();
        assert_eq!(
            s.next_after(now).unwrap(),
            Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 5).unwrap()
        );
    }

    #[test]
    fn five_field_unix_cron_is_refused_with_a_hint() {
        let err = Schedule::parse("0 2 * * *").unwrap_err().to_string();
        assert!(err.contains("6 (with seconds)"), "{err}");
        assert!(Schedule::parse("0 0 25 * * *").is_err());
    }
}

//! Wall-clock stamps for the message panes: `HH:MM:SS` (btdownloadcurses' `[HH:MM:SS] msg`) and
//! `MM/DD/YY HH:MM:SS` (btlaunchmanycurses' `%x %X - msg` in the C locale), in local time.

use std::time::SystemTime;

/// A broken-down local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LocalTime {
    /// Full year, e.g. 2026.
    pub year: i32,
    /// Month, 1..=12.
    pub month: u32,
    /// Day of the month, 1..=31.
    pub day: u32,
    /// Hour, 0..=23.
    pub hour: u32,
    /// Minute, 0..=59.
    pub minute: u32,
    /// Second, 0..=60.
    pub second: u32,
}

impl LocalTime {
    /// The local time of `at` (the time zone of the process); midnight 1970 if the system
    /// cannot convert it.
    pub fn of(at: SystemTime) -> LocalTime {
        let secs = match at.duration_since(SystemTime::UNIX_EPOCH) {
            Ok(d) => d.as_secs() as libc::time_t,
            Err(e) => -(e.duration().as_secs() as libc::time_t),
        };
        // SAFETY: a zeroed `tm` is a valid value for localtime_r to fill; both pointers point
        // to live locals for the duration of the call.
        let tm = unsafe {
            let mut tm: libc::tm = std::mem::zeroed();
            if libc::localtime_r(&secs, &mut tm).is_null() {
                return LocalTime { year: 1970, month: 1, day: 1, ..LocalTime::default() };
            }
            tm
        };
        LocalTime {
            year: tm.tm_year + 1900,
            month: (tm.tm_mon + 1) as u32,
            day: tm.tm_mday as u32,
            hour: tm.tm_hour as u32,
            minute: tm.tm_min as u32,
            second: tm.tm_sec as u32,
        }
    }

    /// `HH:MM:SS`.
    pub fn hms(&self) -> String {
        format!("{:02}:{:02}:{:02}", self.hour, self.minute, self.second)
    }

    /// `MM/DD/YY HH:MM:SS`, as C's `%x %X`.
    pub fn date_time(&self) -> String {
        format!("{:02}/{:02}/{:02} {}", self.month, self.day, self.year.rem_euclid(100), self.hms())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats() {
        let t = LocalTime { year: 2026, month: 3, day: 7, hour: 9, minute: 5, second: 3 };
        assert_eq!(t.hms(), "09:05:03");
        assert_eq!(t.date_time(), "03/07/26 09:05:03");
    }

    #[test]
    fn conversion_moves_with_the_clock() {
        let a = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let (x, y) = (LocalTime::of(a), LocalTime::of(a + Duration::from_secs(61)));
        assert!((1..=12).contains(&x.month) && (1..=31).contains(&x.day) && x.year >= 2026);
        // 61 s later: the second moves by one (the minute by one, or more across an hour).
        assert_eq!((x.second + 1) % 60, y.second);
        assert_ne!((x.hour, x.minute), (y.hour, y.minute));
    }
}

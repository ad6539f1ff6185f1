//! RFC 3339 times as seconds since the epoch (the inverse of `utc`), for the `bake` of a
//! wave: `deployed` in versions.yaml against now (or `--now`).

/// Seconds since 1970-01-01T00:00:00Z of an RFC 3339 time (`Z` or a `±HH:MM` offset;
/// fractional seconds ignored); `None` when it is not one.
pub fn epoch_seconds(text: &str) -> Option<i64> {
    if !super::is_rfc3339(text) {
        return None;
    }
    let num = |range: std::ops::Range<usize>| text.get(range)?.parse::<i64>().ok();
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let zone = &text[19..];
    let zone = zone.trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    let offset = match zone {
        "Z" | "z" => 0,
        _ => {
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let h = zone.get(1..3)?.parse::<i64>().ok()?;
            let m = zone.get(4..6)?.parse::<i64>().ok()?;
            sign * (h * 3600 + m * 60)
        }
    };
    // Days from civil (Howard Hinnant's algorithm), the inverse of `utc`.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_with_utc() {
        for secs in [0u64, 951_782_400, 1_762_164_944, 4_102_444_800] {
            assert_eq!(epoch_seconds(&super::super::utc(secs)), Some(secs as i64));
        }
        assert_eq!(
            epoch_seconds("2025-11-03T12:15:44+02:00"),
            epoch_seconds("2025-11-03T10:15:44Z")
        );
        assert_eq!(
            epoch_seconds("2025-11-03T10:15:44.250Z"),
            epoch_seconds("2025-11-03T10:15:44Z")
        );
        assert_eq!(epoch_seconds("yesterday"), None);
    }
}

//! Durations are range-checked where the user wrote them: a canary step interval is at
//! least one second (the schema refuses `0s`) and at most 24 hours. A step that waits longer
//! than a day is a typo, and a huge value would overflow the seconds the pipelines compute
//! (`1152921504606846976h` wrapped to `interval=0`).

use super::RuleCtx;
use crate::diagnostic::{Code, Diagnostic};
use crate::spec::SpecService;

/// The longest canary step interval, in seconds (24h). The schema descriptions say so.
pub const MAX_CANARY_INTERVAL_SECONDS: u64 = 24 * 3600;

pub fn check(ctx: &RuleCtx) -> Vec<Diagnostic> {
    ctx.every_service().filter_map(check_interval).collect()
}

/// Seconds of a `<digits>(s|m|h)` duration; `None` when it is not that shape (the schema
/// reports it) or when it does not fit in a `u64` (`Some(u64::MAX)` then: out of range).
pub fn duration_seconds(text: &str) -> Option<u64> {
    let unit = match text.chars().last()? {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        _ => return None,
    };
    let digits = &text[..text.len() - 1];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(
        digits
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(unit))
            .unwrap_or(u64::MAX),
    )
}

fn check_interval(service: &SpecService) -> Option<Diagnostic> {
    let interval = service
        .layer
        .rollout
        .get()?
        .canary
        .get()?
        .interval
        .spanned()?;
    let seconds = duration_seconds(&interval.value)?;
    // Zero is the schema's (its pattern has no leading zero); only the upper bound is here.
    (seconds > MAX_CANARY_INTERVAL_SECONDS).then(|| {
        Diagnostic::error(
            Code::CanaryInterval,
            interval.pos,
            format!(
                "the canary step interval `{}` of `{}` is longer than 24h",
                interval.value, service.name
            ),
        )
        .with_label("more than a day per step")
        .with_help("write an interval between 1s and 24h, e.g. `interval: 30m`")
    })
}

#[cfg(test)]
mod tests {
    use super::duration_seconds;

    #[test]
    fn durations_parse_without_overflow() {
        assert_eq!(duration_seconds("10m"), Some(600));
        assert_eq!(duration_seconds("24h"), Some(86_400));
        assert_eq!(duration_seconds("86400s"), Some(86_400));
        assert_eq!(duration_seconds("1152921504606846976h"), Some(u64::MAX));
        assert_eq!(duration_seconds("99999999999999999999999s"), Some(u64::MAX));
        assert_eq!(duration_seconds("10"), None);
        assert_eq!(duration_seconds("m"), None);
        assert_eq!(duration_seconds("1.5h"), None);
    }
}

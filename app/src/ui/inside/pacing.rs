//! How often the live layer view asks the worker again while training runs.

/// When the live layer view may ask again: after [`REFRESH_MS`], after twenty round trips of
/// the last request, and not while one is unanswered (for at most a minute).
#[derive(Default)]
pub(super) struct Pacing {
    sent_at: std::cell::Cell<Option<f64>>,
    last_answer: std::cell::Cell<f64>,
    round_trip_ms: std::cell::Cell<f64>,
}

impl Pacing {
    pub(super) fn due(&self, now: f64) -> bool {
        if let Some(sent) = self.sent_at.get() {
            return now - sent > 60_000.0;
        }
        now - self.last_answer.get() >= f64::from(REFRESH_MS).max(20.0 * self.round_trip_ms.get())
    }

    pub(super) fn sent(&self, now: f64) {
        self.sent_at.set(Some(now));
    }

    pub(super) fn answered(&self, now: f64) {
        if let Some(sent) = self.sent_at.take() {
            self.round_trip_ms.set(now - sent);
        }
        self.last_answer.set(now);
    }
}

pub(super) fn now_ms() -> f64 {
    js_sys::Date::now()
}

pub(super) const REFRESH_MS: i32 = 8_000;

//! Wall time for the command line's progress lines (native only: the page's clock is
//! `performance.now()`).

use std::time::{Instant, SystemTime, UNIX_EPOCH};

pub struct Clock(Instant);

impl Clock {
    #[allow(clippy::disallowed_methods)] // native: Instant works here, unlike in wasm32
    pub fn start() -> Clock {
        Clock(Instant::now())
    }

    pub fn seconds(&self) -> f64 {
        self.0.elapsed().as_secs_f64()
    }
}

/// Milliseconds since 1970, as the page's run records keep times.
pub fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |elapsed| elapsed.as_secs_f64() * 1000.0)
}

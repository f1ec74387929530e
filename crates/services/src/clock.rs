//! "Now" for the use cases whose rules depend on the date: a draw's witnessing (a beacon's
//! value is entered from its date on, contributions close on it, the draw is dated) and its
//! publication (the embargo). The system clock by default; tests use an adjustable clock to
//! let a day pass (a beacon-witnessed draw cannot be executed before the beacon's date).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};

/// The system clock, or (tests) the system clock moved forward by an adjustable offset: time
/// still passes, so the order of time stamps within a test is kept.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// Milliseconds added to the system clock; `None` for the plain system clock.
    offset_ms: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The system clock (what `Services::new` uses).
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock that starts at the system clock and can be moved forward with [`Clock::advance`].
    pub fn adjustable() -> Self {
        Self {
            offset_ms: Some(Arc::new(AtomicI64::new(0))),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        let now = Utc::now();
        match &self.offset_ms {
            Some(o) => now + Duration::milliseconds(o.load(Ordering::SeqCst)),
            None => now,
        }
    }

    /// Moves an adjustable clock forward (every clone of it). The system clock cannot be moved.
    ///
    /// # Panics
    /// On the system clock, or to move backwards: time stamps must never go back.
    pub fn advance(&self, by: Duration) {
        assert!(by >= Duration::zero(), "a clock only moves forward");
        self.offset_ms
            .as_ref()
            .expect("only an adjustable clock can be moved")
            .fetch_add(by.num_milliseconds(), Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adjustable_clock_moves_for_every_clone() {
        let c = Clock::adjustable();
        let d = c.clone();
        let before = d.now();
        c.advance(Duration::days(1));
        let after = d.now();
        assert!(after - before >= Duration::days(1), "{before} → {after}");
        assert!(after - before < Duration::days(1) + Duration::minutes(1));
    }

    #[test]
    #[should_panic(expected = "only an adjustable clock")]
    fn the_system_clock_cannot_be_moved() {
        Clock::system().advance(Duration::days(1));
    }
}

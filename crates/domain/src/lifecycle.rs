//! Statuses that move along a fixed graph (visits, draws, claims, rectifications, referrals,
//! case transfers): each status names the statuses it may move to, so services refuse an
//! illegal move with one message, and the graph is written once, next to the status, not in
//! every service that changes it. Plans move by named actions instead (`plan::transition`).

use crate::Invalid;

/// A status with its allowed moves.
pub trait Lifecycle: Copy + Eq + std::fmt::Debug + 'static {
    /// What has this status, for messages: "检查任务" / "visit".
    const WHAT_ZH: &'static str;
    const WHAT_EN: &'static str;
    /// Every status, the initial one first.
    const STATUSES: &'static [Self];

    /// The statuses this one may move to (empty for a final status).
    fn next(self) -> &'static [Self];
    fn code(self) -> &'static str;
    fn label(self) -> &'static str;

    fn can_move_to(self, to: Self) -> bool {
        self.next().contains(&to)
    }

    fn is_final(self) -> bool {
        self.next().is_empty()
    }

    /// `to` if the move is allowed, otherwise why not (the message names both statuses).
    fn move_to(self, to: Self) -> Result<Self, Invalid> {
        if self.can_move_to(to) {
            Ok(to)
        } else {
            Err(Invalid::new(
                "transition",
                format!(
                    "{}当前为“{}”，不能改为“{}”",
                    Self::WHAT_ZH,
                    self.label(),
                    to.label()
                ),
                format!(
                    "a {} cannot move from {} to {}",
                    Self::WHAT_EN,
                    self.code(),
                    to.code()
                ),
            ))
        }
    }
}

/// Implements [`Lifecycle`] for a `labelled_enum!` type from its table of moves.
macro_rules! lifecycle {
    ($name:ident, $zh:literal, $en:literal, { $($from:ident => [$($to:ident),*]),+ $(,)? }) => {
        impl $crate::lifecycle::Lifecycle for $name {
            const WHAT_ZH: &'static str = $zh;
            const WHAT_EN: &'static str = $en;
            const STATUSES: &'static [Self] = $name::ALL;

            fn next(self) -> &'static [Self] {
                match self { $($name::$from => &[$($name::$to),*]),+ }
            }

            fn code(self) -> &'static str {
                self.as_str()
            }

            fn label(self) -> &'static str {
                self.label_zh()
            }
        }
    };
}
pub(crate) use lifecycle;

/// Checks shared by every lifecycle's unit test: codes and labels parse back, no status moves
/// to itself, `move_to` agrees with `can_move_to`, and every status is reachable from the first
/// (a status nobody can reach is a mistake in the table).
#[cfg(test)]
pub(crate) fn check_graph<T: Lifecycle>(parse: impl Fn(&str) -> Result<T, Invalid>) {
    for s in T::STATUSES {
        assert_eq!(parse(s.code()).unwrap(), *s);
        assert_eq!(parse(s.label()).unwrap(), *s);
        assert!(!s.can_move_to(*s), "{s:?} moves to itself");
        for t in T::STATUSES {
            assert_eq!(s.can_move_to(*t), s.move_to(*t).is_ok());
        }
    }
    assert!(parse("no_such_status").is_err());
    let mut seen = vec![T::STATUSES[0]];
    let mut i = 0;
    while i < seen.len() {
        for n in seen[i].next() {
            if !seen.contains(n) {
                seen.push(*n);
            }
        }
        i += 1;
    }
    assert_eq!(
        seen.len(),
        T::STATUSES.len(),
        "unreachable statuses of {}",
        T::WHAT_EN
    );
}

//! Where a draw stands: its commitment is published first; the draw then either yields its
//! visits or fails (a rule could not be met), and both outcomes are final — a re-draw is a new
//! draw that supersedes this one (`superseded_by`), never a change of this one's status.

use crate::directory::labelled_enum;
use crate::lifecycle::lifecycle;

labelled_enum!(
    /// A draw's status.
    DrawStatus {
        Committed = "committed" / "承诺已公布，待抽取",
        Drawn = "drawn" / "已抽取",
        Failed = "failed" / "抽取失败",
    }
);

lifecycle!(DrawStatus, "抽取", "draw", {
    Committed => [Drawn, Failed],
    Drawn => [],
    Failed => [],
});

impl DrawStatus {
    /// The draw has been executed (its record is public), whatever the outcome.
    pub fn is_executed(self) -> bool {
        self != DrawStatus::Committed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::{Lifecycle, check_graph};

    #[test]
    fn graph() {
        check_graph(DrawStatus::parse);
        assert!(DrawStatus::Committed.can_move_to(DrawStatus::Failed));
        assert!(!DrawStatus::Failed.can_move_to(DrawStatus::Drawn));
        assert!(DrawStatus::Drawn.is_final());
        assert!(DrawStatus::Drawn.is_executed() && !DrawStatus::Committed.is_executed());
    }
}

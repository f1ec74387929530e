//! Import jobs (导入任务, issue 12 item 5): a large Excel import is checked whole first, then
//! written in short transactions so that nobody else waits long for the database; the job
//! that owns those transactions ends either completed or undone as a whole, also when the
//! process that ran it was killed (`docs/exchange.md`, "Import jobs").

use crate::Invalid;
use crate::directory::labelled_enum;

labelled_enum!(
    /// Where an import job stands.
    ImportJobStatus {
        Validating = "validating" / "校验中",
        Writing = "writing" / "写入中",
        Undoing = "undoing" / "撤销中",
        Completed = "completed" / "已完成",
        RolledBack = "rolled_back" / "已撤销",
        Failed = "failed" / "未导入",
    }
);

impl ImportJobStatus {
    /// A job in one of these has nothing more to do.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Completed | Self::RolledBack | Self::Failed)
    }

    /// A job in one of these may have rows in the database that a crash would leave half
    /// written: on restart they are undone.
    pub fn has_partial_writes(self) -> bool {
        matches!(self, Self::Writing | Self::Undoing)
    }

    /// The statuses a job may move to from this one. Validating ends in Failed when the file
    /// is refused (nothing was written), in Completed when nothing needs writing; Writing ends
    /// in Completed or turns to Undoing, which ends in RolledBack. Nothing leaves a final
    /// status, and Undoing never turns back to Writing: an import is not resumed, because its
    /// file was checked against the directory as it stood when the job began.
    pub fn next(self) -> &'static [ImportJobStatus] {
        use ImportJobStatus::*;
        match self {
            Validating => &[Writing, Completed, Failed],
            Writing => &[Completed, Undoing],
            Undoing => &[RolledBack],
            Completed | RolledBack | Failed => &[],
        }
    }
}

/// Checks a move of a job's status.
pub fn transition(from: ImportJobStatus, to: ImportJobStatus) -> Result<ImportJobStatus, Invalid> {
    if from.next().contains(&to) {
        Ok(to)
    } else {
        Err(Invalid::new(
            "transition",
            format!(
                "导入任务状态不能从“{}”变为“{}”",
                from.label_zh(),
                to.label_zh()
            ),
            format!(
                "an import job cannot move from {} to {}",
                from.as_str(),
                to.as_str()
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::ImportJobStatus::*;
    use super::*;

    #[test]
    fn transitions() {
        assert_eq!(transition(Validating, Writing).unwrap(), Writing);
        assert_eq!(transition(Validating, Failed).unwrap(), Failed);
        assert_eq!(transition(Writing, Completed).unwrap(), Completed);
        assert_eq!(transition(Writing, Undoing).unwrap(), Undoing);
        assert_eq!(transition(Undoing, RolledBack).unwrap(), RolledBack);
        assert_eq!(transition(Undoing, Writing).unwrap_err().code, "transition");
        assert!(transition(Validating, RolledBack).is_err());
        assert!(transition(Writing, Failed).is_err());
        for s in ImportJobStatus::ALL {
            assert_eq!(s.is_final(), s.next().is_empty(), "{s:?}");
            assert_eq!(ImportJobStatus::parse(s.as_str()).unwrap(), *s);
        }
        assert!(Writing.has_partial_writes() && Undoing.has_partial_writes());
        assert!(!Validating.has_partial_writes() && !Completed.has_partial_writes());
    }
}

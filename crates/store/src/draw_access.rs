//! Access codes for the portal's 抽查结果自查 (issue 11 item 3): one per draw and candidate,
//! stored only as a hash. With its credit code and its code an entity fetches the opening of
//! its own class commitment. Design: `docs/double-random.md` (Openings).

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, Statement, Value};
use uuid::Uuid;

use crate::{Result, backend_of};

fn stmt(c: &impl ConnectionTrait, sql: impl Into<String>, vals: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(backend_of(c), sql, vals)
}

/// One code to store: the candidate's credit code and the code's hash.
#[derive(Debug, Clone)]
pub struct NewCode {
    pub usci: String,
    pub code_hash: String,
}

/// Rows per INSERT: 5 values each, well under SQLite's limit on bound values.
const CHUNK: usize = 1000;

/// Stores codes for a draw, replacing any earlier code of the same candidate (a new code
/// makes the old one useless).
pub async fn put_codes(
    c: &impl ConnectionTrait,
    draw_id: Uuid,
    codes: &[NewCode],
    by: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    for chunk in codes.chunks(CHUNK) {
        let mut sql = String::from(
            "INSERT INTO draw_access_codes (draw_id, usci, code_hash, created_by, created_at) VALUES ",
        );
        let mut vals: Vec<Value> = Vec::with_capacity(chunk.len() * 5);
        for (i, code) in chunk.iter().enumerate() {
            let b = i * 5;
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "(${},${},${},${},${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5
            ));
            vals.extend([
                draw_id.into(),
                code.usci.clone().into(),
                code.code_hash.clone().into(),
                by.into(),
                at.into(),
            ]);
        }
        sql.push_str(
            " ON CONFLICT (draw_id, usci) DO UPDATE SET code_hash = excluded.code_hash, created_by = excluded.created_by, created_at = excluded.created_at",
        );
        c.execute_raw(stmt(c, sql, vals)).await?;
    }
    Ok(())
}

/// The stored hash of a candidate's code, if staff generated one.
pub async fn code_hash(
    c: &impl ConnectionTrait,
    draw_id: Uuid,
    usci: &str,
) -> Result<Option<String>> {
    let row = c
        .query_one_raw(stmt(
            c,
            "SELECT code_hash FROM draw_access_codes WHERE draw_id = $1 AND usci = $2",
            vec![draw_id.into(), usci.into()],
        ))
        .await?;
    Ok(match row {
        Some(r) => Some(r.try_get("", "code_hash")?),
        None => None,
    })
}

/// How many candidates of a draw have a code, and when the latest was made.
pub async fn count(
    c: &impl ConnectionTrait,
    draw_id: Uuid,
) -> Result<(u64, Option<DateTime<Utc>>)> {
    let row = c
        .query_one_raw(stmt(
            c,
            "SELECT COUNT(*) AS n, MAX(created_at) AS latest FROM draw_access_codes WHERE draw_id = $1",
            vec![draw_id.into()],
        ))
        .await?;
    Ok(match row {
        Some(r) => {
            let n: i64 = r.try_get("", "n")?;
            let latest: Option<DateTime<Utc>> = r.try_get("", "latest")?;
            (u64::try_from(n).unwrap_or(0), latest)
        }
        None => (0, None),
    })
}

//! The working-day calendar (工作日历): public holidays and make-up workdays, one row per listed
//! date, seeded with the State Council's arrangements built into `lianjian-domain`
//! (`crates/domain/data/holidays/`). Seeding skips dates already present, so it is idempotent and
//! never overwrites a day an administrator has edited.

use lianjian_domain::calendar::builtin_days;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000011_calendar"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("calendar_days")
                .if_not_exists()
                .col(date("date").primary_key())
                // holiday | workday
                .col(string_len("kind", 16))
                .col(string_len("name", 64))
                // User name of whoever last set the day; `builtin` for the seeded notices.
                .col(string_len("updated_by", 64))
                .col(timestamp_with_time_zone("updated_at"))
                .take(),
        )
        .await?;
        let conn = m.get_connection();
        let b = conn.get_database_backend();
        let now = chrono::Utc::now();
        for d in builtin_days() {
            conn.execute_raw(Statement::from_sql_and_values(
                b,
                r#"INSERT INTO calendar_days ("date", kind, name, updated_by, updated_at) VALUES ($1, $2, $3, 'builtin', $4) ON CONFLICT ("date") DO NOTHING"#,
                [d.date.into(), d.kind.as_str().into(), d.name.into(), now.into()],
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("calendar_days").if_exists().to_owned())
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar;
    use crate::testing::TestDb;

    /// Seeding again (a re-run after a partial failure) keeps an administrator's edit and adds
    /// no row.
    async fn seed_twice(db: TestDb) {
        let c = db.store.conn();
        let date = chrono::NaiveDate::from_ymd_opt(2026, 10, 8).unwrap();
        let mut d = calendar::all(c).await.unwrap().remove(0);
        let before = calendar::all(c).await.unwrap().len();
        d.day.date = date;
        d.day.name = "本地调整".into();
        d.updated_by = "admin".into();
        calendar::upsert(c, &d).await.unwrap();
        let mut first = calendar::all(c).await.unwrap().remove(0);
        first.day.name = "改过的名称".into();
        calendar::upsert(c, &first).await.unwrap();
        Migration.up(&SchemaManager::new(c)).await.unwrap();
        let after = calendar::all(c).await.unwrap();
        assert_eq!(after.len(), before + 1);
        assert_eq!(after[0].day.name, "改过的名称");
        assert_eq!(
            calendar::get(c, date).await.unwrap().unwrap().updated_by,
            "admin"
        );
    }

    #[tokio::test]
    async fn seeding_is_idempotent_on_sqlite() {
        seed_twice(TestDb::sqlite().await.unwrap()).await;
    }

    #[tokio::test]
    async fn seeding_is_idempotent_on_postgres() {
        if let Some(db) = TestDb::postgres().await.unwrap() {
            seed_twice(db).await;
        }
    }
}

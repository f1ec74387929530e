//! The working-day calendar (工作日历): listed public holidays and make-up workdays.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use lianjian_domain::calendar::{CalendarDay, DayKind};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, QueryOrder};
use serde::Serialize;

use crate::{Result, StoreError};

pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "calendar_days")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub date: Date,
        pub kind: String,
        pub name: String,
        pub updated_by: String,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{Column, Entity};

/// A listed day as stored: the day and who last set it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredDay {
    #[serde(flatten)]
    pub day: CalendarDay,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<entity::Model> for StoredDay {
    type Error = StoreError;
    fn try_from(m: entity::Model) -> Result<Self> {
        let kind = DayKind::parse(&m.kind)
            .map_err(|e| StoreError::Corrupt(format!("calendar_days {}: {}", m.date, e.en)))?;
        Ok(StoredDay {
            day: CalendarDay {
                date: m.date,
                kind,
                name: m.name,
            },
            updated_by: m.updated_by,
            updated_at: m.updated_at,
        })
    }
}

fn convert(v: Vec<entity::Model>) -> Result<Vec<StoredDay>> {
    v.into_iter().map(StoredDay::try_from).collect()
}

/// Every listed day in date order: the whole calendar is a few dozen rows a year.
pub async fn all(c: &impl ConnectionTrait) -> Result<Vec<StoredDay>> {
    convert(Entity::find().order_by_asc(Column::Date).all(c).await?)
}

/// The listed days of one year in date order.
pub async fn year(c: &impl ConnectionTrait, year: i32) -> Result<Vec<StoredDay>> {
    let (Some(first), Some(last)) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return Ok(Vec::new());
    };
    convert(
        Entity::find()
            .filter(Column::Date.between(first, last))
            .order_by_asc(Column::Date)
            .all(c)
            .await?,
    )
}

pub async fn get(c: &impl ConnectionTrait, date: NaiveDate) -> Result<Option<StoredDay>> {
    Entity::find_by_id(date)
        .one(c)
        .await?
        .map(StoredDay::try_from)
        .transpose()
}

/// Inserts the day or replaces the listed day on the same date.
pub async fn upsert(c: &impl ConnectionTrait, d: &StoredDay) -> Result<()> {
    Entity::insert(entity::ActiveModel {
        date: Set(d.day.date),
        kind: Set(d.day.kind.as_str().to_string()),
        name: Set(d.day.name.clone()),
        updated_by: Set(d.updated_by.clone()),
        updated_at: Set(d.updated_at),
    })
    .on_conflict(
        OnConflict::column(Column::Date)
            .update_columns([
                Column::Kind,
                Column::Name,
                Column::UpdatedBy,
                Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec(c)
    .await?;
    Ok(())
}

/// Removes the listed day; `NotFound` if the date was not listed.
pub async fn delete(c: &impl ConnectionTrait, date: NaiveDate) -> Result<()> {
    let r = Entity::delete_by_id(date).exec(c).await?;
    if r.rows_affected == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Years that have at least one listed day, ascending.
pub async fn years(c: &impl ConnectionTrait) -> Result<Vec<i32>> {
    let mut ys: Vec<i32> = all(c).await?.iter().map(|d| d.day.date.year()).collect();
    ys.dedup();
    Ok(ys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestDb;

    async fn exercise(db: TestDb) {
        let c = db.store.conn();
        // Seeded by the migration: 2025 and 2026 as the notices give them.
        let y26 = year(c, 2026).await.unwrap();
        assert_eq!(y26.len(), 39);
        assert!(y26.iter().all(|d| d.updated_by == "builtin"));
        assert_eq!(years(c).await.unwrap(), vec![2025, 2026]);

        let date = NaiveDate::from_ymd_opt(2027, 2, 6).unwrap();
        let mut d = StoredDay {
            day: CalendarDay {
                date,
                kind: DayKind::Workday,
                name: "春节".into(),
            },
            updated_by: "admin".into(),
            updated_at: Utc::now(),
        };
        upsert(c, &d).await.unwrap();
        d.day.kind = DayKind::Holiday;
        upsert(c, &d).await.unwrap();
        let got = get(c, date).await.unwrap().unwrap();
        assert_eq!(got.day.kind, DayKind::Holiday);
        assert_eq!(year(c, 2027).await.unwrap().len(), 1);
        delete(c, date).await.unwrap();
        assert!(matches!(delete(c, date).await, Err(StoreError::NotFound)));
        assert!(get(c, date).await.unwrap().is_none());

        assert_eq!(all(c).await.unwrap().len(), 33 + 39);
    }

    #[tokio::test]
    async fn calendar_days_on_sqlite() {
        exercise(TestDb::sqlite().await.unwrap()).await;
    }

    #[tokio::test]
    async fn calendar_days_on_postgres() {
        if let Some(db) = TestDb::postgres().await.unwrap() {
            exercise(db).await;
        }
    }
}

//! Migration `m20261207_000036_risk_model` rolls back and forward on both backends: its down()
//! drops the model and score tables, its up() makes them again, and a score row is read back
//! with its probability intact.

use chrono::Utc;
use lianjian_store::migration::Migrator;
use lianjian_store::on_both_backends;
use lianjian_store::testing::TestDb;
use sea_orm::{ConnectionTrait, Statement};
use sea_orm_migration::MigratorTrait;
use uuid::Uuid;

on_both_backends!(the_risk_tables_roll_back_and_forward);

async fn count(c: &sea_orm::DatabaseConnection, table: &str) -> Result<i64, sea_orm::DbErr> {
    let r = c
        .query_one_raw(Statement::from_string(
            c.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await?
        .unwrap();
    r.try_get("", "n")
}

async fn the_risk_tables_roll_back_and_forward(db: &TestDb) {
    let c = db.store.conn();
    let x = lianjian_store::risk::Score {
        entity_id: Uuid::now_v7(),
        region_code: "411121001".into(),
        model_id: Uuid::now_v7(),
        probability: 0.123_456_789,
        level: 3,
        scored_on: Utc::now().date_naive(),
    };
    lianjian_store::risk::upsert_scores(c, std::slice::from_ref(&x))
        .await
        .unwrap();
    let again = lianjian_store::risk::Score {
        level: 2,
        probability: 0.4,
        ..x.clone()
    };
    lianjian_store::risk::upsert_scores(c, std::slice::from_ref(&again))
        .await
        .unwrap();
    assert_eq!(count(c, "risk_scores").await.unwrap(), 1);
    let got =
        lianjian_store::risk::score_of(c, &lianjian_domain::scope::Scope::system(), x.entity_id)
            .await
            .unwrap()
            .unwrap();
    assert_eq!(got, again);
    crate::down_to_before(c, "m20261207_000036_risk_model").await;
    assert!(count(c, "risk_scores").await.is_err());
    assert!(count(c, "risk_models").await.is_err());
    Migrator::up(c, None).await.unwrap();
    assert_eq!(count(c, "risk_scores").await.unwrap(), 0);
    assert_eq!(count(c, "risk_models").await.unwrap(), 0);
}

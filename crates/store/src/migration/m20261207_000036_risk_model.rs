//! Issue 16 item 4: the risk model (风险预测模型). Every fitted model is kept as a version of
//! its region (`risk_models`: features, standardisation, coefficients, training window, fit
//! time, evaluation, level thresholds); each entity's latest score is one row
//! (`risk_scores`: probability and level only — at 15 million entities the per-feature
//! contributions are computed on demand from the entity's history and the model, not stored).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::idx;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000036_risk_model"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("risk_models")
                .if_not_exists()
                .col(pk_uuid("id"))
                // The region the model was fitted on and scores (its subtree).
                .col(string_len("region_code", 12))
                // 1, 2, … per region.
                .col(integer("version"))
                // manual | demo
                .col(string_len("origin", 16))
                // Features, means, scales, coefficients, intercept (domain::risk::Model).
                .col(text("definition"))
                // Level thresholds and minimum frequencies (domain::risk::Levels).
                .col(text("levels"))
                .col(date("train_from"))
                .col(date("train_to"))
                // The held-out period is (train_to, eval_to].
                .col(date("eval_to"))
                .col(big_integer("samples"))
                .col(big_integer("positives"))
                // domain::risk::Evaluation; null when the held-out period had no inspection.
                .col(text_null("evaluation"))
                .col(string_len("fitted_by", 64))
                .col(timestamp_with_time_zone("fitted_at"))
                .col(date_null("scored_on"))
                .col(big_integer("scored"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_risk_models_region",
            "risk_models",
            &["region_code", "version"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("risk_scores")
                .if_not_exists()
                .col(uuid("entity_id").primary_key())
                .col(string_len("region_code", 12))
                .col(uuid("model_id"))
                .col(double("probability"))
                // 1 (highest risk) … 5.
                .col(small_integer("level"))
                .col(date("scored_on"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_risk_scores_region",
            "risk_scores",
            &["region_code", "level"],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["risk_scores", "risk_models"] {
            m.drop_table(Table::drop().table(t).if_exists().take())
                .await?;
        }
        Ok(())
    }
}

//! 施設利用者登録: registration for one user ID is an application in the Online applications
//! core (procedure `shisetsu-riyosha-toroku`, form `registration_form.json`). The resident
//! applies with the form runner; staff decide in the case workflow; on 承認 the hook
//! [`on_decision`] creates or updates the user ID in the same transaction, with the screening
//! of the purposes against every facility's terms.

use crate::audit::Actor;
use crate::db::{Db, Tx};
use crate::procedures::application::store::ApplicationRow;
use crate::procedures::case::CaseState;
use crate::procedures::form::FormDefinition;

/// The procedure's slug.
pub const SLUG: &str = "shisetsu-riyosha-toroku";

/// The shipped form definition.
pub const FORM_JSON: &str = include_str!("registration_form.json");

pub fn form() -> anyhow::Result<FormDefinition> {
    crate::procedures::editor::file::read(FORM_JSON)
        .map(|r| r.definition)
        .map_err(|p| anyhow::anyhow!("registration form: {p:?}"))
}

/// The case workflow's decision hook: on 承認 of a 施設利用者登録, the applicant's user ID is
/// created (or updated) and screened. Other procedures and states: nothing.
pub async fn on_decision(
    tx: &mut Tx,
    municipality: &str,
    app: &ApplicationRow,
    to: CaseState,
    actor: &Actor,
) -> Result<(), sqlx::Error> {
    if app.procedure_slug != SLUG || to != CaseState::Approved {
        return Ok(());
    }
    let Some(resident) = app.applicant_user_id else {
        return Ok(());
    };
    let answers: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&app.answers).unwrap_or_default();
    let reg = super::service::registration_of(&answers, &app.applicant_name);
    super::service::register_tx(tx, municipality, actor, resident, Some(app.id), &reg).await?;
    Ok(())
}

/// Saves the procedure in a municipality's catalogue (online, handled by 情報システム課 in the
/// demo: plan 1-4's owner) and publishes the form when it has none yet.
pub async fn install(db: &Db, municipality: &str, department: Option<&str>) -> anyhow::Result<()> {
    use crate::procedures::model::{IdentityLevel, ProcedureDraft};
    let d = ProcedureDraft {
        slug: SLUG.into(),
        name_ja: "施設利用者登録（新規・更新）".into(),
        name_en: "Registration as a user of public facilities (new or renewal)".into(),
        reading_ja: "しせつりようしゃとうろく".into(),
        department: department.map(str::to_owned),
        summary_ja: "公民館・体育館・集会施設などを予約するための利用者登録です。ひとつの利用者番号で、承認されたすべての施設を予約できます。".into(),
        summary_en: "Register once to book community centres, gymnasiums and meeting halls with one user number.".into(),
        eligibility_ja: "個人または団体（団体は構成員の名簿が必要です）".into(),
        documents_ja: "団体の場合は構成員の名簿".into(),
        legal_basis: "各施設の設置管理条例・利用規約（社会教育法第23条ほか）".into(),
        fee_yen: None,
        processing_days: Some(7),
        identity_level: IdentityLevel::SignedIn,
        life_events: Vec::new(),
        online: true,
    };
    // 市川市's demo catalogue (procedures::demo) already has it; elsewhere it is saved here.
    if crate::procedures::store::find_by_slug(db, municipality, SLUG)
        .await?
        .is_none()
    {
        crate::procedures::save(db, &Actor::Cli, municipality, &d).await?;
    }
    let Some(p) = crate::procedures::store::find_by_slug(db, municipality, SLUG).await? else {
        anyhow::bail!("procedure {SLUG} was not saved");
    };
    if crate::procedures::form::store::versions(db, municipality, p.id)
        .await?
        .is_empty()
    {
        crate::procedures::editor::versions::import(
            db,
            &Actor::Cli,
            municipality,
            &p,
            &form()?,
            true,
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_shipped_form_is_publishable() {
        let def = super::form().expect("reads");
        let problems = crate::procedures::form::check_definition(&def);
        assert!(problems.is_empty(), "{problems:#?}");
    }
}

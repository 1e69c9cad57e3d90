//! SQL for the procedure catalogue. Reads take the municipality and never return another
//! municipality's rows; writes take a `Tx` so the caller audits in the same transaction.

use sea_query::{Alias, Cond, Expr, ExprTrait, Func, JoinType, LikeExpr, Order, Query};

use super::model::{LIKE_ESCAPE, LifeEvent, ProcedureDraft, join_life_events, like_contains};
use super::search::query_tokens;
use crate::db::schema::{Departments, Procedures};
use crate::db::{Db, Tx, now_ms};

/// A catalogue row with its department's names (LEFT JOIN: the department may be unassigned).
#[derive(sqlx::FromRow, Debug, Clone)]
pub struct ProcedureRow {
    pub id: i64,
    pub municipality_id: String,
    pub slug: String,
    pub name_ja: String,
    pub name_en: String,
    pub reading_ja: String,
    pub department_id: Option<i64>,
    pub department_code: Option<String>,
    pub department_name_ja: Option<String>,
    pub department_name_en: Option<String>,
    pub summary_ja: String,
    pub summary_en: String,
    pub eligibility_ja: String,
    pub documents_ja: String,
    pub legal_basis: String,
    pub fee_yen: Option<i64>,
    pub processing_days: Option<i64>,
    pub identity_level: String,
    pub life_events: String,
    pub online: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What a catalogue search asks for. `tokens` are already normalised (search::query_tokens).
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub tokens: Vec<String>,
    pub life_event: Option<LifeEvent>,
    /// Some(true): online only; Some(false): in person only; None: both.
    pub online: Option<bool>,
}

/// Longest query read (longer ones are cut) and most tokens searched for, so a pasted page of
/// text cannot become a query with hundreds of LIKEs.
pub const MAX_QUERY_CHARS: usize = 100;
pub const MAX_TOKENS: usize = 8;

impl Filter {
    /// A filter from what a resident or a program typed; the page and the API share it.
    pub fn new(query: &str, life_event: Option<LifeEvent>, online: Option<bool>) -> Filter {
        let query: String = query.chars().take(MAX_QUERY_CHARS).collect();
        Filter {
            tokens: query_tokens(&query, MAX_TOKENS),
            life_event,
            online,
        }
    }
}

fn select() -> sea_query::SelectStatement {
    use Procedures as P;
    let mut q = Query::select();
    q.columns(
        [
            P::Id,
            P::MunicipalityId,
            P::Slug,
            P::NameJa,
            P::NameEn,
            P::ReadingJa,
            P::DepartmentId,
            P::SummaryJa,
            P::SummaryEn,
            P::EligibilityJa,
            P::DocumentsJa,
            P::LegalBasis,
            P::FeeYen,
            P::ProcessingDays,
            P::IdentityLevel,
            P::LifeEvents,
            P::Online,
            P::CreatedAt,
            P::UpdatedAt,
        ]
        .map(|c| (P::Table, c)),
    )
    .expr_as(
        Expr::col((Departments::Table, Departments::Code)),
        Alias::new("department_code"),
    )
    .expr_as(
        Expr::col((Departments::Table, Departments::NameJa)),
        Alias::new("department_name_ja"),
    )
    .expr_as(
        Expr::col((Departments::Table, Departments::NameEn)),
        Alias::new("department_name_en"),
    )
    .from(P::Table)
    .join(
        JoinType::LeftJoin,
        Departments::Table,
        Expr::col((Departments::Table, Departments::Id)).equals((P::Table, P::DepartmentId)),
    );
    q
}

/// The municipality's catalogue matching the filter: every token must occur in `search_text`.
/// Sorted by reading (五十音順) in Rust, so both databases give the same order whatever their
/// collation.
pub async fn list(
    db: &Db,
    municipality: &str,
    f: &Filter,
) -> Result<Vec<ProcedureRow>, sqlx::Error> {
    let mut q = select();
    q.and_where(Expr::col((Procedures::Table, Procedures::MunicipalityId)).eq(municipality));
    for t in &f.tokens {
        q.and_where(
            Expr::col((Procedures::Table, Procedures::SearchText))
                .like(LikeExpr::new(like_contains(t)).escape(LIKE_ESCAPE)),
        );
    }
    if let Some(e) = f.life_event {
        // Tags are comma-separated; match the whole tag so `care` does not find `childcare`.
        let col = || Expr::col((Procedures::Table, Procedures::LifeEvents));
        let tag = e.as_str();
        q.cond_where(
            Cond::any()
                .add(col().eq(tag))
                .add(col().like(format!("{tag},%")))
                .add(col().like(format!("%,{tag}")))
                .add(col().like(format!("%,{tag},%"))),
        );
    }
    if let Some(online) = f.online {
        q.and_where(Expr::col((Procedures::Table, Procedures::Online)).eq(online));
    }
    q.order_by((Procedures::Table, Procedures::Id), Order::Asc);
    let mut rows: Vec<ProcedureRow> = db.fetch_all(&q).await?;
    rows.sort_by(|a, b| {
        (a.reading_ja.as_str(), a.name_ja.as_str(), a.id).cmp(&(
            b.reading_ja.as_str(),
            b.name_ja.as_str(),
            b.id,
        ))
    });
    Ok(rows)
}

pub async fn find_by_slug(
    db: &Db,
    municipality: &str,
    slug: &str,
) -> Result<Option<ProcedureRow>, sqlx::Error> {
    db.fetch_optional(
        select()
            .and_where(Expr::col((Procedures::Table, Procedures::MunicipalityId)).eq(municipality))
            .and_where(Expr::col((Procedures::Table, Procedures::Slug)).eq(slug)),
    )
    .await
}

pub async fn find_by_id(
    db: &Db,
    municipality: &str,
    id: i64,
) -> Result<Option<ProcedureRow>, sqlx::Error> {
    db.fetch_optional(
        select()
            .and_where(Expr::col((Procedures::Table, Procedures::MunicipalityId)).eq(municipality))
            .and_where(Expr::col((Procedures::Table, Procedures::Id)).eq(id)),
    )
    .await
}

/// The same lookup inside a write transaction (to compare before updating).
pub async fn find_by_slug_tx(
    tx: &mut Tx,
    municipality: &str,
    slug: &str,
) -> Result<Option<ProcedureRow>, sqlx::Error> {
    tx.fetch_optional(
        select()
            .and_where(Expr::col((Procedures::Table, Procedures::MunicipalityId)).eq(municipality))
            .and_where(Expr::col((Procedures::Table, Procedures::Slug)).eq(slug)),
    )
    .await
}

#[derive(sqlx::FromRow)]
struct IdRow {
    id: i64,
}

/// Column values of a draft, in the order of [`WRITE_COLUMNS`].
fn values(
    d: &ProcedureDraft,
    department_id: Option<i64>,
    search_text: &str,
) -> Vec<sea_query::Expr> {
    vec![
        d.slug.as_str().into(),
        d.name_ja.as_str().into(),
        d.name_en.as_str().into(),
        d.reading_ja.as_str().into(),
        department_id.into(),
        d.summary_ja.as_str().into(),
        d.summary_en.as_str().into(),
        d.eligibility_ja.as_str().into(),
        d.documents_ja.as_str().into(),
        d.legal_basis.as_str().into(),
        d.fee_yen.into(),
        d.processing_days.into(),
        d.identity_level.as_str().into(),
        join_life_events(&d.life_events).into(),
        d.online.into(),
        search_text.into(),
    ]
}

const WRITE_COLUMNS: [Procedures; 16] = [
    Procedures::Slug,
    Procedures::NameJa,
    Procedures::NameEn,
    Procedures::ReadingJa,
    Procedures::DepartmentId,
    Procedures::SummaryJa,
    Procedures::SummaryEn,
    Procedures::EligibilityJa,
    Procedures::DocumentsJa,
    Procedures::LegalBasis,
    Procedures::FeeYen,
    Procedures::ProcessingDays,
    Procedures::IdentityLevel,
    Procedures::LifeEvents,
    Procedures::Online,
    Procedures::SearchText,
];

pub async fn insert(
    tx: &mut Tx,
    municipality: &str,
    d: &ProcedureDraft,
    department_id: Option<i64>,
    search_text: &str,
) -> Result<i64, sqlx::Error> {
    let now = now_ms();
    let mut cols = vec![Procedures::MunicipalityId];
    cols.extend(WRITE_COLUMNS);
    cols.extend([Procedures::CreatedAt, Procedures::UpdatedAt]);
    let mut vals: Vec<sea_query::Expr> = vec![municipality.into()];
    vals.extend(values(d, department_id, search_text));
    vals.extend([now.into(), now.into()]);
    let row: IdRow = tx
        .fetch_one(
            Query::insert()
                .into_table(Procedures::Table)
                .columns(cols)
                .values_panic(vals)
                .returning_col(Procedures::Id),
        )
        .await?;
    Ok(row.id)
}

pub async fn update(
    tx: &mut Tx,
    id: i64,
    d: &ProcedureDraft,
    department_id: Option<i64>,
    search_text: &str,
) -> Result<u64, sqlx::Error> {
    let mut q = Query::update();
    q.table(Procedures::Table);
    for (c, v) in WRITE_COLUMNS
        .into_iter()
        .zip(values(d, department_id, search_text))
    {
        q.value(c, v);
    }
    q.value(Procedures::UpdatedAt, now_ms())
        .and_where(Expr::col(Procedures::Id).eq(id));
    tx.execute(&q).await
}

#[derive(sqlx::FromRow)]
struct Count {
    n: i64,
}

/// (online, total) for a municipality's catalogue: the plan 1-1 KPI, computed from the data.
pub async fn count_online(db: &Db, municipality: &str) -> Result<(i64, i64), sqlx::Error> {
    let count = |online_only: bool| {
        let mut q = Query::select();
        q.expr_as(Func::count(Expr::col(Procedures::Id)), Alias::new("n"))
            .from(Procedures::Table)
            .and_where(Expr::col(Procedures::MunicipalityId).eq(municipality));
        if online_only {
            q.and_where(Expr::col(Procedures::Online).eq(true));
        }
        q
    };
    let total: Count = db.fetch_one(&count(false)).await?;
    let online: Count = db.fetch_one(&count(true)).await?;
    Ok((online.n, total.n))
}

//! Screening results for staff: `GET /api/v1/screening/{code}`, the result a learner's code
//! stands for, with the measurements per exercise (named by its title in the staff's
//! language, from the content pack in use), the level per DigComp competence (with its Dutch
//! name) and the suggested referral.
//!
//! It owns the JSON shape of a result and its place in the OpenAPI document. It must not score anything:
//! the levels and the referral were decided by `screening` when the result was recorded.

use axum::Json;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use jiff::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

use super::WebState;
use super::api::with_help_point;
use super::auth::Staff;
use super::error::{ErrorBody, WebError};
use super::openapi::schemas;
use crate::config::Config;
use crate::content::Pack;
use crate::screening::{self, ItemEnding, Level, Referral, ScreeningDetail};

/// A screening result as staff see it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Screening)]
pub struct ScreeningView {
    /// The result code as shown to the learner, e.g. K7M-4PX.
    code: String,
    started_at: Timestamp,
    ended_at: Timestamp,
    /// When it ended, in the help point's time zone: DD-MM-YYYY HH:MM.
    ended_local: String,
    /// The language the learner chose, e.g. ar.
    language: String,
    /// The language in its own script.
    language_name: String,
    /// The language the instructions were shown in when the content pack lacked the learner's
    /// (e.g. nl), even for part of the screening; null when all were in the learner's language.
    #[schema(required = true, examples("nl"))]
    instructions_language: Option<String>,
    /// That language in its own script; null with it.
    #[schema(required = true, examples("Nederlands"))]
    instructions_language_name: Option<String>,
    /// False when the learner walked away before the end.
    finished: bool,
    #[schema(value_type = schemas::Referral)]
    referral: Referral,
    /// One per DigComp competence the exercises are tagged with, by code.
    competences: Vec<CompetenceView>,
    /// One per exercise, in the order they were offered.
    items: Vec<ItemView>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Competence)]
pub struct CompetenceView {
    /// DigComp code, e.g. 2.1.
    code: String,
    /// The competence's name in Dutch.
    name: String,
    #[schema(value_type = schemas::Level)]
    level: Level,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Item)]
pub struct ItemView {
    item_id: String,
    /// The exercise's title in the staff's language (`site.local_language`, else Dutch), from
    /// the content pack in use; null when the pack no longer has the exercise.
    #[schema(required = true, examples("Een mail beantwoorden"))]
    title: Option<String>,
    version: u32,
    /// DigComp codes of the competences this exercise shows.
    digcomp: Vec<String>,
    #[schema(value_type = schemas::ItemEnding)]
    ending: ItemEnding,
    #[schema(value_type = schemas::Level)]
    level: Level,
    steps_done: u32,
    steps_total: u32,
    /// Steps where a hint showed, and the highest hint level reached (3: the kiosk showed it).
    hints: u32,
    max_hint_level: u8,
    wrong_taps: u64,
    risky_taps: u64,
    duration_ms: u64,
}

impl ScreeningView {
    fn of(detail: ScreeningDetail, config: &Config, content: Option<&Pack>) -> ScreeningView {
        let title = |item_id: &str| {
            let exercise = content?.screening.iter().find(|a| a.id == item_id)?;
            let strings = &exercise.strings;
            let words = strings.get(&config.site.local_language).or_else(|| strings.get("nl"))?;
            Some(words.title.clone())
        };
        let name = |code: &str| {
            crate::languages::language(code).map_or_else(|| code.to_owned(), |l| l.autonym.to_owned())
        };
        let language_name = name(&detail.language);
        let instructions_language_name = detail.instructions_language.as_deref().map(name);
        ScreeningView {
            ended_local: detail
                .ended_at
                .to_zoned(config.site.timezone.clone())
                .strftime("%d-%m-%Y %H:%M")
                .to_string(),
            code: detail.code,
            started_at: detail.started_at,
            ended_at: detail.ended_at,
            language: detail.language,
            language_name,
            instructions_language: detail.instructions_language,
            instructions_language_name,
            finished: detail.finished,
            referral: detail.referral,
            competences: detail
                .competences
                .into_iter()
                .map(|(code, level)| CompetenceView {
                    name: screening::digcomp_name_nl(&code).unwrap_or(&code).to_owned(),
                    code,
                    level,
                })
                .collect(),
            items: detail
                .items
                .into_iter()
                .map(|(item, level)| ItemView {
                    title: title(&item.item_id),
                    steps_done: item.steps_done(),
                    steps_total: item.steps.len() as u32,
                    hints: item.hints(),
                    max_hint_level: item.max_hint_level(),
                    wrong_taps: item.wrong_taps(),
                    risky_taps: item.risky_taps(),
                    item_id: item.item_id,
                    version: item.version,
                    digcomp: item.digcomp,
                    ending: item.ending,
                    level,
                    duration_ms: item.duration_ms,
                })
                .collect(),
        }
    }
}

/// The `{code}` of a path, normalized (`k7m4px` → `K7M-4PX`), or 400.
pub struct ResultCode(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ResultCode {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, WebError> {
        let Path(code) = Path::<String>::from_request_parts(parts, state).await.map_err(|e| {
            WebError::BadRequest(format!("bad result code in the address: {}", e.body_text()))
        })?;
        let alphabet = std::str::from_utf8(screening::CODE_ALPHABET).unwrap_or_default();
        screening::normalize_code(&code).map(ResultCode).ok_or_else(|| {
            WebError::BadRequest(format!(
                "that is not a result code: a result code is 6 characters from {alphabet}, e.g. K7M-4PX"
            ))
        })
    }
}

/// A screening result, by the code the learner got.
///
/// Any desk's session, or an API token. The code is read in any case, with or without the dash.
#[utoipa::path(
    get,
    path = "/api/v1/screening/{code}",
    tag = "screening",
    params(("code" = String, Path, description = "The result code, e.g. K7M-4PX or k7m4px.")),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The result: per exercise, per competence, and the suggested referral.", body = ScreeningView),
        (status = 400, description = "Not a result code.", body = ErrorBody),
        (status = 401, description = "No session or API token, or a wrong one.", body = ErrorBody),
        (status = 404, description = "No screening has this code.", body = ErrorBody),
    ),
)]
pub async fn screening(
    State(state): State<WebState>,
    _staff: Staff,
    ResultCode(code): ResultCode,
) -> Result<Json<ScreeningView>, WebError> {
    let content = state.content.clone();
    with_help_point(&state, move |hp, config| {
        let detail = hp
            .store()
            .screening_by_code(&code)
            .map_err(|e| WebError::Internal(format!("store: {e}")))?
            .ok_or_else(|| WebError::NotFound(format!("no screening has the result code {code}")))?;
        Ok(Json(ScreeningView::of(detail, config, content.as_deref())))
    })
    .await
}

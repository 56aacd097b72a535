//! The admin pages, server-rendered Dutch HTML with inline CSS (no CDN, one small script for
//! uploading a content pack): the dashboard with the day's figures and the kiosks' health, the
//! CSV export, kiosk tokens, and the settings and content kiosks pull. Every page is a maud
//! template, checked at compile time, that escapes every value it shows; forms are read by
//! axum's `Form` into the structs below.
//!
//! It owns the pages' wording and layout. Figures come from the store, their reading from
//! [`super::figures`]; it must not compute figures itself beyond adding them up.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::civil::Date;
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

use super::CentralState;
use super::admin::{Admin, CSRF_FIELD, CsrfForm, PostedForm};
use super::error::{Body, CentralError};
use super::figures::{csv, duration_words, hour_chart, minutes, warnings};
use super::layout::layout;
use super::store::{FileKind, Period, ServiceFigures, token_hash};
use loket_protocol::report::{Heartbeat, MAX_BODY_BYTES, MAX_CONTENT_BYTES};

fn hidden_csrf(admin: &Admin) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(admin.csrf); }
}

#[derive(Debug, Deserialize)]
pub struct DayQuery {
    day: Option<String>,
    site: Option<String>,
}

fn parse_day(text: Option<&str>, today: Date) -> Result<Date, CentralError> {
    match text.filter(|t| !t.is_empty()) {
        None => Ok(today),
        Some(t) => t
            .parse::<Date>()
            .map_err(|_| CentralError::BadRequest(format!("day {t:?} is not a date such as 2026-11-30"))),
    }
}

fn wait_text(seconds: Option<f64>) -> String {
    seconds.map_or("–".into(), |s| format!("{} min", minutes(s)))
}

/// Adds up the figures of several services (or sites).
fn total(rows: &[&ServiceFigures]) -> ServiceFigures {
    let mut t = ServiceFigures::default();
    let mut wait_sum = 0.0;
    for r in rows {
        t.visitors += r.visitors;
        t.called += r.called;
        t.served += r.served;
        t.no_shows += r.no_shows;
        wait_sum += r.average_wait_seconds.unwrap_or(0.0) * r.called as f64;
        t.longest_wait_seconds = t.longest_wait_seconds.max(r.longest_wait_seconds);
    }
    t.average_wait_seconds = (t.called > 0).then(|| wait_sum / t.called as f64);
    t
}

/// `GET /`: the day's figures for one site or all, and the kiosks' health.
pub async fn dashboard(
    State(state): State<CentralState>,
    admin: Admin,
    Query(query): Query<DayQuery>,
) -> Result<Markup, CentralError> {
    let now = state.clock.now();
    let today = now.to_zoned(state.settings.time_zone.clone()).date();
    let day = parse_day(query.day.as_deref(), today)?;
    let site = query.site.filter(|s| !s.is_empty());
    let period = Period { from: day.to_string(), to: day.to_string(), site: site.clone() };
    let (services, learning, hours, levels, sites, (health, tokens)) = state
        .with_store(move |s| {
            Ok((
                s.service_figures(&period)?,
                s.learning_figures(&period)?,
                s.visitors_per_hour(&period)?,
                s.screening_levels(&period)?,
                s.sites()?,
                (s.kiosk_health()?, s.tokens()?),
            ))
        })
        .await?;

    let site_q = site.as_deref().map(|s| format!("&site={}", url_encode(s))).unwrap_or_default();
    let choices =
        std::iter::once(("", "Alle vestigingen")).chain(sites.iter().map(|s| (s.as_str(), s.as_str())));
    let (prev, next) = (day.yesterday().unwrap_or(day), day.tomorrow().unwrap_or(day));

    let all: Vec<&ServiceFigures> = services.iter().collect();
    let t = total(&all);
    let tutorials: (u64, u64) =
        learning.iter().fold((0, 0), |a, l| (a.0 + l.tutorials_started, a.1 + l.tutorials_completed));
    let screenings: u64 = learning.iter().map(|l| l.screenings_completed).sum();
    let tiles = [
        (t.visitors.to_string(), "bezoekers"),
        (t.served.to_string(), "geholpen"),
        (t.no_shows.to_string(), "niet gekomen"),
        (wait_text(t.average_wait_seconds), "gemiddelde wachttijd"),
        (wait_text(t.longest_wait_seconds.map(|s| s as f64)), "langste wachttijd"),
        (format!("{} / {}", tutorials.1, tutorials.0), "tutorials voltooid / gestart"),
        (screenings.to_string(), "screenings voltooid"),
    ];

    // Per service, summed over the sites shown.
    let mut per_service: BTreeMap<&str, Vec<&ServiceFigures>> = BTreeMap::new();
    for f in &services {
        per_service.entry(f.service.as_str()).or_default().push(f);
    }

    let body = html! {
        h1 { "Overzicht van " (dutch_date(day)) }
        form class="card filters" method="get" action="/" {
            label { "Dag " input type="date" name="day" value=(day); }
            label {
                "Vestiging "
                select name="site" {
                    @for (value, label) in choices {
                        option value=(value) selected[site.as_deref().unwrap_or("") == value] { (label) }
                    }
                }
            }
            button type="submit" { "Toon" }
            span class="daynav" {
                a href={ "/?day=" (prev) (site_q) } { "← vorige dag" }
                a href={ "/?day=" (today) (site_q) } { "vandaag" }
                a href={ "/?day=" (next) (site_q) } { "volgende dag →" }
                a class="button" href={ "/export.csv?from=" (day) "&to=" (day) (site_q) } { "CSV" }
            }
        }
        div class="tiles" {
            @for (n, label) in &tiles {
                div class="tile" { div class="n" { (n) } div class="l" { (label) } }
            }
        }
        section class="card" {
            h2 { "Bezoekers per uur" }
            @if t.visitors == 0 {
                p class="muted" { "Geen bezoekers op deze dag." }
            } @else {
                (hour_chart(&hours))
            }
        }
        section class="card" {
            h2 { "Per dienst" }
            div class="scroll" {
                table {
                    thead {
                        tr {
                            th { "Dienst" }
                            th class="num" { "Bezoekers" }
                            th class="num" { "Geholpen" }
                            th class="num" { "Niet gekomen" }
                            th class="num" { "Gem. wacht" }
                            th class="num" { "Langste wacht" }
                        }
                    }
                    tbody {
                        @if per_service.is_empty() {
                            tr { td colspan="6" class="muted" { "Nog geen tickets op deze dag." } }
                        }
                        @for (service, rows) in &per_service {
                            @let s = total(rows);
                            tr {
                                td { (service) }
                                td class="num" { (s.visitors) }
                                td class="num" { (s.served) }
                                td class="num" { (s.no_shows) }
                                td class="num" { (wait_text(s.average_wait_seconds)) }
                                td class="num" { (wait_text(s.longest_wait_seconds.map(|x| x as f64))) }
                            }
                        }
                    }
                }
            }
        }
        (levels_section(&levels))
        (kiosks_table(&state, &health, &tokens, site.as_deref(), now))
    };
    Ok(layout("Overzicht", Some(("/", &admin.csrf)), body))
}

/// The levels of the day's completed screenings: a stacked bar per competence.
fn levels_section(levels: &[(String, String, u64)]) -> Markup {
    const LEVELS: [(&str, &str); 3] =
        [("on_own", "zelfstandig"), ("with_help", "met hulp"), ("not_yet", "nog niet")];
    if levels.is_empty() {
        return html! {};
    }
    let mut per_competence: BTreeMap<&str, [u64; 3]> = BTreeMap::new();
    for (competence, level, n) in levels {
        if let Some(i) = LEVELS.iter().position(|(name, _)| name == level) {
            per_competence.entry(competence.as_str()).or_default()[i] += n;
        }
    }
    html! {
        section class="card" {
            h2 { "Screenings: niveau per competentie" }
            p class="legend" {
                @for (name, label) in LEVELS {
                    span class="key" { span class={ "swatch " (name) } {} (label) }
                }
            }
            @for (competence, counts) in &per_competence {
                @let total: u64 = counts.iter().sum::<u64>().max(1);
                div class="level-row" {
                    span class="code" { (competence) }
                    div class="bar" {
                        @for ((name, label), n) in LEVELS.iter().zip(counts) {
                            @if *n > 0 {
                                span class=(name)
                                    style={ "width:" (format!("{:.1}", *n as f64 * 100.0 / total as f64)) "%" }
                                    title={ (label) ": " (n) } { (n) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn kiosks_table(
    state: &CentralState,
    health: &[super::store::KioskHealth],
    tokens: &[super::store::TokenInfo],
    site: Option<&str>,
    now: jiff::Timestamp,
) -> Markup {
    // Every kiosk with a live token or a heartbeat.
    let mut kiosks: BTreeMap<(String, String), Option<&super::store::KioskHealth>> = BTreeMap::new();
    for t in tokens.iter().filter(|t| t.revoked_at.is_none()) {
        kiosks.entry((t.site.clone(), t.kiosk.clone())).or_insert(None);
    }
    for h in health {
        kiosks.retain(|(_, k), v| !(k == &h.kiosk && v.is_none()));
        kiosks.insert((h.site.clone(), h.kiosk.clone()), Some(h));
    }
    let shown = kiosks.iter().filter(|((kiosk_site, _), _)| site.is_none_or(|s| s == kiosk_site));
    html! {
        section class="card" id="kiosks" {
            h2 { "Kiosken" }
            div class="scroll" {
                table {
                    thead {
                        tr {
                            th { "Kiosk" }
                            th { "Waarschuwingen" }
                            th { "Laatst gezien" }
                            th { "Printer" }
                            th class="num" { "Achterstand" }
                            th class="num" { "Weggegooid" }
                            th class="num" { "Schijf vrij" }
                            th class="num" { "Temp." }
                            th { "Klok" }
                            th { "Versie" }
                            th class="num" { "Aan sinds" }
                        }
                    }
                    tbody {
                        @if kiosks.is_empty() {
                            tr {
                                td colspan="11" class="muted" { "Nog geen kiosken. Maak een kiosksleutel aan." }
                            }
                        }
                        @for ((kiosk_site, kiosk), h) in shown {
                            (kiosk_row(state, kiosk, kiosk_site, *h, now))
                        }
                    }
                }
            }
        }
    }
}

/// One kiosk's row: its warnings, when it was last seen and its last heartbeat's readings.
fn kiosk_row(
    state: &CentralState,
    kiosk: &str,
    kiosk_site: &str,
    h: Option<&super::store::KioskHealth>,
    now: jiff::Timestamp,
) -> Markup {
    let received = h.and_then(|h| h.received_at.parse::<jiff::Timestamp>().ok());
    let beat: Option<Heartbeat> = h.and_then(|h| serde_json::from_str(&h.body).ok());
    let w = warnings(beat.as_ref(), received, now, state.settings.stale_minutes);
    html! {
        tr {
            td class="nowrap" { strong { (kiosk) } br; span class="muted" { (kiosk_site) } }
            td {
                @if w.is_empty() {
                    span class="ok" { "in orde" }
                }
                @for w in &w {
                    span class="warn" { (w) }
                }
            }
            td {
                @match received {
                    None => { "nooit" }
                    Some(at) => {
                        @let ago = now.duration_since(at).as_secs().max(0) / 60;
                        @if ago < 1 { "zojuist" } @else { (duration_words(ago)) " geleden" }
                        br;
                        span class="muted" {
                            (at.to_zoned(state.settings.time_zone.clone()).strftime("%d-%m %H:%M"))
                        }
                    }
                }
            }
            @match &beat {
                None => {
                    td { "–" }
                    td class="num" { "–" }
                    td class="num" { "–" }
                    td class="num" { "–" }
                    td class="num" { "–" }
                    td { "–" }
                    td { "–" }
                    td class="num" { "–" }
                }
                Some(b) => {
                    @let printer = match (b.printer.state.as_str(), b.printer.paper.as_str()) {
                        (_, "out") | ("no_paper", _) => "papier op",
                        ("ready", _) => "klaar",
                        ("not_answering", _) => "antwoordt niet",
                        ("fault", _) => "storing",
                        (other, _) => other,
                    };
                    @let dropped: u64 = b.outbox.dropped.values().sum();
                    @let disk = b.disk_free_bytes
                        .map_or("–".into(), |d| format!("{:.1} GB", d as f64 / 1e9).replace('.', ","));
                    @let temp = b.cpu_temperature_celsius.map_or("–".into(), |t| format!("{t:.0} °C"));
                    td { (printer) }
                    td class="num" {
                        (b.outbox.backlog)
                        @if let Some(oldest) = b.outbox.oldest_unsent_at {
                            @let ago = b.sent_at.duration_since(oldest).as_secs().max(0) / 60;
                            br;
                            span class="muted" { "oudste " (duration_words(ago)) }
                        }
                    }
                    td class="num" { (dropped) }
                    td class="num" { (disk) }
                    td class="num" { (temp) }
                    td { @if b.clock_synced { "gelijk" } @else { "niet gelijk" } }
                    td { (b.version) }
                    td class="num" { (duration_words(i64::try_from(b.uptime_seconds / 60).unwrap_or(i64::MAX))) }
                }
            }
        }
    }
}

/// A stored RFC 3339 time as local `30-11-2026 16:10` (or as stored, if it does not parse).
fn local_time(stored: &str, zone: &jiff::tz::TimeZone) -> String {
    match stored.parse::<jiff::Timestamp>() {
        Ok(at) => at.to_zoned(zone.clone()).strftime("%d-%m-%Y %H:%M").to_string(),
        Err(_) => stored.to_owned(),
    }
}

fn dutch_date(day: Date) -> String {
    const DAYS: [&str; 7] = ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"];
    const MONTHS: [&str; 12] = [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ];
    let weekday = DAYS[usize::try_from(day.weekday().to_monday_zero_offset()).unwrap_or(0) % 7];
    let month = MONTHS[usize::try_from(day.month() - 1).unwrap_or(0) % 12];
    format!("{weekday} {} {month} {}", day.day(), day.year())
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    from: Option<String>,
    to: Option<String>,
    site: Option<String>,
}

/// `GET /export.csv?from=&to=&site=`: one row per site, day and service.
pub async fn export_csv(
    State(state): State<CentralState>,
    _admin: Admin,
    Query(query): Query<ExportQuery>,
) -> Result<Response, CentralError> {
    let today = state.clock.now().to_zoned(state.settings.time_zone.clone()).date();
    let from = parse_day(query.from.as_deref(), today)?;
    let to = parse_day(query.to.as_deref(), from)?;
    if to < from {
        return Err(CentralError::BadRequest(format!("to ({to}) is before from ({from})")));
    }
    let site = query.site.filter(|s| !s.is_empty());
    let period = Period { from: from.to_string(), to: to.to_string(), site };
    let (services, learning) =
        state.with_store(move |s| Ok((s.service_figures(&period)?, s.learning_figures(&period)?))).await?;
    let name = format!("loket-{from}-{to}.csv");
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
        .map_err(|e| CentralError::Internal(e.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        csv(&services, &learning),
    )
        .into_response())
}

fn tokens_page(
    admin: &Admin,
    tokens: &[super::store::TokenInfo],
    created: Option<(&str, &str)>,
    problem: Option<&str>,
    zone: &jiff::tz::TimeZone,
) -> Markup {
    let body = html! {
        h1 { "Kiosksleutels" }
        @if let Some((kiosk, token)) = created {
            section class="notice" role="status" {
                strong { "Nieuwe sleutel voor " (kiosk) "." }
                " Zet hem nu in de instellingen van de kiosk: hij wordt maar één keer getoond."
                code class="token" id="new-token" { (token) }
            }
            p {}
        }
        @if let Some(p) = problem {
            p class="alert" role="alert" { (p) }
        }
        section class="card" {
            h2 { "Nieuwe sleutel" }
            form method="post" action="/tokens" class="filters" {
                (hidden_csrf(admin))
                label { "Kiosk " input name="kiosk" required placeholder="digilabo-1" pattern="[A-Za-z0-9._-]+"; }
                label { "Vestiging " input name="site" required placeholder="Gent Zuid"; }
                button type="submit" { "Sleutel maken" }
            }
        }
        section class="card" {
            h2 { "Sleutels" }
            div class="scroll" {
                table {
                    thead { tr { th { "Kiosk" } th { "Gemaakt" } th { "Status" } } }
                    tbody {
                        @if tokens.is_empty() {
                            tr { td colspan="3" class="muted" { "Nog geen sleutels." } }
                        }
                        @for t in tokens {
                            tr {
                                td class="nowrap" { strong { (t.kiosk) } br; span class="muted" { (t.site) } }
                                td { (local_time(&t.created_at, zone)) }
                                td {
                                    @match &t.revoked_at {
                                        Some(at) => { span class="muted" { "ingetrokken " (local_time(at, zone)) } }
                                        None => {
                                            form method="post" action={ "/tokens/" (t.id) "/revoke" } class="inline" {
                                                (hidden_csrf(admin))
                                                span class="ok" { "actief" }
                                                " "
                                                button class="danger small" type="submit" { "Intrekken" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    layout("Kiosksleutels", Some(("/tokens", &admin.csrf)), body)
}

/// `GET /tokens`
pub async fn tokens(State(state): State<CentralState>, admin: Admin) -> Result<Markup, CentralError> {
    let tokens = state.with_store(|s| s.tokens()).await?;
    Ok(tokens_page(&admin, &tokens, None, None, &state.settings.time_zone))
}

/// Whether a kiosk id is one the kiosk's config takes: letters, digits, `.`, `_`, `-`.
pub fn valid_kiosk_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// Makes a token for a kiosk: (id, the token — shown once, stored only as its hash).
pub fn new_kiosk_token(
    store: &dyn super::store::CentralStore,
    kiosk: &str,
    site: &str,
    at: jiff::Timestamp,
) -> Result<(i64, String), super::store::StoreError> {
    let token = loket_protocol::secret::new_token();
    let id = store.add_token(kiosk, site, &token_hash(&token), &at.to_string())?;
    Ok((id, token))
}

/// The form that makes a kiosk token; a missing field is empty (and refused with the form).
#[derive(Debug, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    kiosk: String,
    #[serde(default)]
    site: String,
}

/// `POST /tokens`: kiosk and site as a form; the page with the new token, shown once.
pub async fn create_token(
    State(state): State<CentralState>,
    admin: Admin,
    PostedForm(form): PostedForm<TokenForm>,
) -> Result<Response, CentralError> {
    admin.check_csrf(form.csrf.as_deref())?;
    let kiosk = form.kiosk.trim().to_owned();
    let site = form.site.trim().to_owned();
    if !valid_kiosk_id(&kiosk) || site.is_empty() || site.len() > 100 {
        let tokens = state.with_store(|s| s.tokens()).await?;
        let problem = "Geef een kiosknaam (letters, cijfers, . _ -) en een vestiging.";
        return Ok((
            axum::http::StatusCode::BAD_REQUEST,
            tokens_page(&admin, &tokens, None, Some(problem), &state.settings.time_zone),
        )
            .into_response());
    }
    let now = state.clock.now();
    let (k, s) = (kiosk.clone(), site.clone());
    let (token, tokens) = state
        .with_store(move |store| {
            let (_, token) = new_kiosk_token(store, &k, &s, now)?;
            Ok((token, store.tokens()?))
        })
        .await?;
    log::info!("central: {} made a token for kiosk {kiosk} at {site}", admin.name);
    Ok(tokens_page(&admin, &tokens, Some((&kiosk, &token)), None, &state.settings.time_zone).into_response())
}

/// `POST /tokens/{id}/revoke`
pub async fn revoke_token(
    State(state): State<CentralState>,
    admin: Admin,
    Path(id): Path<String>,
    PostedForm(form): PostedForm<CsrfForm>,
) -> Result<Redirect, CentralError> {
    admin.check_csrf(form.csrf.as_deref())?;
    let id: i64 =
        id.parse().map_err(|_| CentralError::BadRequest(format!("token id {id:?} is not a number")))?;
    let at = state.clock.now().to_string();
    if !state.with_store(move |s| s.revoke_token(id, &at)).await? {
        return Err(CentralError::NotFound(format!("there is no active token {id}")));
    }
    log::info!("central: {} revoked token {id}", admin.name);
    Ok(Redirect::to("/tokens"))
}

const UPLOAD_SCRIPT: &str = r#"
document.getElementById('content-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = e.target, file = f.pack.files[0], out = document.getElementById('content-result');
  if (!file) { out.textContent = 'Kies eerst een bestand.'; return; }
  out.textContent = 'Bezig met uploaden…';
  const kiosk = encodeURIComponent(f.kiosk.value);
  const r = await fetch('/files/content?kiosk=' + kiosk, {method: 'POST', body: file,
    headers: {'x-csrf-token': f.csrf.value, 'content-type': 'application/x-tar'}});
  const j = await r.json().catch(() => ({}));
  if (r.ok) { location.reload(); } else { out.textContent = 'Niet gelukt: ' + (j.error || r.status); }
});
"#;

/// `GET /files`: the settings and content packs kiosks pull, and forms to change them.
pub async fn files(State(state): State<CentralState>, admin: Admin) -> Result<Markup, CentralError> {
    let (files, tokens) = state.with_store(|s| Ok((s.files()?, s.tokens()?))).await?;
    let zone = &state.settings.time_zone;
    let mut kiosks: Vec<&str> = tokens.iter().map(|t| t.kiosk.as_str()).collect();
    kiosks.sort_unstable();
    kiosks.dedup();
    let options = html! {
        option value="" { "alle kiosken" }
        @for k in &kiosks {
            option value=(k) { (k) }
        }
    };
    let body = html! {
        h1 { "Instellingen en inhoud" }
        p class="muted" { "Een kiosk haalt zijn eigen bestand op, anders dat voor alle kiosken." }
        section class="card" {
            h2 { "Nu klaargezet" }
            div class="scroll" {
                table {
                    thead {
                        tr {
                            th { "Voor" }
                            th { "Soort" }
                            th class="num" { "Grootte" }
                            th { "Gewijzigd" }
                            th { "ETag" }
                            th {}
                        }
                    }
                    tbody {
                        @if files.is_empty() {
                            tr { td colspan="6" class="muted" { "Nog niets klaargezet." } }
                        }
                        @for f in &files {
                            tr {
                                td { (f.kiosk.as_deref().unwrap_or("alle kiosken")) }
                                td { @if f.kind == "content" { "inhoudspakket" } @else { "instellingen" } }
                                td class="num" { (f.size.div_ceil(1024)) " kB" }
                                td { (local_time(&f.updated_at, zone)) }
                                td { code { (f.etag.get(1..13).unwrap_or(&f.etag)) } }
                                td {
                                    form method="post" action="/files/delete" {
                                        (hidden_csrf(&admin))
                                        input type="hidden" name="kind" value=(f.kind);
                                        input type="hidden" name="kiosk" value=(f.kiosk.as_deref().unwrap_or(""));
                                        button class="danger" type="submit" { "Verwijderen" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        section class="card" {
            h2 { "Instellingen (loket.toml)" }
            form method="post" action="/files/settings" class="stack" {
                (hidden_csrf(&admin))
                label { "Voor " select name="kiosk" { (options) } }
                label { "Inhoud " textarea name="toml" required spellcheck="false" {} }
                button type="submit" { "Opslaan" }
            }
        }
        section class="card" {
            h2 { "Inhoudspakket (tar)" }
            form id="content-form" class="stack" {
                (hidden_csrf(&admin))
                label { "Voor " select name="kiosk" { (options) } }
                label { "Bestand " input type="file" name="pack" accept=".tar,application/x-tar"; }
                button type="submit" { "Uploaden" }
                p id="content-result" role="status" {}
            }
        }
        script { (PreEscaped(UPLOAD_SCRIPT)) }
    };
    Ok(layout("Instellingen en inhoud", Some(("/files", &admin.csrf)), body))
}

fn kiosk_field(value: Option<&str>) -> Result<Option<String>, CentralError> {
    match value.map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(k) if valid_kiosk_id(k) => Ok(Some(k.to_owned())),
        Some(k) => Err(CentralError::BadRequest(format!("kiosk {k:?} is not a kiosk id"))),
    }
}

/// The settings form: the kiosk (empty for all) and its `loket.toml`.
#[derive(Debug, Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    kiosk: Option<String>,
    #[serde(default)]
    toml: String,
}

/// `POST /files/settings`: a `loket.toml` from a form (field `toml`, `kiosk` empty for all).
pub async fn upload_settings(
    State(state): State<CentralState>,
    admin: Admin,
    PostedForm(form): PostedForm<SettingsForm>,
) -> Result<Redirect, CentralError> {
    admin.check_csrf(form.csrf.as_deref())?;
    let kiosk = kiosk_field(form.kiosk.as_deref())?;
    let text = form.toml.replace("\r\n", "\n");
    if text.len() > MAX_BODY_BYTES {
        return Err(CentralError::TooLarge("the settings are too large".into()));
    }
    text.parse::<toml::Table>()
        .map_err(|e| CentralError::BadRequest(format!("the settings are not valid TOML: {e}")))?;
    let at = state.clock.now().to_string();
    state.with_store(move |s| s.put_file(FileKind::Settings, kiosk.as_deref(), text.as_bytes(), &at)).await?;
    Ok(Redirect::to("/files"))
}

/// Checks that bytes are a tar archive of plain relative paths.
pub fn check_tar(bytes: &[u8]) -> Result<usize, String> {
    let mut archive = tar::Archive::new(bytes);
    let mut count = 0;
    for entry in archive.entries().map_err(|e| e.to_string())? {
        let entry = entry.map_err(|e| format!("not a tar archive: {e}"))?;
        let path = entry.path().map_err(|e| e.to_string())?.into_owned();
        if path.is_absolute() || path.components().any(|c| matches!(c, std::path::Component::ParentDir)) {
            return Err(format!("{} leaves the content folder", path.display()));
        }
        count += 1;
    }
    if count == 0 {
        return Err("the archive is empty".into());
    }
    Ok(count)
}

#[derive(Debug, Deserialize)]
pub struct KioskQuery {
    kiosk: Option<String>,
}

/// `POST /files/content?kiosk=`: a content pack (tar) as the raw body, with the CSRF header.
pub async fn upload_content(
    State(state): State<CentralState>,
    admin: Admin,
    Query(query): Query<KioskQuery>,
    Body(body): Body,
) -> Result<axum::Json<serde_json::Value>, CentralError> {
    admin.check_csrf(None)?;
    let kiosk = kiosk_field(query.kiosk.as_deref())?;
    if body.len() > MAX_CONTENT_BYTES {
        return Err(CentralError::TooLarge(format!("a content pack is at most {MAX_CONTENT_BYTES} bytes")));
    }
    check_tar(&body).map_err(|e| CentralError::BadRequest(format!("not a usable content pack: {e}")))?;
    let at = state.clock.now().to_string();
    let etag = state.with_store(move |s| s.put_file(FileKind::Content, kiosk.as_deref(), &body, &at)).await?;
    Ok(axum::Json(serde_json::json!({ "etag": etag })))
}

/// The form that takes a file away: its kind and kiosk (empty for all).
#[derive(Debug, Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    kiosk: Option<String>,
}

/// `POST /files/delete`: form fields `kind` and `kiosk`.
pub async fn delete_file(
    State(state): State<CentralState>,
    admin: Admin,
    PostedForm(form): PostedForm<DeleteForm>,
) -> Result<Redirect, CentralError> {
    admin.check_csrf(form.csrf.as_deref())?;
    let kind = match form.kind.as_deref() {
        Some("settings") => FileKind::Settings,
        Some("content") => FileKind::Content,
        other => {
            return Err(CentralError::BadRequest(format!("kind {other:?} is neither settings nor content")));
        }
    };
    let kiosk = kiosk_field(form.kiosk.as_deref())?;
    state.with_store(move |s| s.delete_file(kind, kiosk.as_deref())).await?;
    Ok(Redirect::to("/files"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_in_dutch() {
        assert_eq!(dutch_date("2026-11-30".parse().unwrap()), "maandag 30 november 2026");
    }

    #[test]
    fn kiosk_ids_are_plain() {
        assert!(valid_kiosk_id("digilabo-1"));
        assert!(!valid_kiosk_id("a b"));
        assert!(!valid_kiosk_id(""));
    }

    #[test]
    fn a_tar_must_stay_inside_its_folder() {
        let mut builder = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(2);
        header.set_cksum();
        builder.append_data(&mut header, "tutorials/a.toml", &b"x\n"[..]).unwrap();
        let bytes = builder.into_inner().unwrap();
        assert_eq!(check_tar(&bytes), Ok(1));
        assert!(check_tar(b"definitely not a tar archive, just some text").is_err());
    }
}

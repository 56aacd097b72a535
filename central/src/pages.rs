//! The admin pages, server-rendered HTML in the staff's language (`dashboard.language`) with inline CSS (no CDN, one small script for
//! uploading a content pack): the dashboard with the day's figures and the kiosks' health, the
//! CSV export, kiosk tokens, and the settings and content kiosks pull. Every page is a maud
//! template, checked at compile time, that escapes every value it shows; forms are read by
//! axum's `Form` into the structs below.
//!
//! It owns the pages' wording (English message ids, translated by the catalogue) and layout. Figures come from the store, their reading from
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
use super::figures::{csv, decimal, duration_words, hour_chart, minutes, warnings};
use super::layout::layout;
use super::store::{FileKind, Period, ServiceFigures, token_hash};
use loket_protocol::i18n::{fill, tr};
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

fn wait_text(l: &str, seconds: Option<f64>) -> String {
    seconds.map_or("–".into(), |s| fill(tr(l, "{n} min"), &[("n", &minutes(l, s))]))
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
    let l = state.settings.language.as_str();
    let now = state.clock.now();
    let today = now.to_zoned(state.settings.time_zone.clone()).date();
    let day = parse_day(query.day.as_deref(), today)?;
    let site = query.site.filter(|s| !s.is_empty());
    let period = Period { from: day.to_string(), to: day.to_string(), site: site.clone() };
    let (services, learning, hours, levels, sites, (health, tokens, languages, appointments)) = state
        .with_store(move |s| {
            Ok((
                s.service_figures(&period)?,
                s.learning_figures(&period)?,
                s.visitors_per_hour(&period)?,
                s.screening_levels(&period)?,
                s.sites()?,
                (
                    s.kiosk_health()?,
                    s.tokens()?,
                    s.visitors_per_language(&period)?,
                    s.appointment_figures(&period)?,
                ),
            ))
        })
        .await?;

    let site_q = site.as_deref().map(|s| format!("&site={}", url_encode(s))).unwrap_or_default();
    let choices =
        std::iter::once(("", tr(l, "All sites"))).chain(sites.iter().map(|s| (s.as_str(), s.as_str())));
    let (prev, next) = (day.yesterday().unwrap_or(day), day.tomorrow().unwrap_or(day));

    let all: Vec<&ServiceFigures> = services.iter().collect();
    let t = total(&all);
    let tutorials: (u64, u64) =
        learning.iter().fold((0, 0), |a, l| (a.0 + l.tutorials_started, a.1 + l.tutorials_completed));
    let screenings: u64 = learning.iter().map(|l| l.screenings_completed).sum();
    let tiles = [
        (t.visitors.to_string(), tr(l, "visitors")),
        (t.served.to_string(), tr(l, "helped")),
        (t.no_shows.to_string(), tr(l, "did not come")),
        (wait_text(l, t.average_wait_seconds), tr(l, "average wait")),
        (wait_text(l, t.longest_wait_seconds.map(|s| s as f64)), tr(l, "longest wait")),
        (format!("{} / {}", tutorials.1, tutorials.0), tr(l, "tutorials completed / started")),
        (screenings.to_string(), tr(l, "screenings completed")),
    ];

    // Per service, summed over the sites shown.
    let mut per_service: BTreeMap<&str, Vec<&ServiceFigures>> = BTreeMap::new();
    for f in &services {
        per_service.entry(f.service.as_str()).or_default().push(f);
    }

    let body = html! {
        h1 { (fill(tr(l, "Overview of {date}"), &[("date", &long_date(l, day))])) }
        form class="card filters" method="get" action="/" {
            label { (tr(l, "Day")) " " input type="date" name="day" value=(day); }
            label {
                (tr(l, "Site")) " "
                select name="site" {
                    @for (value, label) in choices {
                        option value=(value) selected[site.as_deref().unwrap_or("") == value] { (label) }
                    }
                }
            }
            button type="submit" { (tr(l, "Show")) }
            span class="daynav" {
                a href={ "/?day=" (prev) (site_q) } { "← " (tr(l, "previous day")) }
                a href={ "/?day=" (today) (site_q) } { (tr(l, "today")) }
                a href={ "/?day=" (next) (site_q) } { (tr(l, "next day")) " →" }
                a class="button" href={ "/export.csv?from=" (day) "&to=" (day) (site_q) } { "CSV" }
            }
        }
        div class="tiles" {
            @for (n, label) in &tiles {
                div class="tile" { div class="n" { (n) } div class="l" { (label) } }
            }
        }
        section class="card" {
            h2 { (tr(l, "Visitors per hour")) }
            @if t.visitors == 0 {
                p class="muted" { (tr(l, "No visitors on this day.")) }
            } @else {
                (hour_chart(l, &hours))
            }
        }
        section class="card" {
            h2 { (tr(l, "Per service")) }
            div class="scroll" {
                table {
                    thead {
                        tr {
                            th { (tr(l, "Service")) }
                            th class="num" { (tr(l, "Visitors")) }
                            th class="num" { (tr(l, "Helped")) }
                            th class="num" { (tr(l, "Did not come")) }
                            th class="num" { (tr(l, "Avg. wait")) }
                            th class="num" { (tr(l, "Longest wait")) }
                        }
                    }
                    tbody {
                        @if per_service.is_empty() {
                            tr { td colspan="6" class="muted" { (tr(l, "No tickets yet on this day.")) } }
                        }
                        @for (service, rows) in &per_service {
                            @let s = total(rows);
                            tr {
                                td { (service) }
                                td class="num" { (s.visitors) }
                                td class="num" { (s.served) }
                                td class="num" { (s.no_shows) }
                                td class="num" { (wait_text(l, s.average_wait_seconds)) }
                                td class="num" { (wait_text(l, s.longest_wait_seconds.map(|x| x as f64))) }
                            }
                        }
                    }
                }
            }
        }
        @if !appointments.is_empty() {
            section class="card" id="appointments" {
                h2 { (tr(l, "Appointments")) }
                (super::appointments::figures_table(l, &appointments, false))
            }
        }
        (languages_section(l, &languages))
        (levels_section(l, &levels))
        (kiosks_table(&state, &health, &tokens, site.as_deref(), now))
    };
    Ok(layout(l, tr(l, "Overview"), Some(("/", &admin.csrf)), body))
}

/// The day's visitors per language, each language named for staff: "Tigrinya (ትግርኛ)".
fn languages_section(l: &str, languages: &[(String, u64)]) -> Markup {
    if languages.is_empty() {
        return html! {};
    }
    html! {
        section class="card" id="languages" {
            h2 { (tr(l, "Per language")) }
            div class="scroll" {
                table {
                    thead { tr { th { (tr(l, "Language")) } th class="num" { (tr(l, "Visitors")) } } }
                    tbody {
                        @for (code, n) in languages {
                            tr {
                                td {
                                    @if code.is_empty() { span class="muted" { (tr(l, "not known")) } }
                                    @else { (loket_protocol::languages::for_staff(l, code)) }
                                }
                                td class="num" { (n) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The levels of the day's completed screenings: a stacked bar per competence.
fn levels_section(l: &str, levels: &[(String, String, u64)]) -> Markup {
    let levels_shown: [(&str, &str); 3] =
        [("on_own", tr(l, "on their own")), ("with_help", tr(l, "with help")), ("not_yet", tr(l, "not yet"))];
    if levels.is_empty() {
        return html! {};
    }
    let mut per_competence: BTreeMap<&str, [u64; 3]> = BTreeMap::new();
    for (competence, level, n) in levels {
        if let Some(i) = levels_shown.iter().position(|(name, _)| name == level) {
            per_competence.entry(competence.as_str()).or_default()[i] += n;
        }
    }
    html! {
        section class="card" {
            h2 { (tr(l, "Screenings: level per competence")) }
            p class="legend" {
                @for (name, label) in levels_shown {
                    span class="key" { span class={ "swatch " (name) } {} (label) }
                }
            }
            @for (competence, counts) in &per_competence {
                @let total: u64 = counts.iter().sum::<u64>().max(1);
                div class="level-row" {
                    span class="code" { (competence) }
                    div class="bar" {
                        @for ((name, label), n) in levels_shown.iter().zip(counts) {
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
    let l = state.settings.language.as_str();
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
            h2 { (tr(l, "Kiosks")) }
            div class="scroll" {
                table {
                    thead {
                        tr {
                            th { (tr(l, "Kiosk")) }
                            th { (tr(l, "Warnings")) }
                            th { (tr(l, "Last seen")) }
                            th { (tr(l, "Printer")) }
                            th class="num" { (tr(l, "Backlog")) }
                            th class="num" { (tr(l, "Thrown away")) }
                            th class="num" { (tr(l, "Disk free")) }
                            th class="num" { (tr(l, "Temp.")) }
                            th { (tr(l, "Clock")) }
                            th { (tr(l, "Version")) }
                            th class="num" { (tr(l, "On for")) }
                        }
                    }
                    tbody {
                        @if kiosks.is_empty() {
                            tr {
                                td colspan="11" class="muted" { (tr(l, "No kiosks yet. Make a kiosk key.")) }
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
    let l = state.settings.language.as_str();
    let w = warnings(l, beat.as_ref(), received, now, state.settings.stale_minutes);
    html! {
        tr {
            td class="nowrap" { strong { (kiosk) } br; span class="muted" { (kiosk_site) } }
            td {
                @if w.is_empty() {
                    span class="ok" { (tr(l, "all right")) }
                }
                @for w in &w {
                    span class="warn" { (w) }
                }
            }
            td {
                @match received {
                    None => { (tr(l, "never")) }
                    Some(at) => {
                        @let ago = now.duration_since(at).as_secs().max(0) / 60;
                        @if ago < 1 {
                            (tr(l, "just now"))
                        } @else {
                            (fill(tr(l, "{time} ago"), &[("time", &duration_words(l, ago))]))
                        }
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
                        (_, "out") | ("no_paper", _) => tr(l, "out of paper"),
                        ("ready", _) => tr(l, "ready"),
                        ("not_answering", _) => tr(l, "not answering"),
                        ("fault", _) => tr(l, "fault"),
                        (other, _) => other,
                    };
                    @let dropped: u64 = b.outbox.dropped.values().sum();
                    @let disk = b.disk_free_bytes
                        .map_or("–".into(), |d| decimal(l, format!("{:.1} GB", d as f64 / 1e9)));
                    @let temp = b.cpu_temperature_celsius.map_or("–".into(), |t| format!("{t:.0} °C"));
                    td { (printer) }
                    td class="num" {
                        (b.outbox.backlog)
                        @if let Some(oldest) = b.outbox.oldest_unsent_at {
                            @let ago = b.sent_at.duration_since(oldest).as_secs().max(0) / 60;
                            br;
                            span class="muted" { (fill(tr(l, "oldest {time}"), &[("time", &duration_words(l, ago))])) }
                        }
                    }
                    td class="num" { (dropped) }
                    td class="num" { (disk) }
                    td class="num" { (temp) }
                    td { @if b.clock_synced { (tr(l, "right")) } @else { (tr(l, "not right")) } }
                    td { (b.version) }
                    td class="num" { (duration_words(l, i64::try_from(b.uptime_seconds / 60).unwrap_or(i64::MAX))) }
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

/// A day in words in the language `l`: "maandag 30 november 2026", "Monday 30 November 2026".
fn long_date(l: &str, day: Date) -> String {
    let days = [
        tr(l, "Monday"),
        tr(l, "Tuesday"),
        tr(l, "Wednesday"),
        tr(l, "Thursday"),
        tr(l, "Friday"),
        tr(l, "Saturday"),
        tr(l, "Sunday"),
    ];
    let months = [
        tr(l, "January"),
        tr(l, "February"),
        tr(l, "March"),
        tr(l, "April"),
        tr(l, "May"),
        tr(l, "June"),
        tr(l, "July"),
        tr(l, "August"),
        tr(l, "September"),
        tr(l, "October"),
        tr(l, "November"),
        tr(l, "December"),
    ];
    let weekday = days[usize::try_from(day.weekday().to_monday_zero_offset()).unwrap_or(0) % 7];
    let month = months[usize::try_from(day.month() - 1).unwrap_or(0) % 12];
    // TRANSLATORS: the order of a date in words, e.g. "Monday 30 November 2026".
    let template = tr(l, "{weekday} {day} {month} {year}");
    fill(
        template,
        &[
            ("weekday", weekday),
            ("day", &day.day().to_string()),
            ("month", month),
            ("year", &day.year().to_string()),
        ],
    )
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

/// `GET /export.csv?from=&to=&site=`: one row per site, day and service; then the learning and
/// the appointment figures per site and day.
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
    let (services, learning, appointments) = state
        .with_store(move |s| {
            Ok((s.service_figures(&period)?, s.learning_figures(&period)?, s.appointment_figures(&period)?))
        })
        .await?;
    let name = format!("loket-{from}-{to}.csv");
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
        .map_err(|e| CentralError::Internal(e.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        csv(&services, &learning, &appointments),
    )
        .into_response())
}

fn tokens_page(
    l: &str,
    admin: &Admin,
    tokens: &[super::store::TokenInfo],
    created: Option<(&str, &str)>,
    problem: Option<&str>,
    zone: &jiff::tz::TimeZone,
) -> Markup {
    let body = html! {
        h1 { (tr(l, "Kiosk keys")) }
        @if let Some((kiosk, token)) = created {
            section class="notice" role="status" {
                strong { (fill(tr(l, "New key for {kiosk}."), &[("kiosk", kiosk)])) }
                " " (tr(l, "Put it in the kiosk's settings now: it is shown only once."))
                code class="token" id="new-token" { (token) }
            }
            p {}
        }
        @if let Some(p) = problem {
            p class="alert" role="alert" { (p) }
        }
        section class="card" {
            h2 { (tr(l, "New key")) }
            form method="post" action="/tokens" class="filters" {
                (hidden_csrf(admin))
                label { (tr(l, "Kiosk")) " " input name="kiosk" required placeholder="digilabo-1" pattern="[A-Za-z0-9._-]+"; }
                label { (tr(l, "Site")) " " input name="site" required placeholder="Gent Zuid"; }
                button type="submit" { (tr(l, "Make a key")) }
            }
        }
        section class="card" {
            h2 { (tr(l, "Keys")) }
            div class="scroll" {
                table {
                    thead { tr { th { (tr(l, "Kiosk")) } th { (tr(l, "Made")) } th { (tr(l, "Status")) } } }
                    tbody {
                        @if tokens.is_empty() {
                            tr { td colspan="3" class="muted" { (tr(l, "No keys yet.")) } }
                        }
                        @for t in tokens {
                            tr {
                                td class="nowrap" { strong { (t.kiosk) } br; span class="muted" { (t.site) } }
                                td { (local_time(&t.created_at, zone)) }
                                td {
                                    @match &t.revoked_at {
                                        Some(at) => {
                                            span class="muted" {
                                                (fill(tr(l, "revoked {time}"), &[("time", &local_time(at, zone))]))
                                            }
                                        }
                                        None => {
                                            form method="post" action={ "/tokens/" (t.id) "/revoke" } class="inline" {
                                                (hidden_csrf(admin))
                                                span class="ok" { (tr(l, "active")) }
                                                " "
                                                button class="danger small" type="submit" { (tr(l, "Revoke")) }
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
    layout(l, tr(l, "Kiosk keys"), Some(("/tokens", &admin.csrf)), body)
}

/// `GET /tokens`
pub async fn tokens(State(state): State<CentralState>, admin: Admin) -> Result<Markup, CentralError> {
    let tokens = state.with_store(|s| s.tokens()).await?;
    Ok(tokens_page(&state.settings.language, &admin, &tokens, None, None, &state.settings.time_zone))
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
        let l = state.settings.language.as_str();
        let problem = tr(l, "Give a kiosk name (letters, digits, . _ -) and a site.");
        return Ok((
            axum::http::StatusCode::BAD_REQUEST,
            tokens_page(l, &admin, &tokens, None, Some(problem), &state.settings.time_zone),
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
    let l = state.settings.language.as_str();
    Ok(tokens_page(l, &admin, &tokens, Some((&kiosk, &token)), None, &state.settings.time_zone)
        .into_response())
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

/// Its words come from the page (`data-*` of the form), in the staff's language.
const UPLOAD_SCRIPT: &str = r#"
document.getElementById('content-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = e.target, file = f.pack.files[0], out = document.getElementById('content-result');
  if (!file) { out.textContent = f.dataset.chooseFile; return; }
  out.textContent = f.dataset.uploading;
  const kiosk = encodeURIComponent(f.kiosk.value);
  const r = await fetch('/files/content?kiosk=' + kiosk, {method: 'POST', body: file,
    headers: {'x-csrf-token': f.csrf.value, 'content-type': 'application/x-tar'}});
  const j = await r.json().catch(() => ({}));
  if (r.ok) { location.reload(); } else { out.textContent = f.dataset.failed.replace('{reason}', j.error || r.status); }
});
"#;

/// `GET /files`: the settings and content packs kiosks pull, and forms to change them.
pub async fn files(State(state): State<CentralState>, admin: Admin) -> Result<Markup, CentralError> {
    let (files, tokens) = state.with_store(|s| Ok((s.files()?, s.tokens()?))).await?;
    let zone = &state.settings.time_zone;
    let l = state.settings.language.as_str();
    let mut kiosks: Vec<&str> = tokens.iter().map(|t| t.kiosk.as_str()).collect();
    kiosks.sort_unstable();
    kiosks.dedup();
    let options = html! {
        option value="" { (tr(l, "all kiosks")) }
        @for k in &kiosks {
            option value=(k) { (k) }
        }
    };
    let body = html! {
        h1 { (tr(l, "Settings and content")) }
        p class="muted" { (tr(l, "A kiosk fetches its own file, or else the one for all kiosks.")) }
        section class="card" {
            h2 { (tr(l, "Ready now")) }
            div class="scroll" {
                table {
                    thead {
                        tr {
                            th { (tr(l, "For")) }
                            th { (tr(l, "Kind")) }
                            th class="num" { (tr(l, "Size")) }
                            th { (tr(l, "Changed")) }
                            th { "ETag" }
                            th {}
                        }
                    }
                    tbody {
                        @if files.is_empty() {
                            tr { td colspan="6" class="muted" { (tr(l, "Nothing ready yet.")) } }
                        }
                        @for f in &files {
                            tr {
                                td { (f.kiosk.as_deref().unwrap_or(tr(l, "all kiosks"))) }
                                td { @if f.kind == "content" { (tr(l, "content pack")) } @else { (tr(l, "settings")) } }
                                td class="num" { (f.size.div_ceil(1024)) " kB" }
                                td { (local_time(&f.updated_at, zone)) }
                                td { code { (f.etag.get(1..13).unwrap_or(&f.etag)) } }
                                td {
                                    form method="post" action="/files/delete" {
                                        (hidden_csrf(&admin))
                                        input type="hidden" name="kind" value=(f.kind);
                                        input type="hidden" name="kiosk" value=(f.kiosk.as_deref().unwrap_or(""));
                                        button class="danger" type="submit" { (tr(l, "Delete")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        section class="card" {
            h2 { (tr(l, "Settings (loket.toml)")) }
            form method="post" action="/files/settings" class="stack" {
                (hidden_csrf(&admin))
                label { (tr(l, "For")) " " select name="kiosk" { (options) } }
                label { (tr(l, "Contents")) " " textarea name="toml" required spellcheck="false" {} }
                button type="submit" { (tr(l, "Save")) }
            }
        }
        section class="card" {
            h2 { (tr(l, "Content pack (tar)")) }
            form id="content-form" class="stack"
                data-choose-file=(tr(l, "Choose a file first."))
                data-uploading=(tr(l, "Uploading…"))
                data-failed=(tr(l, "Did not work: {reason}")) {
                (hidden_csrf(&admin))
                label { (tr(l, "For")) " " select name="kiosk" { (options) } }
                label { (tr(l, "File")) " " input type="file" name="pack" accept=".tar,application/x-tar"; }
                button type="submit" { (tr(l, "Upload")) }
                p id="content-result" role="status" {}
            }
        }
        script { (PreEscaped(UPLOAD_SCRIPT)) }
    };
    Ok(layout(l, tr(l, "Settings and content"), Some(("/files", &admin.csrf)), body))
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

/// Checks that bytes are a content pack the kiosks will take: a tar archive of plain relative
/// paths, files and folders only, within the kiosks' limits (the rule is shared with the kiosk,
/// [`loket_protocol::content_pack`]). The number of files and folders.
pub fn check_tar(bytes: &[u8]) -> Result<usize, loket_protocol::content_pack::PackRefused> {
    loket_protocol::content_pack::check_archive(bytes)
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
    fn dates_read_in_the_staff_language() {
        let day = "2026-11-30".parse().unwrap();
        assert_eq!(long_date("nl", day), "maandag 30 november 2026");
        assert_eq!(long_date("fr", day), "lundi 30 novembre 2026");
        assert_eq!(long_date("en", day), "Monday 30 November 2026");
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
        let mut builder = tar::Builder::new(Vec::new());
        let mut link = tar::Header::new_gnu();
        link.set_entry_type(tar::EntryType::Link);
        link.set_size(0);
        builder.append_link(&mut link, "tutorials/a.toml", "etc/passwd").unwrap();
        let refused = check_tar(&builder.into_inner().unwrap()).unwrap_err().to_string();
        assert!(refused.starts_with("\"tutorials/a.toml\" is a hard link"), "{refused}");
    }
}

//! The appointments an organisation plans centrally, per site: the admin page that books, moves
//! and cancels them (a time, a service, optionally a desk and the visitor's language; the
//! booking code is drawn here, six random digits), and their figures per site and day over a
//! chosen period — booked, kept (checked in), late, did not come, cancelled — from the events
//! the kiosks send. The kiosks of a site pull the plan through [`super::api::appointments`].
//!
//! It owns these pages' wording and the checks of their forms. It must never take or show a
//! person's name (there is no field for one), and must not count figures itself: the store
//! does ([`super::store::CentralStore::appointment_figures`]).

use axum::extract::{Path, Query, State};
use axum::response::Redirect;
use jiff::civil::{Date, Time};
use maud::{Markup, html};
use serde::Deserialize;

use super::CentralState;
use super::admin::{Admin, CSRF_FIELD, CsrfForm, PostedForm};
use super::error::CentralError;
use super::layout::layout;
use super::store::{AppointmentChange, AppointmentFigures, CentralAppointment, Period};
use loket_protocol::appointments::{is_plain_id, new_booking_code};
use loket_protocol::i18n::tr;

/// How many codes are drawn before booking gives up (a site with nearly a million codes in use).
const CODE_DRAWS: usize = 20;
/// The figures' period when none is chosen: the last four weeks up to today.
const DEFAULT_PERIOD_DAYS: i64 = 27;

/// A booking code as staff read it out: `482 913`.
pub fn shown_code(code: &str) -> String {
    match (code.get(..3), code.get(3..)) {
        (Some(a), Some(b)) if code.len() == 6 => format!("{a} {b}"),
        _ => code.to_owned(),
    }
}

fn hidden_csrf(admin: &Admin) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(admin.csrf); }
}

fn parse_date(field: &str, text: &str) -> Result<Date, CentralError> {
    text.trim()
        .parse::<Date>()
        .map_err(|_| CentralError::BadRequest(format!("{field} {text:?} is not a date such as 2026-12-04")))
}

/// A local date and time (`10:30`) in the sites' time zone: (RFC 3339 UTC, local day).
fn start_time(state: &CentralState, date: &str, time: &str) -> Result<(String, String), CentralError> {
    let day = parse_date("date", date)?;
    let clock = time
        .trim()
        .parse::<Time>()
        .map_err(|_| CentralError::BadRequest(format!("time {time:?} is not a time such as 10:30")))?;
    let clock = Time::new(clock.hour(), clock.minute(), 0, 0).unwrap_or(clock);
    let zoned = day
        .to_datetime(clock)
        .to_zoned(state.settings.time_zone.clone())
        .map_err(|e| CentralError::BadRequest(format!("{date} {time} is not a time here: {e}")))?;
    Ok((zoned.timestamp().to_string(), day.to_string()))
}

fn today(state: &CentralState) -> Date {
    state.clock.now().to_zoned(state.settings.time_zone.clone()).date()
}

/// A service, desk or language field: an id as the kiosk's config writes it; empty is none.
fn optional_id(field: &str, value: Option<&str>) -> Result<Option<String>, CentralError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) if is_plain_id(v) => Ok(Some(v.to_owned())),
        Some(v) => Err(CentralError::BadRequest(format!(
            "{field} {v:?} is not an id as the kiosk's settings write it (letters, digits, - and _)"
        ))),
    }
}

fn required_id(field: &str, value: &str) -> Result<String, CentralError> {
    optional_id(field, Some(value))?.ok_or_else(|| CentralError::BadRequest(format!("give a {field}")))
}

#[derive(Debug, Deserialize)]
pub struct AppointmentsQuery {
    site: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// `GET /appointments?site=&from=&to=`: the appointments from today on, the booking form, and
/// the figures over the period (the last four weeks when none is chosen).
pub async fn page(
    State(state): State<CentralState>,
    admin: Admin,
    Query(query): Query<AppointmentsQuery>,
) -> Result<Markup, CentralError> {
    let l = state.settings.language.as_str();
    let today = today(&state);
    let to = match query.to.as_deref().filter(|t| !t.is_empty()) {
        Some(t) => parse_date("to", t)?,
        None => today,
    };
    let from = match query.from.as_deref().filter(|t| !t.is_empty()) {
        Some(f) => parse_date("from", f)?,
        None => to.checked_sub(jiff::Span::new().days(DEFAULT_PERIOD_DAYS)).unwrap_or(to),
    };
    if to < from {
        return Err(CentralError::BadRequest(format!("to ({to}) is before from ({from})")));
    }
    let site = query.site.filter(|s| !s.is_empty());
    let period = Period { from: from.to_string(), to: to.to_string(), site: site.clone() };
    let listed_site = site.clone();
    let (planned, figures, sites) = state
        .with_store(move |s| {
            Ok((
                s.appointments(listed_site.as_deref(), &today.to_string())?,
                s.appointment_figures(&period)?,
                s.sites()?,
            ))
        })
        .await?;
    let zone = state.settings.time_zone.clone();
    let body = html! {
        h1 { (tr(l, "Appointments")) }
        p class="muted" {
            (tr(l, "The kiosks of a site fetch its appointments ahead of time, so visitors can check in with their code even when the network is down. Give the visitor the code; no names are kept here."))
        }
        section class="card" {
            h2 { (tr(l, "Book an appointment")) }
            form method="post" action="/appointments" class="filters" {
                (hidden_csrf(&admin))
                label { (tr(l, "Site")) " "
                    input name="site" required list="sites" value=(site.as_deref().unwrap_or(""));
                }
                datalist id="sites" { @for s in &sites { option value=(s) {} } }
                label { (tr(l, "Day")) " " input type="date" name="date" required value=(today); }
                label { (tr(l, "Time")) " " input type="time" name="time" required; }
                label { (tr(l, "Service")) " " input name="service" required placeholder="email" pattern="[A-Za-z0-9_-]+"; }
                label { (tr(l, "Desk (optional)")) " " input name="desk" placeholder="desk-1" pattern="[A-Za-z0-9_-]*"; }
                label { (tr(l, "Language (optional)")) " " input name="language" placeholder="nl" pattern="[A-Za-z0-9_-]*"; }
                button type="submit" { (tr(l, "Book")) }
            }
        }
        section class="card" id="planned" {
            h2 { (tr(l, "From today on")) }
            div class="scroll" {
                table {
                    thead {
                        tr {
                            th { (tr(l, "When")) }
                            th { (tr(l, "Site")) }
                            th { (tr(l, "Service")) }
                            th { (tr(l, "Desk")) }
                            th { (tr(l, "Language")) }
                            th { (tr(l, "Code")) }
                            th { (tr(l, "Move or cancel")) }
                        }
                    }
                    tbody {
                        @if planned.is_empty() {
                            tr { td colspan="7" class="muted" { (tr(l, "No appointments planned.")) } }
                        }
                        @for a in &planned {
                            (planned_row(l, &admin, a, &zone))
                        }
                    }
                }
            }
        }
        section class="card" id="figures" {
            h2 { (tr(l, "Figures")) }
            form class="filters" method="get" action="/appointments" {
                label { (tr(l, "From")) " " input type="date" name="from" value=(from); }
                label { (tr(l, "To")) " " input type="date" name="to" value=(to); }
                input type="hidden" name="site" value=(site.as_deref().unwrap_or(""));
                button type="submit" { (tr(l, "Show")) }
                a class="button" href={ "/export.csv?from=" (from) "&to=" (to) } { "CSV" }
            }
            (figures_table(l, &figures, true))
        }
    };
    Ok(layout(l, tr(l, "Appointments"), Some(("/appointments", &admin.csrf)), body))
}

fn planned_row(l: &str, admin: &Admin, a: &CentralAppointment, zone: &jiff::tz::TimeZone) -> Markup {
    let local = a.starts_at.parse::<jiff::Timestamp>().ok().map(|t| t.to_zoned(zone.clone()));
    let (date, time) = local
        .as_ref()
        .map(|z| (z.date().to_string(), z.strftime("%H:%M").to_string()))
        .unwrap_or_else(|| (a.day.clone(), String::new()));
    html! {
        tr id={ "a-" (a.uid) } {
            td class="nowrap" { (date) " " strong { (time) } }
            td { (a.site) }
            td { (a.service) }
            td { (a.desk.as_deref().unwrap_or("–")) }
            td { (a.language.as_deref().unwrap_or("–")) }
            td class="nowrap" { code { (shown_code(&a.code)) } }
            td {
                @if a.cancelled {
                    span class="muted" { (tr(l, "cancelled")) }
                } @else {
                    form method="post" action={ "/appointments/" (a.uid) "/move" } class="inline" {
                        (hidden_csrf(admin))
                        input type="date" name="date" required value=(date) aria-label=(tr(l, "Day"));
                        input type="time" name="time" required value=(time) aria-label=(tr(l, "Time"));
                        input name="service" required value=(a.service) size="8" aria-label=(tr(l, "Service"));
                        input name="desk" value=(a.desk.as_deref().unwrap_or("")) size="6" aria-label=(tr(l, "Desk"));
                        button class="small" type="submit" { (tr(l, "Move")) }
                    }
                    form method="post" action={ "/appointments/" (a.uid) "/cancel" } class="inline" {
                        (hidden_csrf(admin))
                        button class="danger small" type="submit" { (tr(l, "Cancel")) }
                    }
                }
            }
        }
    }
}

/// The appointment figures per day and site, with a total row when `with_total` and there is
/// more than one row.
pub fn figures_table(l: &str, figures: &[AppointmentFigures], with_total: bool) -> Markup {
    let mut total = AppointmentFigures::default();
    for f in figures {
        total.booked += f.booked;
        total.kept += f.kept;
        total.late += f.late;
        total.no_shows += f.no_shows;
        total.cancelled += f.cancelled;
    }
    html! {
        div class="scroll" {
            table {
                thead {
                    tr {
                        th { (tr(l, "Day")) }
                        th { (tr(l, "Site")) }
                        th class="num" { (tr(l, "Booked")) }
                        th class="num" { (tr(l, "Checked in")) }
                        th class="num" { (tr(l, "Late")) }
                        th class="num" { (tr(l, "Did not come")) }
                        th class="num" { (tr(l, "Cancelled")) }
                    }
                }
                tbody {
                    @if figures.is_empty() {
                        tr { td colspan="7" class="muted" { (tr(l, "No appointments in this period.")) } }
                    }
                    @for f in figures {
                        tr {
                            td class="nowrap" { (f.day) }
                            td { (f.site) }
                            td class="num" { (f.booked) }
                            td class="num" { (f.kept) }
                            td class="num" { (f.late) }
                            td class="num" { (f.no_shows) }
                            td class="num" { (f.cancelled) }
                        }
                    }
                    @if with_total && figures.len() > 1 {
                        tr class="total" {
                            th colspan="2" { (tr(l, "Total")) }
                            th class="num" { (total.booked) }
                            th class="num" { (total.kept) }
                            th class="num" { (total.late) }
                            th class="num" { (total.no_shows) }
                            th class="num" { (total.cancelled) }
                        }
                    }
                }
            }
        }
    }
}

/// `POST /appointments`'s form. There is no field for a name.
#[derive(Debug, Deserialize)]
pub struct BookForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    site: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    time: String,
    #[serde(default)]
    service: String,
    #[serde(default)]
    desk: Option<String>,
    #[serde(default)]
    language: Option<String>,
}

/// `POST /appointments`: books an appointment with a new booking code; back to the list.
pub async fn book(
    State(state): State<CentralState>,
    admin: Admin,
    PostedForm(form): PostedForm<BookForm>,
) -> Result<Redirect, CentralError> {
    admin.check_csrf(form.csrf.as_deref())?;
    let site = form.site.trim().to_owned();
    if site.is_empty() || site.len() > 100 || site.chars().any(char::is_control) {
        return Err(CentralError::BadRequest("give the site (at most 100 characters)".into()));
    }
    let (starts_at, day) = start_time(&state, &form.date, &form.time)?;
    let today = today(&state);
    if day < today.to_string() {
        return Err(CentralError::BadRequest(format!("{day} has passed")));
    }
    let now = state.clock.now().to_string();
    let appointment = CentralAppointment {
        uid: uuid::Uuid::new_v4().to_string(),
        site,
        code: String::new(),
        starts_at,
        day,
        service: required_id("service", &form.service)?,
        desk: optional_id("desk", form.desk.as_deref())?,
        language: optional_id("language", form.language.as_deref())?,
        cancelled: false,
        updated_at: now,
    };
    let today = today.to_string();
    let booked = state
        .with_store(move |s| {
            for _ in 0..CODE_DRAWS {
                let drawn = CentralAppointment { code: new_booking_code(), ..appointment.clone() };
                if s.book_appointment(&drawn, &today)? {
                    return Ok(Some(drawn));
                }
            }
            Ok(None)
        })
        .await?
        .ok_or_else(|| CentralError::Internal("no free booking code was found; try again".into()))?;
    log::info!(
        "central: {} booked appointment {} at {} for {}",
        admin.name,
        booked.uid,
        booked.site,
        booked.starts_at
    );
    Ok(Redirect::to(&format!("/appointments#a-{}", booked.uid)))
}

/// `POST /appointments/{uid}/move`'s form.
#[derive(Debug, Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    date: String,
    #[serde(default)]
    time: String,
    #[serde(default)]
    service: String,
    #[serde(default)]
    desk: Option<String>,
}

/// `POST /appointments/{uid}/move`: a new time (and service and desk), the same code.
pub async fn move_one(
    State(state): State<CentralState>,
    admin: Admin,
    Path(uid): Path<String>,
    PostedForm(form): PostedForm<MoveForm>,
) -> Result<Redirect, CentralError> {
    admin.check_csrf(form.csrf.as_deref())?;
    let (starts_at, day) = start_time(&state, &form.date, &form.time)?;
    if day < today(&state).to_string() {
        return Err(CentralError::BadRequest(format!("{day} has passed")));
    }
    let change = AppointmentChange {
        starts_at,
        day,
        service: required_id("service", &form.service)?,
        desk: optional_id("desk", form.desk.as_deref())?,
    };
    let at = state.clock.now().to_string();
    let which = uid.clone();
    if !state.with_store(move |s| s.move_appointment(&which, &change, &at)).await? {
        return Err(CentralError::NotFound(format!("there is no appointment {uid:?} to move")));
    }
    log::info!("central: {} moved appointment {uid}", admin.name);
    Ok(Redirect::to(&format!("/appointments#a-{uid}")))
}

/// `POST /appointments/{uid}/cancel`: the code no longer checks in at the kiosks.
pub async fn cancel(
    State(state): State<CentralState>,
    admin: Admin,
    Path(uid): Path<String>,
    PostedForm(form): PostedForm<CsrfForm>,
) -> Result<Redirect, CentralError> {
    admin.check_csrf(form.csrf.as_deref())?;
    let at = state.clock.now().to_string();
    let which = uid.clone();
    if !state.with_store(move |s| s.cancel_appointment(&which, &at)).await? {
        return Err(CentralError::NotFound(format!("there is no appointment {uid:?} to cancel")));
    }
    log::info!("central: {} cancelled appointment {uid}", admin.name);
    Ok(Redirect::to("/appointments"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_read_out_in_two_groups() {
        assert_eq!(shown_code("482913"), "482 913");
        assert_eq!(shown_code("4829"), "4829", "anything else as it is");
    }

    #[test]
    fn the_figures_table_adds_up_the_period() {
        let day = |d: &str, booked, kept| AppointmentFigures {
            site: "Gent".into(),
            day: d.into(),
            booked,
            kept,
            late: 1,
            no_shows: 0,
            cancelled: 0,
        };
        let table =
            figures_table("en", &[day("2026-12-01", 3, 2), day("2026-12-02", 4, 4)], true).into_string();
        assert!(
            table.contains("<th class=\"num\">7</th><th class=\"num\">6</th><th class=\"num\">2</th>"),
            "{table}"
        );
        let empty = figures_table("en", &[], true).into_string();
        assert!(empty.contains("No appointments in this period."), "{empty}");
    }
}

//! The admin pages, server-rendered Dutch HTML with inline CSS (no CDN, one small script for
//! uploading a content pack): the dashboard with the day's figures and the kiosks' health, the
//! CSV export, kiosk tokens, and the settings and content kiosks pull.
//!
//! It owns the pages' wording and layout. Figures come from the store, their reading from
//! [`super::figures`]; it must not compute figures itself beyond adding them up.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use jiff::civil::Date;
use serde::Deserialize;

use super::CentralState;
use super::admin::{Admin, CSRF_FIELD, form};
use super::error::{Body, CentralError};
use super::figures::{csv, duration_words, hour_chart, html, minutes, warnings};
use super::layout::layout;
use super::store::{FileKind, Period, ServiceFigures, token_hash};
use loket_protocol::report::{Heartbeat, MAX_BODY_BYTES, MAX_CONTENT_BYTES};

fn hidden_csrf(admin: &Admin) -> String {
    format!("<input type=\"hidden\" name=\"{CSRF_FIELD}\" value=\"{}\">", html(&admin.csrf))
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
) -> Result<Html<String>, CentralError> {
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

    let mut body = String::new();
    let site_q = site.as_deref().map(|s| format!("&amp;site={}", html(&url_encode(s)))).unwrap_or_default();
    let options: String = std::iter::once(("".to_owned(), "Alle vestigingen".to_owned()))
        .chain(sites.iter().map(|s| (s.clone(), s.clone())))
        .map(|(value, label)| {
            let selected = if site.as_deref().unwrap_or("") == value { " selected" } else { "" };
            format!("<option value=\"{}\"{selected}>{}</option>", html(&value), html(&label))
        })
        .collect();
    let (prev, next) = (day.yesterday().unwrap_or(day), day.tomorrow().unwrap_or(day));
    let _ = write!(
        body,
        "<h1>Overzicht van {}</h1>\
         <form class=\"card filters\" method=\"get\" action=\"/\">\
         <label>Dag <input type=\"date\" name=\"day\" value=\"{day}\"></label>\
         <label>Vestiging <select name=\"site\">{options}</select></label>\
         <button type=\"submit\">Toon</button>\
         <span class=\"daynav\"><a href=\"/?day={prev}{site_q}\">← vorige dag</a>\
         <a href=\"/?day={today}{site_q}\">vandaag</a><a href=\"/?day={next}{site_q}\">volgende dag →</a>\
         <a class=\"button\" href=\"/export.csv?from={day}&amp;to={day}{site_q}\">CSV</a></span></form>",
        html(&dutch_date(day)),
    );

    let all: Vec<&ServiceFigures> = services.iter().collect();
    let t = total(&all);
    let tutorials: (u64, u64) =
        learning.iter().fold((0, 0), |a, l| (a.0 + l.tutorials_started, a.1 + l.tutorials_completed));
    let screenings: u64 = learning.iter().map(|l| l.screenings_completed).sum();
    let tile = |n: String, label: &str| {
        format!("<div class=\"tile\"><div class=\"n\">{n}</div><div class=\"l\">{label}</div></div>")
    };
    body.push_str("<div class=\"tiles\">");
    body.push_str(&tile(t.visitors.to_string(), "bezoekers"));
    body.push_str(&tile(t.served.to_string(), "geholpen"));
    body.push_str(&tile(t.no_shows.to_string(), "niet gekomen"));
    body.push_str(&tile(wait_text(t.average_wait_seconds), "gemiddelde wachttijd"));
    body.push_str(&tile(wait_text(t.longest_wait_seconds.map(|s| s as f64)), "langste wachttijd"));
    body.push_str(&tile(format!("{} / {}", tutorials.1, tutorials.0), "tutorials voltooid / gestart"));
    body.push_str(&tile(screenings.to_string(), "screenings voltooid"));
    body.push_str("</div>");

    let _ = write!(
        body,
        "<section class=\"card\"><h2>Bezoekers per uur</h2>{}</section>",
        if t.visitors == 0 {
            "<p class=\"muted\">Geen bezoekers op deze dag.</p>".into()
        } else {
            hour_chart(&hours)
        }
    );

    // Per service, summed over the sites shown.
    let mut per_service: BTreeMap<&str, Vec<&ServiceFigures>> = BTreeMap::new();
    for f in &services {
        per_service.entry(f.service.as_str()).or_default().push(f);
    }
    body.push_str(
        "<section class=\"card\"><h2>Per dienst</h2><div class=\"scroll\"><table><thead><tr><th>Dienst</th>\
         <th class=\"num\">Bezoekers</th><th class=\"num\">Geholpen</th><th class=\"num\">Niet gekomen</th>\
         <th class=\"num\">Gem. wacht</th><th class=\"num\">Langste wacht</th></tr></thead><tbody>",
    );
    if per_service.is_empty() {
        body.push_str("<tr><td colspan=\"6\" class=\"muted\">Nog geen tickets op deze dag.</td></tr>");
    }
    for (service, rows) in &per_service {
        let s = total(rows);
        let _ = write!(
            body,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            html(service),
            s.visitors,
            s.served,
            s.no_shows,
            wait_text(s.average_wait_seconds),
            wait_text(s.longest_wait_seconds.map(|x| x as f64))
        );
    }
    body.push_str("</tbody></table></div></section>");

    body.push_str(&levels_section(&levels));
    body.push_str(&kiosks_table(&state, &health, &tokens, site.as_deref(), now));
    Ok(Html(layout("Overzicht", Some(("/", &admin.csrf)), &body)))
}

/// The levels of the day's completed screenings: a stacked bar per competence.
fn levels_section(levels: &[(String, String, u64)]) -> String {
    const LEVELS: [(&str, &str); 3] =
        [("on_own", "zelfstandig"), ("with_help", "met hulp"), ("not_yet", "nog niet")];
    if levels.is_empty() {
        return String::new();
    }
    let mut per_competence: BTreeMap<&str, [u64; 3]> = BTreeMap::new();
    for (competence, level, n) in levels {
        if let Some(i) = LEVELS.iter().position(|(name, _)| name == level) {
            per_competence.entry(competence.as_str()).or_default()[i] += n;
        }
    }
    let legend: String = LEVELS
        .iter()
        .map(|(name, label)| {
            format!("<span class=\"key\"><span class=\"swatch {name}\"></span>{label}</span>")
        })
        .collect();
    let mut out = format!(
        "<section class=\"card\"><h2>Screenings: niveau per competentie</h2><p class=\"legend\">{legend}</p>"
    );
    for (competence, counts) in &per_competence {
        let total: u64 = counts.iter().sum::<u64>().max(1);
        let _ = write!(
            out,
            "<div class=\"level-row\"><span class=\"code\">{}</span><div class=\"bar\">",
            html(competence)
        );
        for ((name, label), n) in LEVELS.iter().zip(counts) {
            if *n > 0 {
                let _ = write!(
                    out,
                    "<span class=\"{name}\" style=\"width:{:.1}%\" title=\"{label}: {n}\">{n}</span>",
                    *n as f64 * 100.0 / total as f64
                );
            }
        }
        out.push_str("</div></div>");
    }
    out.push_str("</section>");
    out
}

fn kiosks_table(
    state: &CentralState,
    health: &[super::store::KioskHealth],
    tokens: &[super::store::TokenInfo],
    site: Option<&str>,
    now: jiff::Timestamp,
) -> String {
    // Every kiosk with a live token or a heartbeat.
    let mut kiosks: BTreeMap<(String, String), Option<&super::store::KioskHealth>> = BTreeMap::new();
    for t in tokens.iter().filter(|t| t.revoked_at.is_none()) {
        kiosks.entry((t.site.clone(), t.kiosk.clone())).or_insert(None);
    }
    for h in health {
        kiosks.retain(|(_, k), v| !(k == &h.kiosk && v.is_none()));
        kiosks.insert((h.site.clone(), h.kiosk.clone()), Some(h));
    }
    let mut out = String::from(
        "<section class=\"card\" id=\"kiosks\"><h2>Kiosken</h2><div class=\"scroll\"><table><thead><tr>\
         <th>Kiosk</th><th>Waarschuwingen</th><th>Laatst gezien</th><th>Printer</th><th class=\"num\">Achterstand</th>\
         <th class=\"num\">Weggegooid</th><th class=\"num\">Schijf vrij</th><th class=\"num\">Temp.</th>\
         <th>Klok</th><th>Versie</th><th class=\"num\">Aan sinds</th></tr></thead><tbody>",
    );
    if kiosks.is_empty() {
        out.push_str(
            "<tr><td colspan=\"11\" class=\"muted\">Nog geen kiosken. Maak een kiosksleutel aan.</td></tr>",
        );
    }
    for ((kiosk_site, kiosk), h) in &kiosks {
        if site.is_some_and(|s| s != kiosk_site) {
            continue;
        }
        let received = h.and_then(|h| h.received_at.parse::<jiff::Timestamp>().ok());
        let beat: Option<Heartbeat> = h.and_then(|h| serde_json::from_str(&h.body).ok());
        let w = warnings(beat.as_ref(), received, now, state.settings.stale_minutes);
        let warn = if w.is_empty() {
            "<span class=\"ok\">in orde</span>".to_owned()
        } else {
            w.iter().map(|w| format!("<span class=\"warn\">{}</span>", html(w))).collect()
        };
        let seen = received.map_or("nooit".into(), |at| {
            let ago = now.duration_since(at).as_secs().max(0) / 60;
            let local = at.to_zoned(state.settings.time_zone.clone());
            let when =
                if ago < 1 { "zojuist".to_owned() } else { format!("{} geleden", duration_words(ago)) };
            format!("{when}<br><span class=\"muted\">{}</span>", local.strftime("%d-%m %H:%M"))
        });
        let _ = write!(
            out,
            "<tr><td class=\"nowrap\"><strong>{}</strong><br><span class=\"muted\">{}</span></td><td>{warn}</td><td>{seen}</td>",
            html(kiosk),
            html(kiosk_site)
        );
        match &beat {
            None => out.push_str("<td>–</td><td class=\"num\">–</td><td class=\"num\">–</td><td class=\"num\">–</td><td class=\"num\">–</td><td>–</td><td>–</td><td class=\"num\">–</td></tr>"),
            Some(b) => {
                let printer = match (b.printer.state.as_str(), b.printer.paper.as_str()) {
                    (_, "out") | ("no_paper", _) => "papier op".to_owned(),
                    ("ready", _) => "klaar".to_owned(),
                    ("not_answering", _) => "antwoordt niet".to_owned(),
                    ("fault", _) => "storing".to_owned(),
                    (other, _) => other.to_owned(),
                };
                let oldest = b.outbox.oldest_unsent_at.map_or(String::new(), |o| {
                    let ago = b.sent_at.duration_since(o).as_secs().max(0) / 60;
                    format!("<br><span class=\"muted\">oudste {}</span>", duration_words(ago))
                });
                let dropped: u64 = b.outbox.dropped.values().sum();
                let disk = b.disk_free_bytes.map_or("–".into(), |d| format!("{:.1} GB", d as f64 / 1e9).replace('.', ","));
                let temp = b.cpu_temperature_celsius.map_or("–".into(), |t| format!("{t:.0} °C"));
                let clock = if b.clock_synced { "gelijk" } else { "niet gelijk" };
                let up = duration_words(i64::try_from(b.uptime_seconds / 60).unwrap_or(i64::MAX));
                let _ = write!(
                    out,
                    "<td>{}</td><td class=\"num\">{}{oldest}</td><td class=\"num\">{dropped}</td><td class=\"num\">{disk}</td>\
                     <td class=\"num\">{temp}</td><td>{clock}</td><td>{}</td><td class=\"num\">{up}</td></tr>",
                    html(&printer),
                    b.outbox.backlog,
                    html(&b.version)
                );
            }
        }
    }
    out.push_str("</tbody></table></div></section>");
    out
}

/// A stored RFC 3339 time as local `30-11-2026 16:10` (or as stored, if it does not parse).
fn local_time(stored: &str, zone: &jiff::tz::TimeZone) -> String {
    match stored.parse::<jiff::Timestamp>() {
        Ok(at) => at.to_zoned(zone.clone()).strftime("%d-%m-%Y %H:%M").to_string(),
        Err(_) => html(stored),
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
) -> String {
    let mut body = String::from("<h1>Kiosksleutels</h1>");
    if let Some((kiosk, token)) = created {
        let _ = write!(
            body,
            "<section class=\"notice\" role=\"status\"><strong>Nieuwe sleutel voor {}.</strong> \
             Zet hem nu in de instellingen van de kiosk: hij wordt maar één keer getoond.\
             <code class=\"token\" id=\"new-token\">{}</code></section><p></p>",
            html(kiosk),
            html(token)
        );
    }
    if let Some(p) = problem {
        let _ = write!(body, "<p class=\"alert\" role=\"alert\">{}</p>", html(p));
    }
    let _ = write!(
        body,
        "<section class=\"card\"><h2>Nieuwe sleutel</h2><form method=\"post\" action=\"/tokens\" class=\"filters\">{}\
         <label>Kiosk <input name=\"kiosk\" required placeholder=\"digilabo-1\" pattern=\"[A-Za-z0-9._-]+\"></label>\
         <label>Vestiging <input name=\"site\" required placeholder=\"Gent Zuid\"></label>\
         <button type=\"submit\">Sleutel maken</button></form></section>",
        hidden_csrf(admin)
    );
    body.push_str(
        "<section class=\"card\"><h2>Sleutels</h2><div class=\"scroll\"><table><thead><tr><th>Kiosk</th>\
         <th>Gemaakt</th><th>Status</th></tr></thead><tbody>",
    );
    if tokens.is_empty() {
        body.push_str("<tr><td colspan=\"3\" class=\"muted\">Nog geen sleutels.</td></tr>");
    }
    for t in tokens {
        let status = match &t.revoked_at {
            Some(at) => format!("<span class=\"muted\">ingetrokken {}</span>", local_time(at, zone)),
            None => format!(
                "<form method=\"post\" action=\"/tokens/{}/revoke\" class=\"inline\">{}<span class=\"ok\">actief</span> \
                 <button class=\"danger small\" type=\"submit\">Intrekken</button></form>",
                t.id,
                hidden_csrf(admin)
            ),
        };
        let _ = write!(
            body,
            "<tr><td class=\"nowrap\"><strong>{}</strong><br><span class=\"muted\">{}</span></td><td>{}</td><td>{status}</td></tr>",
            html(&t.kiosk),
            html(&t.site),
            local_time(&t.created_at, zone)
        );
    }
    body.push_str("</tbody></table></div></section>");
    layout("Kiosksleutels", Some(("/tokens", &admin.csrf)), &body)
}

/// `GET /tokens`
pub async fn tokens(State(state): State<CentralState>, admin: Admin) -> Result<Html<String>, CentralError> {
    let tokens = state.with_store(|s| s.tokens()).await?;
    Ok(Html(tokens_page(&admin, &tokens, None, None, &state.settings.time_zone)))
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

/// `POST /tokens`: kiosk and site as a form; the page with the new token, shown once.
pub async fn create_token(
    State(state): State<CentralState>,
    admin: Admin,
    Body(body): Body,
) -> Result<Response, CentralError> {
    let fields = form(&body)?;
    admin.check_csrf(Some(&fields))?;
    let kiosk = fields.get("kiosk").map(|s| s.trim().to_owned()).unwrap_or_default();
    let site = fields.get("site").map(|s| s.trim().to_owned()).unwrap_or_default();
    if !valid_kiosk_id(&kiosk) || site.is_empty() || site.len() > 100 {
        let tokens = state.with_store(|s| s.tokens()).await?;
        let problem = "Geef een kiosknaam (letters, cijfers, . _ -) en een vestiging.";
        return Ok((
            axum::http::StatusCode::BAD_REQUEST,
            Html(tokens_page(&admin, &tokens, None, Some(problem), &state.settings.time_zone)),
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
    Ok(Html(tokens_page(&admin, &tokens, Some((&kiosk, &token)), None, &state.settings.time_zone))
        .into_response())
}

/// `POST /tokens/{id}/revoke`
pub async fn revoke_token(
    State(state): State<CentralState>,
    admin: Admin,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<Redirect, CentralError> {
    admin.check_csrf(Some(&form(&body)?))?;
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
pub async fn files(State(state): State<CentralState>, admin: Admin) -> Result<Html<String>, CentralError> {
    let (files, tokens) = state.with_store(|s| Ok((s.files()?, s.tokens()?))).await?;
    let mut body = String::from(
        "<h1>Instellingen en inhoud</h1><p class=\"muted\">Een kiosk haalt zijn eigen bestand op, anders dat voor alle kiosken.</p>",
    );
    body.push_str(
        "<section class=\"card\"><h2>Nu klaargezet</h2><div class=\"scroll\"><table><thead><tr><th>Voor</th><th>Soort</th>\
         <th class=\"num\">Grootte</th><th>Gewijzigd</th><th>ETag</th><th></th></tr></thead><tbody>",
    );
    if files.is_empty() {
        body.push_str("<tr><td colspan=\"6\" class=\"muted\">Nog niets klaargezet.</td></tr>");
    }
    for f in &files {
        let who = f.kiosk.as_deref().unwrap_or("alle kiosken");
        let kind = if f.kind == "content" { "inhoudspakket" } else { "instellingen" };
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{kind}</td><td class=\"num\">{} kB</td><td>{}</td><td><code>{}</code></td><td>\
             <form method=\"post\" action=\"/files/delete\">{}<input type=\"hidden\" name=\"kind\" value=\"{}\">\
             <input type=\"hidden\" name=\"kiosk\" value=\"{}\"><button class=\"danger\" type=\"submit\">Verwijderen</button></form></td></tr>",
            html(who),
            f.size.div_ceil(1024),
            local_time(&f.updated_at, &state.settings.time_zone),
            html(f.etag.get(1..13).unwrap_or(&f.etag)),
            hidden_csrf(&admin),
            f.kind,
            html(f.kiosk.as_deref().unwrap_or(""))
        );
    }
    body.push_str("</tbody></table></div></section>");
    let mut kiosks: Vec<&str> = tokens.iter().map(|t| t.kiosk.as_str()).collect();
    kiosks.sort_unstable();
    kiosks.dedup();
    let options: String = std::iter::once("<option value=\"\">alle kiosken</option>".to_owned())
        .chain(kiosks.iter().map(|k| format!("<option value=\"{0}\">{0}</option>", html(k))))
        .collect();
    let _ = write!(
        body,
        "<section class=\"card\"><h2>Instellingen (loket.toml)</h2><form method=\"post\" action=\"/files/settings\" class=\"stack\">{}\
         <label>Voor <select name=\"kiosk\">{options}</select></label>\
         <label>Inhoud <textarea name=\"toml\" required spellcheck=\"false\"></textarea></label>\
         <button type=\"submit\">Opslaan</button></form></section>\
         <section class=\"card\"><h2>Inhoudspakket (tar)</h2><form id=\"content-form\" class=\"stack\">{}\
         <label>Voor <select name=\"kiosk\">{options}</select></label>\
         <label>Bestand <input type=\"file\" name=\"pack\" accept=\".tar,application/x-tar\"></label>\
         <button type=\"submit\">Uploaden</button><p id=\"content-result\" role=\"status\"></p></form></section>\
         <script>{UPLOAD_SCRIPT}</script>",
        hidden_csrf(&admin),
        hidden_csrf(&admin)
    );
    Ok(Html(layout("Instellingen en inhoud", Some(("/files", &admin.csrf)), &body)))
}

fn kiosk_field(value: Option<&String>) -> Result<Option<String>, CentralError> {
    match value.map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(k) if valid_kiosk_id(k) => Ok(Some(k.to_owned())),
        Some(k) => Err(CentralError::BadRequest(format!("kiosk {k:?} is not a kiosk id"))),
    }
}

/// `POST /files/settings`: a `loket.toml` from a form (field `toml`, `kiosk` empty for all).
pub async fn upload_settings(
    State(state): State<CentralState>,
    admin: Admin,
    Body(body): Body,
) -> Result<Redirect, CentralError> {
    let fields = form(&body)?;
    admin.check_csrf(Some(&fields))?;
    let kiosk = kiosk_field(fields.get("kiosk"))?;
    let text = fields.get("toml").cloned().unwrap_or_default().replace("\r\n", "\n");
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
    let kiosk = kiosk_field(query.kiosk.as_ref())?;
    if body.len() > MAX_CONTENT_BYTES {
        return Err(CentralError::TooLarge(format!("a content pack is at most {MAX_CONTENT_BYTES} bytes")));
    }
    check_tar(&body).map_err(|e| CentralError::BadRequest(format!("not a usable content pack: {e}")))?;
    let at = state.clock.now().to_string();
    let etag = state.with_store(move |s| s.put_file(FileKind::Content, kiosk.as_deref(), &body, &at)).await?;
    Ok(axum::Json(serde_json::json!({ "etag": etag })))
}

/// `POST /files/delete`: form fields `kind` and `kiosk`.
pub async fn delete_file(
    State(state): State<CentralState>,
    admin: Admin,
    Body(body): Body,
) -> Result<Redirect, CentralError> {
    let fields: HashMap<String, String> = form(&body)?;
    admin.check_csrf(Some(&fields))?;
    let kind = match fields.get("kind").map(String::as_str) {
        Some("settings") => FileKind::Settings,
        Some("content") => FileKind::Content,
        other => {
            return Err(CentralError::BadRequest(format!("kind {other:?} is neither settings nor content")));
        }
    };
    let kiosk = kiosk_field(fields.get("kiosk"))?;
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

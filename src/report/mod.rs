//! The reporter: sends the kiosk's outbox and heartbeats to the central system
//! (`loket-central`), and keeps the settings and content it hands out (see `protocol`).
//!
//! Layout
//! - [`backoff`]: when to retry (pure); [`clock`]: whether the clock is synchronised;
//! - [`credentials`]: the token file and CA bundle `[report]` names, read at start;
//! - [`health`]: the heartbeat, from the machine (`/proc`, `/sys`) and the store;
//! - [`pull`]: settings and content packs from the central system, checked, used at next start,
//!   and the site's appointment plan, checked and handed to the help point;
//! - [`status`]: what the reporter is doing, for the staff console and `/health`;
//! - [`activity`]: what the reporter did, told as it happens, for tests and tools to await;
//! - this module: the task that drains the outbox ([`Reporter`]).
//!
//! The reporter runs on tokio (its own thread in the kiosk, any runtime in tests) with its own
//! [`Store`] connection to the same SQLite file (WAL); every store call runs in
//! `spawn_blocking`. It never sends the help point's owner a command (it only hears that
//! something was committed), so neither the screens nor the desks ever wait on the network. Its whole state is the outbox, so it picks up where it was after a reboot.
//!
//! Delivery: events go in batches of `report.batch_events`, oldest first; an event is marked
//! sent only when its id comes back in the receipt's `stored` or `duplicate`; `refused` ones
//! are set aside. A batch answered 400/413/422 is halved until the bad event is alone; a
//! single event answered so is refused locally with the central system's reason. Failures
//! back off exponentially with full jitter (honouring `Retry-After` on 429/503); a refused
//! token (401/403) is tried again only every `report.retry_max_seconds`. The log hears only
//! changes of state (up to date → unreachable → up to date).
//!
//! It must not decide what an event says (the store and the domain do) nor block the screens.

pub mod activity;
pub mod backoff;
pub mod clock;
pub mod credentials;
pub mod health;
pub mod pull;
pub mod status;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use reqwest::StatusCode;
use tokio::sync::{Notify, watch};
use tokio::time::Instant;

use crate::clock::Clock;
use crate::config::{Config, ConfigError};
use crate::protocol::{self, BatchReceipt, EventBatch, Heartbeat, HeartbeatReply, WireEvent};
use crate::store::{Origin, OutboxEvent, Store, StoreError};
use activity::{ActivityFeed, ActivityKind, PullOutcome, Request, Teller};
use backoff::Backoff;
use clock::ClockSync;
use health::{HeartbeatContext, Machine, UnderVoltageLatch};
use loket_protocol::appointments::APPOINTMENTS_PATH;
use pull::{CentralFiles, Pulled};
pub use status::{ReportState, ReportStatus, ReportView};

/// Why the reporter could not start.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("report: cannot make the HTTPS client: {0}")]
    Client(String),
    #[error("report: cannot start the reporter's thread: {0}")]
    Thread(std::io::Error),
}

/// Everything the reporter needs to know; [`ReportSettings::from_config`] for the kiosk,
/// [`ReportSettings::new`] (then change the fields) for tests.
#[derive(Clone)]
pub struct ReportSettings {
    /// The central system's base URL, without a trailing `/`.
    pub central_url: String,
    pub token: String,
    /// Extra PEM certificates to trust.
    pub ca_bundle: Option<Vec<u8>>,
    pub kiosk_id: String,
    pub site_name: String,
    /// The kiosk's data directory: the store's file system, `central/`, the under-voltage latch.
    pub data_dir: PathBuf,
    /// The SQLite store the reporter opens its own connection to.
    pub store_path: PathBuf,
    pub batch_events: usize,
    pub heartbeat_interval: Duration,
    /// The first retry waits up to this (doubling up to `retry_max`).
    pub retry_base: Duration,
    pub retry_max: Duration,
    pub request_timeout: Duration,
    pub keep_sent: Duration,
    pub wait_for_clock: bool,
    /// How often the backlog and the printer are looked at when nothing wakes the reporter.
    pub poll_interval: Duration,
    /// After a wake, how long to wait so that events recorded together go in one batch.
    pub gather_delay: Duration,
    /// Problems known at start that last until the next one (e.g. the config on the SD card was
    /// refused): in every heartbeat and in the staff console.
    pub standing_problems: Vec<String>,
    /// Where the site's appointment plan goes; `None`: the plan is not pulled at all.
    pub appointments: Option<Arc<dyn pull::AppointmentPlanSink>>,
}

impl std::fmt::Debug for ReportSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportSettings")
            .field("central_url", &self.central_url)
            .field("kiosk_id", &self.kiosk_id)
            .field("batch_events", &self.batch_events)
            .field("appointments", &self.appointments.is_some())
            .finish_non_exhaustive()
    }
}

impl ReportSettings {
    /// Settings with the defaults of `[report]`, for a test against `central_url`.
    pub fn new(central_url: &str, token: &str, kiosk_id: &str, data_dir: PathBuf) -> ReportSettings {
        let report = crate::config::Report::default();
        ReportSettings {
            central_url: central_url.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
            ca_bundle: None,
            kiosk_id: kiosk_id.to_owned(),
            site_name: "test".to_owned(),
            store_path: data_dir.join(crate::setup::STORE_FILE),
            data_dir,
            batch_events: report.batch_events as usize,
            heartbeat_interval: Duration::from_secs(report.heartbeat_seconds.into()),
            retry_base: backoff::DEFAULT_BASE,
            retry_max: Duration::from_secs(report.retry_max_seconds.into()),
            request_timeout: Duration::from_secs(report.request_timeout_seconds.into()),
            keep_sent: Duration::from_secs(u64::from(report.keep_sent_days) * 86_400),
            wait_for_clock: false,
            poll_interval: Duration::from_secs(5),
            gather_delay: Duration::from_millis(200),
            standing_problems: Vec::new(),
            appointments: None,
        }
    }

    /// The settings of a config, reading the token (and CA bundle); `None` when reporting is off.
    pub fn from_config(config: &Config) -> Result<Option<ReportSettings>, ConfigError> {
        let report = &config.report;
        let Some(url) = &report.central_url else { return Ok(None) };
        let mut settings = ReportSettings::new(
            url,
            &credentials::read_token(report)?,
            &config.site.kiosk_id,
            config.kiosk.data_dir.clone(),
        );
        settings.ca_bundle = credentials::read_ca_bundle(report)?;
        settings.site_name = config.site.name.clone();
        settings.batch_events = report.batch_events as usize;
        settings.heartbeat_interval = Duration::from_secs(report.heartbeat_seconds.into());
        settings.retry_max = Duration::from_secs(report.retry_max_seconds.into());
        settings.request_timeout = Duration::from_secs(report.request_timeout_seconds.into());
        settings.keep_sent = Duration::from_secs(u64::from(report.keep_sent_days) * 86_400);
        settings.wait_for_clock = report.wait_for_clock;
        Ok(Some(settings))
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.central_url)
    }
}

/// The machine the reporter runs on: its clock, clock state and files.
#[derive(Clone)]
pub struct ReportParts {
    pub clock: Arc<dyn Clock>,
    pub clock_sync: Arc<dyn ClockSync>,
    pub machine: Machine,
}

impl ReportParts {
    /// The real machine.
    pub fn real() -> ReportParts {
        ReportParts {
            clock: Arc::new(crate::clock::SystemClock),
            clock_sync: Arc::new(clock::KernelClockSync),
            machine: Machine::real(),
        }
    }
}

/// A running reporter. Dropping it does not stop it; call [`Reporter::stop`] (or
/// [`Reporter::shutdown`] in async code).
pub struct Reporter {
    view: ReportView,
    teller: Teller,
    store_path: PathBuf,
    wake: Arc<Notify>,
    shutdown: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Reporter {
    /// Starts the reporter on `runtime` (tests, or a kiosk's existing runtime).
    pub fn spawn(
        settings: ReportSettings,
        parts: ReportParts,
        runtime: &tokio::runtime::Handle,
    ) -> Result<Reporter, ReportError> {
        Ok(Reporter::spawn_watched(settings, parts, runtime)?.0)
    }

    /// Starts the reporter on `runtime` like [`Reporter::spawn`], with a feed of what it does
    /// from its very first step (a feed taken later with [`Reporter::activity`] may miss those).
    pub fn spawn_watched(
        settings: ReportSettings,
        parts: ReportParts,
        runtime: &tokio::runtime::Handle,
    ) -> Result<(Reporter, ActivityFeed), ReportError> {
        let (worker, reporter) = Reporter::prepare(settings, parts)?;
        let feed = reporter.teller.feed();
        let shutdown = reporter.shutdown.subscribe();
        let task = runtime.spawn(worker.run(shutdown));
        Ok((Reporter { task: Some(task), ..reporter }, feed))
    }

    /// Starts the reporter on a small runtime of its own, on its own thread (the kiosk).
    pub fn start(settings: ReportSettings, parts: ReportParts) -> Result<Reporter, ReportError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(ReportError::Thread)?;
        let (worker, reporter) = Reporter::prepare(settings, parts)?;
        let shutdown = reporter.shutdown.subscribe();
        let thread = std::thread::Builder::new()
            .name("report".into())
            .spawn(move || runtime.block_on(worker.run(shutdown)))
            .map_err(ReportError::Thread)?;
        Ok(Reporter { thread: Some(thread), ..reporter })
    }

    fn prepare(settings: ReportSettings, parts: ReportParts) -> Result<(Worker, Reporter), ReportError> {
        let mut builder = crate::tls::client()
            .timeout(settings.request_timeout)
            .connect_timeout(settings.request_timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("loket/", env!("CARGO_PKG_VERSION")));
        if let Some(pem) = &settings.ca_bundle {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| ReportError::Client(format!("report.ca_bundle: {e}")))?;
            builder = builder.tls_certs_merge(certs);
        }
        let client = builder.build().map_err(|e| ReportError::Client(e.to_string()))?;
        let mut store = Store::open(&settings.store_path)?;
        let boot_id = parts.machine.boot_id().unwrap_or_else(|| "unknown".into());
        store.set_origin(Origin { boot_id: boot_id.clone(), clock: parts.clock_sync.clone() });
        let view = ReportView::new(ReportState::Starting);
        let wake = Arc::new(Notify::new());
        let (shutdown, _) = watch::channel(false);
        let backoff = Backoff::new(settings.retry_base, settings.retry_max);
        let teller = Teller::new();
        let worker = Worker {
            latch: UnderVoltageLatch::new(settings.data_dir.join("report").join("under-voltage-boot")),
            central: CentralFiles::new(&settings.data_dir),
            store: Arc::new(Mutex::new(store)),
            settings,
            parts,
            client,
            view: view.clone(),
            wake: wake.clone(),
            teller: teller.clone(),
            tries: AtomicU64::new(0),
            backoff,
            boot_id,
            problems: Vec::new(),
            refused_etags: Vec::new(),
            heartbeat_printer: None,
            last_prune: None,
            failure_logged: Mutex::new(None),
        };
        let store_path = worker.settings.store_path.clone();
        Ok((worker, Reporter { view, teller, store_path, wake, shutdown, task: None, thread: None }))
    }

    /// Says new events were recorded: the reporter sends them soon (batching what comes close
    /// together). Cheap; never blocks.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// A waker to hand to the help point's change listener.
    pub fn waker(&self) -> impl Fn() + Send + Sync + 'static {
        let wake = self.wake.clone();
        move || wake.notify_one()
    }

    /// The reporter's status now.
    pub fn status(&self) -> ReportStatus {
        self.view.status()
    }

    /// The shared status, for the web server.
    pub fn view(&self) -> ReportView {
        self.view.clone()
    }

    /// What the reporter does from now on (see [`activity`]).
    pub fn activity(&self) -> ActivityFeed {
        self.teller.feed()
    }

    /// Waits until every event recorded so far is acknowledged (the store's backlog is 0 and
    /// the reporter is up to date), up to `timeout`; true if so. For tests and tools.
    pub async fn wait_until_delivered(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let path = self.store_path.clone();
        let store = match tokio::task::spawn_blocking(move || Store::open(&path)).await {
            Ok(Ok(store)) => Arc::new(Mutex::new(store)),
            _ => return false,
        };
        loop {
            let counted = store.clone();
            let backlog = tokio::task::spawn_blocking(move || {
                counted.lock().unwrap_or_else(|e| e.into_inner()).outbox_backlog().ok()
            })
            .await
            .ok()
            .flatten();
            let status = self.status();
            if backlog == Some(0) && status.backlog == 0 && status.state == ReportState::UpToDate {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            self.wake();
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the reporter and waits for it (async code).
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        if let Some(thread) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }

    /// Stops the reporter started with [`Reporter::start`] and waits for its thread (a request
    /// under way is dropped; its events stay in the outbox).
    pub fn stop(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Why a round of sending stopped early.
#[derive(Debug)]
enum Failure {
    /// Try again after a backoff (at least `retry_after` when the server said so).
    Unreachable { reason: String, retry_after: Option<Duration> },
    /// 401 or 403: try again only every `retry_max`.
    TokenRefused(u16),
    /// The local store failed.
    Store(String),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Failure {
        Failure::Store(e.to_string())
    }
}

/// What a status code means for the reporter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Success,
    /// 400, 413, 422: something in the request is wrong; halve the batch to find it.
    BadRequest,
    /// 401, 403.
    TokenRefused,
    /// Anything else: try again later (with `Retry-After` on 429/503).
    RetryLater {
        retry_after: Option<Duration>,
    },
}

/// Classifies an HTTP answer (pure).
pub fn classify(status: u16, retry_after: Option<&str>) -> Answer {
    match status {
        200..=299 => Answer::Success,
        400 | 413 | 422 => Answer::BadRequest,
        401 | 403 => Answer::TokenRefused,
        429 | 503 => Answer::RetryLater { retry_after: retry_after.and_then(backoff::parse_retry_after) },
        _ => Answer::RetryLater { retry_after: None },
    }
}

/// An outbox event as it goes on the wire; `None` when its stored text is damaged.
pub fn wire_event(event: &OutboxEvent) -> Result<WireEvent, String> {
    let occurred_at: Timestamp =
        event.occurred_at.parse().map_err(|e| format!("damaged time {:?}: {e}", event.occurred_at))?;
    let body = serde_json::from_str(&event.body).map_err(|e| format!("damaged body: {e}"))?;
    Ok(WireEvent {
        id: event.id.clone(),
        seq: event.seq,
        kind: event.kind.clone(),
        occurred_at,
        clock_synced: event.clock_synced,
        boot_id: event.boot_id.clone(),
        body,
    })
}

/// How often sent events are pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

struct Worker {
    settings: ReportSettings,
    parts: ReportParts,
    client: reqwest::Client,
    store: Arc<Mutex<Store>>,
    view: ReportView,
    wake: Arc<Notify>,
    /// Tells what the reporter does, to whoever listens.
    teller: Teller,
    /// Requests tried since the start (heartbeats and batches).
    tries: AtomicU64,
    backoff: Backoff,
    boot_id: String,
    latch: UnderVoltageLatch,
    central: CentralFiles,
    /// Problems with what the central system handed out, for the heartbeat.
    problems: Vec<(Pulled, String)>,
    /// ETags refused already (not fetched again).
    refused_etags: Vec<String>,
    /// The printer state the last heartbeat reported.
    heartbeat_printer: Option<Option<(String, String)>>,
    last_prune: Option<Instant>,
    /// The failure last logged, until its end is logged.
    failure_logged: Mutex<Option<ReportState>>,
}

impl Worker {
    async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        log::info!("report: sending to {} as kiosk {:?}", self.settings.central_url, self.settings.kiosk_id);
        let mut next_heartbeat = Instant::now();
        loop {
            if *shutdown.borrow() {
                break;
            }
            if self.settings.wait_for_clock && !self.parts.clock_sync.is_synchronised() {
                self.set_state(ReportState::WaitingForClock);
                let _ = self.refresh_figures().await;
                self.teller.tell(|| ActivityKind::WaitingForClock);
                if wait(&mut shutdown, self.settings.poll_interval).await {
                    break;
                }
                continue;
            }
            // A request under way is dropped at shutdown: its events stay in the outbox.
            let mut stopping = shutdown.clone();
            let round = tokio::select! {
                round = self.round(&mut next_heartbeat, &shutdown) => round,
                _ = stopping.changed() => break,
            };
            // After a failure: (how long to wait, the most the rule allowed, what the server asked).
            let retry = match round {
                Ok(()) => {
                    self.backoff.succeeded();
                    self.set_state(ReportState::UpToDate);
                    None
                }
                Err(Failure::Unreachable { reason, retry_after }) => {
                    let since = match self.view.status().state {
                        ReportState::Unreachable { since, .. } => since,
                        _ => self.parts.clock.now(),
                    };
                    self.set_state(ReportState::Unreachable { since, reason });
                    let ceiling = self.backoff.ceiling();
                    let delay = self.backoff.failed(backoff::random_unit(), retry_after);
                    Some((delay, ceiling, retry_after))
                }
                Err(Failure::TokenRefused(status)) => {
                    self.set_state(ReportState::TokenRefused { status });
                    Some((self.backoff.cap(), self.backoff.cap(), None))
                }
                Err(Failure::Store(e)) => {
                    log::error!("report: the store failed: {e}");
                    Some((self.settings.poll_interval, self.settings.poll_interval, None))
                }
            };
            let _ = self.refresh_figures().await;
            if let Some((delay, ceiling, retry_after)) = retry {
                let failures = self.backoff.failures();
                self.teller.tell(|| ActivityKind::RetryPlanned { failures, ceiling, retry_after, delay });
            }
            let stop = match retry {
                // After a failure only time (or the end) moves the reporter, not new events.
                Some((delay, _, _)) => wait(&mut shutdown, delay).await,
                None => {
                    let until = next_heartbeat.min(Instant::now() + self.settings.poll_interval);
                    tokio::select! {
                        _ = self.wake.notified() => {
                            wait(&mut shutdown, self.settings.gather_delay).await
                        }
                        _ = tokio::time::sleep_until(until) => false,
                        _ = shutdown.changed() => true,
                    }
                }
            };
            if stop {
                break;
            }
        }
        log::info!("report: stopped");
    }

    /// A heartbeat when due (or when the printer changed), then the whole backlog.
    async fn round(
        &mut self,
        next_heartbeat: &mut Instant,
        shutdown: &watch::Receiver<bool>,
    ) -> Result<(), Failure> {
        let printer = self.db(|s| s.device_state("printer")).await?;
        let printer_changed = self.heartbeat_printer.as_ref().is_some_and(|p| *p != printer);
        if Instant::now() >= *next_heartbeat || printer_changed {
            let reply = self.send_heartbeat().await?;
            self.heartbeat_printer = Some(printer);
            *next_heartbeat = Instant::now() + self.settings.heartbeat_interval;
            self.pull(&reply).await;
        }
        loop {
            if *shutdown.borrow() {
                return Ok(());
            }
            let batch_size = self.settings.batch_events.clamp(1, protocol::MAX_BATCH_EVENTS);
            let events = self.db(move |s| s.unsent_events(batch_size)).await?;
            if events.is_empty() {
                break;
            }
            self.set_state(ReportState::Sending);
            self.send_events(events).await?;
        }
        if self.last_prune.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
            self.last_prune = Some(Instant::now());
            let keep =
                jiff::SignedDuration::try_from(self.settings.keep_sent).unwrap_or(jiff::SignedDuration::MAX);
            let before = self.parts.clock.now().checked_sub(keep).unwrap_or(Timestamp::MIN);
            let pruned = self.db(move |s| s.prune_sent(before)).await?;
            if pruned > 0 {
                log::info!("report: {pruned} acknowledged events older than {before} deleted");
            }
        }
        Ok(())
    }

    /// Sends these events, halving a batch the central system calls bad until the bad event is
    /// alone, which is then refused locally.
    async fn send_events(&mut self, events: Vec<OutboxEvent>) -> Result<(), Failure> {
        let mut pending = vec![events];
        while let Some(chunk) = pending.pop() {
            let mut wire = Vec::with_capacity(chunk.len());
            for event in &chunk {
                match wire_event(event) {
                    Ok(w) => wire.push(w),
                    Err(reason) => self.refuse(event.id.clone(), format!("on the kiosk: {reason}")).await?,
                }
            }
            if wire.is_empty() {
                continue;
            }
            let batch = EventBatch {
                kiosk: self.settings.kiosk_id.clone(),
                sent_at: self.parts.clock.now(),
                events: wire,
            };
            let request = || Request::Events {
                count: batch.events.len(),
                last_id: batch.events.last().map(|e| e.id.clone()).unwrap_or_default(),
            };
            let response = self.post(protocol::EVENTS_PATH, &batch, request).await?;
            match response {
                Ok(receipt) => self.apply(receipt, &chunk).await?,
                Err(reason) if chunk.len() > 1 => {
                    log::debug!("report: a batch of {} was refused ({reason}); halving it", chunk.len());
                    let mut first = chunk;
                    let second = first.split_off(first.len() / 2);
                    pending.push(second);
                    pending.push(first);
                }
                Err(reason) => {
                    let id = chunk[0].id.clone();
                    self.refuse(id, reason).await?;
                }
            }
        }
        Ok(())
    }

    async fn refuse(&self, id: String, reason: String) -> Result<(), Failure> {
        log::warn!("report: event {id} is set aside, refused: {reason}");
        let at = self.parts.clock.now();
        self.db(move |s| s.mark_refused(&id, &reason, at)).await?;
        Ok(())
    }

    /// Marks what the receipt acknowledges; a receipt that moves nothing is a failure (else the
    /// same batch would be sent in a loop).
    async fn apply(&mut self, receipt: BatchReceipt, sent: &[OutboxEvent]) -> Result<(), Failure> {
        let at = self.parts.clock.now();
        let listened = self.teller.listened();
        let BatchReceipt { stored, duplicate, refused } = receipt;
        let acknowledged: Vec<String> = stored.into_iter().chain(duplicate).collect();
        let refused_count = refused.len();
        for r in &refused {
            log::warn!("report: the central system refused event {}: {}", r.id, r.reason);
        }
        let (marked, backlog) = self
            .db(move |s| {
                let mut marked = s.mark_sent(&acknowledged, at)?;
                for r in refused {
                    marked += usize::from(s.mark_refused(
                        &r.id,
                        &format!("by the central system: {}", r.reason),
                        at,
                    )?);
                }
                // Counted only for a listener: the kiosk does not pay for it.
                let backlog = if listened { s.outbox_backlog()? } else { 0 };
                Ok((marked, backlog))
            })
            .await?;
        if marked == 0 {
            return Err(Failure::Unreachable {
                reason: format!(
                    "the central system acknowledged none of {} events sent ({refused_count} refused)",
                    sent.len()
                ),
                retry_after: None,
            });
        }
        self.teller.tell(|| ActivityKind::Acknowledged {
            last_id: sent.last().map(|e| e.id.clone()).unwrap_or_default(),
            marked,
            backlog,
        });
        Ok(())
    }

    async fn send_heartbeat(&mut self) -> Result<HeartbeatReply, Failure> {
        let store = self.store.clone();
        let machine = self.parts.machine.clone();
        let latch = self.latch.clone();
        let kiosk = self.settings.kiosk_id.clone();
        let site = self.settings.site_name.clone();
        let boot_id = self.boot_id.clone();
        let data_dir = self.settings.data_dir.clone();
        let clock_synced = self.parts.clock_sync.is_synchronised();
        let problems = self.all_problems();
        let now = self.parts.clock.now();
        let heartbeat: Heartbeat = tokio::task::spawn_blocking(move || {
            let store = store.lock().unwrap_or_else(|e| e.into_inner());
            let context = HeartbeatContext {
                kiosk: &kiosk,
                site: &site,
                boot_id: &boot_id,
                clock_synced,
                data_dir: &data_dir,
                problems,
            };
            health::heartbeat(&store, &machine, &latch, context, now)
        })
        .await
        .map_err(|e| Failure::Store(e.to_string()))??;
        match self.post(protocol::HEARTBEAT_PATH, &heartbeat, || Request::Heartbeat).await? {
            Ok(reply) => Ok(reply),
            Err(reason) => Err(Failure::Unreachable {
                reason: format!("the heartbeat was refused: {reason}"),
                retry_after: None,
            }),
        }
    }

    /// Posts JSON (one try of what `request` names, for the activity feed); `Ok(Err(reason))`
    /// for 400/413/422 (with the central system's reason).
    async fn post<T: serde::Serialize, R: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &T,
        request: impl Fn() -> Request,
    ) -> Result<Result<R, String>, Failure> {
        let number = self.tries.fetch_add(1, Ordering::Relaxed) + 1;
        self.teller.tell(|| ActivityKind::TryStarted { number, request: request() });
        let sent = self
            .client
            .post(self.settings.url(path))
            .bearer_auth(&self.settings.token)
            .json(body)
            .send()
            .await;
        self.teller.tell(|| ActivityKind::TryEnded {
            number,
            request: request(),
            result: sent.as_ref().map(|r| r.status().as_u16()).map_err(describe),
        });
        let response = sent.map_err(|e| Failure::Unreachable { reason: describe(&e), retry_after: None })?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        match classify(status.as_u16(), retry_after.as_deref()) {
            Answer::Success => {
                let bytes = response
                    .bytes()
                    .await
                    .map_err(|e| Failure::Unreachable { reason: describe(&e), retry_after: None })?;
                serde_json::from_slice(&bytes).map(Ok).map_err(|e| Failure::Unreachable {
                    reason: format!("{path}: the central system's answer is not understood: {e}"),
                    retry_after: None,
                })
            }
            Answer::BadRequest => Ok(Err(format!("{status}: {}", error_text(response).await))),
            Answer::TokenRefused => Err(Failure::TokenRefused(status.as_u16())),
            Answer::RetryLater { retry_after } => Err(Failure::Unreachable {
                reason: format!("{path} answered {status}: {}", error_text(response).await),
                retry_after,
            }),
        }
    }

    /// Fetches settings or content whose ETag changed (see [`pull`]).
    async fn pull(&mut self, reply: &HeartbeatReply) {
        for (what, etag, path) in [
            (Pulled::Settings, &reply.settings_etag, protocol::SETTINGS_PATH),
            (Pulled::Content, &reply.content_etag, protocol::CONTENT_PATH),
        ] {
            let kept = self.central.kept_etag(what);
            let Some(etag) = etag else {
                if what == Pulled::Settings && kept.is_some() {
                    let central = self.central.clone();
                    if let Ok(Ok(true)) = tokio::task::spawn_blocking(move || central.remove_settings()).await
                    {
                        log::info!(
                            "report: the central system has no settings for this kiosk any more; the local config file is used from the next start"
                        );
                    }
                }
                continue;
            };
            if kept.as_ref() == Some(etag) || self.refused_etags.contains(etag) {
                continue;
            }
            let fetched = self.fetch(what, path, kept.as_deref(), etag).await;
            self.teller.tell(|| ActivityKind::Pulled {
                what,
                outcome: match &fetched {
                    Ok(Some(etag)) => PullOutcome::Kept { etag: etag.clone() },
                    Ok(None) => PullOutcome::Unchanged,
                    Err(problem) => PullOutcome::Refused { problem: problem.clone() },
                },
            });
            match fetched {
                Ok(_) => {}
                Err(problem) => {
                    log::error!("report: {problem}");
                    self.refused_etags.push(etag.clone());
                    self.problems.retain(|(w, _)| *w != what);
                    self.problems.push((what, problem));
                }
            }
        }
        if self.settings.appointments.is_some() {
            self.pull_appointments().await;
        }
    }

    /// Asks for the site's appointment plan with the kept ETag (see [`pull`]); a plan refused
    /// before is not handed over again, and a failure waits for the next heartbeat.
    async fn pull_appointments(&mut self) {
        let what = Pulled::Appointments;
        let kept = self.central.kept_etag(what);
        let fetched = self.fetch(what, APPOINTMENTS_PATH, kept.as_deref(), "").await;
        self.teller.tell(|| ActivityKind::Pulled {
            what,
            outcome: match &fetched {
                Ok(Some(etag)) => PullOutcome::Kept { etag: etag.clone() },
                Ok(None) => PullOutcome::Unchanged,
                Err(problem) => PullOutcome::Refused { problem: problem.clone() },
            },
        });
        if let Err(problem) = fetched {
            log::error!("report: {problem}");
            self.problems.retain(|(w, _)| *w != what);
            self.problems.push((what, problem));
        }
    }

    /// Fetches and keeps one; `Ok(Some(etag))` when a new one was kept, `Ok(None)` when there
    /// was nothing new.
    async fn fetch(
        &mut self,
        what: Pulled,
        path: &str,
        kept: Option<&str>,
        etag: &str,
    ) -> Result<Option<String>, String> {
        let mut request = self.client.get(self.settings.url(path)).bearer_auth(&self.settings.token);
        if let Some(kept) = kept {
            request = request.header(reqwest::header::IF_NONE_MATCH, kept);
        }
        let response = request
            .send()
            .await
            .map_err(|e| format!("the {} could not be fetched: {}", what.name(), describe(&e)))?;
        match response.status() {
            StatusCode::NOT_MODIFIED | StatusCode::NOT_FOUND => return Ok(None),
            status if !status.is_success() => {
                // Not a refusal of the content: tried again at the next heartbeat.
                log::warn!("report: fetching the {} answered {status}", what.name());
                return Ok(None);
            }
            _ => {}
        }
        let etag = response
            .headers()
            .get(reqwest::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map_or_else(|| etag.to_owned(), str::to_owned);
        if !etag.is_empty() && self.refused_etags.contains(&etag) {
            // Refused before: its problem stands; not checked or handed over again.
            return Ok(None);
        }
        let bytes = read_limited(response, what.limit())
            .await
            .map_err(|e| format!("the {} was not received: {e}", what.name()))?;
        let central = self.central.clone();
        let kiosk = self.settings.kiosk_id.clone();
        let sink = self.settings.appointments.clone();
        let stored = {
            let etag = etag.clone();
            tokio::task::spawn_blocking(move || match (what, sink) {
                (Pulled::Settings, _) => central.install_settings(&bytes, &kiosk, &etag),
                (Pulled::Content, _) => central.install_content(&bytes, &etag),
                (Pulled::Appointments, Some(sink)) => {
                    central.install_plan(&bytes, &kiosk, &etag, sink.as_ref()).map(|held| {
                        log::info!("report: the central appointment plan holds {held} appointments");
                    })
                }
                (Pulled::Appointments, None) => {
                    Err(pull::PullError::Appointments("nothing on this kiosk takes appointments".into()))
                }
            })
            .await
        };
        match stored {
            Ok(Ok(())) => {
                let when =
                    if what == Pulled::Appointments { "in use now" } else { "used from the next start" };
                log::info!("report: new {} from the central system ({etag}) kept; {when}", what.name());
                self.problems.retain(|(w, _)| *w != what);
                Ok(Some(etag))
            }
            Ok(Err(e)) => {
                if !etag.is_empty() {
                    self.refused_etags.push(etag.clone());
                }
                Err(format!("{e} (ETag {etag}); the last good one stays"))
            }
            Err(e) => Err(format!("the {} was not kept: {e}", what.name())),
        }
    }

    /// The standing problems and those with what the central system handed out.
    fn all_problems(&self) -> Vec<String> {
        let pulled = self.problems.iter().map(|(_, p)| p.clone());
        self.settings.standing_problems.iter().cloned().chain(pulled).collect()
    }

    async fn refresh_figures(&self) -> Result<(), Failure> {
        let (status, dropped) = self.db(|s| Ok((s.outbox_status()?, s.dropped_events()?))).await?;
        let problems = self.all_problems();
        self.view.update(|v| {
            v.backlog = status.backlog;
            v.oldest_unsent_at = status.oldest_unsent_at;
            v.last_sent_at = status.last_sent_at;
            v.refused = status.refused;
            v.dropped = dropped.into_iter().map(|(k, d)| (k, d.count)).collect();
            v.problems = problems;
        });
        Ok(())
    }

    /// Changes the state, logging only a change of kind: a failure once (the retries between
    /// pass through "sending" silently), and its end once everything is acknowledged again.
    fn set_state(&self, state: ReportState) {
        let old = self.view.status().state;
        if !old.same_kind(&state) {
            self.teller.tell(|| ActivityKind::StateChanged { state: state.clone() });
            let mut logged = self.failure_logged.lock().unwrap_or_else(|e| e.into_inner());
            let failure = matches!(
                state,
                ReportState::Unreachable { .. }
                    | ReportState::WaitingForClock
                    | ReportState::TokenRefused { .. }
            );
            match &state {
                _ if failure && logged.as_ref().is_some_and(|f| f.same_kind(&state)) => {}
                ReportState::TokenRefused { .. } => {
                    log::error!("report: {}", state.describe());
                    *logged = Some(state.clone());
                }
                _ if failure => {
                    log::warn!("report: {}", state.describe());
                    *logged = Some(state.clone());
                }
                ReportState::UpToDate if logged.take().is_some() => {
                    log::info!("report: the central system is reachable again; up to date")
                }
                ReportState::UpToDate if old == ReportState::Starting => log::info!("report: up to date"),
                _ => {}
            }
        }
        self.view.update(|v| v.state = state);
    }

    async fn db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, Failure> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(&mut store.lock().unwrap_or_else(|e| e.into_inner())))
            .await
            .map_err(|e| Failure::Store(e.to_string()))?
            .map_err(Failure::from)
    }
}

/// Waits `delay` unless shut down first; true when shut down.
async fn wait(shutdown: &mut watch::Receiver<bool>, delay: Duration) -> bool {
    if *shutdown.borrow() {
        return true;
    }
    tokio::select! {
        _ = tokio::time::sleep(delay) => false,
        changed = shutdown.changed() => changed.is_err() || *shutdown.borrow(),
    }
}

/// A transport error in words, with its cause (connection refused, timeout, certificate…).
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The `error` of a JSON error answer, or the start of the text.
async fn error_text(response: reqwest::Response) -> String {
    let text = response.text().await.unwrap_or_default();
    match serde_json::from_str::<protocol::ErrorBody>(&text) {
        Ok(body) => body.error,
        Err(_) => text.chars().take(200).collect(),
    }
}

/// Reads a body of at most `limit` bytes.
async fn read_limited(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, String> {
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(format!("more than {limit} bytes"));
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| describe(&e))? {
        if bytes.len() + chunk.len() > limit {
            return Err(format!("more than {limit} bytes"));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_classified() {
        assert_eq!(classify(200, None), Answer::Success);
        for status in [400, 413, 422] {
            assert_eq!(classify(status, None), Answer::BadRequest, "{status}");
        }
        assert_eq!(classify(401, None), Answer::TokenRefused);
        assert_eq!(classify(403, None), Answer::TokenRefused);
        assert_eq!(
            classify(429, Some("7")),
            Answer::RetryLater { retry_after: Some(Duration::from_secs(7)) }
        );
        assert_eq!(classify(503, Some("x")), Answer::RetryLater { retry_after: None });
        assert_eq!(classify(500, Some("7")), Answer::RetryLater { retry_after: None }, "only on 429/503");
        assert_eq!(classify(404, None), Answer::RetryLater { retry_after: None });
    }

    #[test]
    fn a_damaged_event_is_named_not_sent() {
        let event = OutboxEvent {
            seq: 1,
            id: "a".into(),
            kind: "ticket_issued".into(),
            occurred_at: "2026-11-29T10:00:00Z".into(),
            clock_synced: true,
            boot_id: "b".into(),
            body: "{\"x\":1}".into(),
        };
        let wire = wire_event(&event).unwrap();
        assert_eq!((wire.seq, wire.body["x"].as_i64()), (1, Some(1)));
        let broken = OutboxEvent { body: "{".into(), ..event.clone() };
        assert!(wire_event(&broken).unwrap_err().contains("damaged body"));
        let late = OutboxEvent { occurred_at: "yesterday".into(), ..event };
        assert!(wire_event(&late).unwrap_err().contains("damaged time"));
    }
}

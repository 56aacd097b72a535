//! The `loket` command line: `run`, `check`, `content check`, `voice check`, `voice script`
//! and `--version`, with exit codes a technician can act on.
//!
//! Exit codes: 0 all is well; 2 the config (or a command-line value) is wrong — the message
//! names the key and the value; 1 anything else, such as a store that cannot be opened.
//!
//! Without a subcommand `loket` runs the kiosk and takes every option of `run` (`loket [run]
//! [--config FILE] [--data-dir DIR] …`), so `cargo run` opens it on a laptop with the embedded
//! sample config, a simulated printer and a store in `./loket-data`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use slint::ComponentHandle;

use crate::clock::SystemClock;
use crate::config::{self, Config};
use crate::printer;
use crate::report::{ReportParts, ReportSettings, Reporter};
use crate::setup::STORE_FILE;
use crate::stop_signal::StopSignal;
use crate::store;
use crate::watchdog::Systemd;

#[derive(Debug, Parser)]
#[command(
    name = "loket",
    version,
    about = "Self-service kiosk for public help points",
    // `loket [run] [OPTIONS]`: without a subcommand, the options are run's; with one, they
    // belong to it (`loket --headless check` is refused rather than half obeyed).
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// The options of `run`, for `loket` without a subcommand.
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the kiosk (the default).
    Run(RunArgs),
    /// Check a config file and exit: 0 if it is valid, 2 with the problem if not.
    Check {
        /// The config file [default: the embedded sample config].
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Print a test page (every script, a QR code) without running the kiosk.
    PrintTest(PrintTestArgs),
    /// Read a new desk PIN (6 to 12 digits) on standard input and print its hash for `pin_hash`.
    HashPin,
    /// Make a new API token for a machine client: prints the token (give it to the client) and
    /// its hash (put it in `[[web.api_token]]`).
    NewApiToken,
    /// Work with content packs (tutorials and screening exercises).
    Content {
        #[command(subcommand)]
        command: ContentCommand,
    },
    /// Work with voice packs (recorded clips for languages espeak-ng cannot speak).
    Voice {
        #[command(subcommand)]
        command: VoiceCommand,
    },
}

#[derive(Debug, Subcommand)]
enum VoiceCommand {
    /// Check voice packs: per language, the phrases covered and missing, and every clip that
    /// cannot be used; exit 0 if every clip is usable, 2 if not.
    Check {
        /// One language's folder (with pack.toml), or the folder of all packs.
        dir: PathBuf,
        /// The config whose services' names are checked [default: the embedded sample config].
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Print the clips to record for a language, with the words to say, and its pack.toml.
    Script {
        /// The language's code, e.g. ti.
        language: String,
        /// The config whose services are named [default: the embedded sample config].
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum ContentCommand {
    /// Check a content pack: prints every problem as file:line: what is wrong; exit 0 if it is
    /// valid, 2 if not.
    Check {
        /// The pack's folder (with tutorials/ and screening/), e.g. `content`.
        dir: PathBuf,
    },
}

#[derive(Debug, clap::Args)]
struct PrintTestArgs {
    /// The config file whose printer is used [default: the embedded sample config].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Print to this serial device instead of the configured printer.
    #[arg(long, value_name = "PATH", conflicts_with = "out")]
    device: Option<PathBuf>,
    /// With --device: the baud rate [default: printer.baud, or 19200].
    #[arg(long, value_name = "N", requires = "device")]
    baud: Option<u32>,
    /// Write the exact bytes into FILE (and a PNG preview beside it) instead of printing.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(Debug, Default, clap::Args)]
struct RunArgs {
    /// The config file [default: the embedded sample config].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Where the store and printed-ticket files go [default: kiosk.data_dir from the config].
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Run everything but the window.
    #[arg(long)]
    headless: bool,
    /// Address and port of the staff web server [default: web.listen from the config].
    #[arg(long, value_name = "ADDR")]
    listen: Option<std::net::SocketAddr>,
    /// Ignore the opening hours: never show the closed screen (to try the kiosk out of hours).
    /// Always so for the built-in sample (no --config).
    #[arg(long)]
    always_open: bool,
}

/// Parses the command line, runs it and turns the outcome into an exit code.
pub fn main() -> ExitCode {
    crate::journal_log::init("info");
    let cli = Cli::parse();
    let result = match cli.command.unwrap_or(Command::Run(cli.run)) {
        Command::Run(args) => run(args),
        Command::Check { config } => check(config.as_deref()),
        Command::PrintTest(args) => print_test(args),
        Command::HashPin => hash_pin(),
        Command::NewApiToken => new_api_token(),
        Command::Content { command: ContentCommand::Check { dir } } => content_check(&dir),
        Command::Voice { command: VoiceCommand::Check { dir, config } } => {
            voice_check(&dir, config.as_deref())
        }
        Command::Voice { command: VoiceCommand::Script { language, config } } => {
            voice_script(&language, config.as_deref())
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("loket: {e:#}");
            if e.downcast_ref::<config::ConfigError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// The config of `--config FILE` (its relative paths relative to the file's folder), or the
/// built-in sample with its content pack found by [`sample_content_dir`].
fn load_config(path: Option<&Path>) -> anyhow::Result<Config> {
    match path {
        Some(path) => Ok(Config::load(path)?),
        None => {
            let mut config = Config::sample();
            config.learning.content_dir = sample_content_dir();
            Ok(config)
        }
    }
}

/// Where the installed package puts the content pack.
pub const INSTALLED_CONTENT_DIR: &str = "/usr/share/loket/content";

/// The content pack of the built-in sample config, whatever folder `loket` is started from:
/// the `content/` folder of the source tree this program was built from while that tree is
/// there (`cargo run`, the tests), else the installed pack ([`INSTALLED_CONTENT_DIR`]). If
/// neither holds a pack, the kiosk logs so with the path and offers no learning.
pub fn sample_content_dir() -> PathBuf {
    let build_tree = Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    if build_tree.is_dir() { build_tree } else { PathBuf::from(INSTALLED_CONTENT_DIR) }
}

fn check(path: Option<&Path>) -> anyhow::Result<ExitCode> {
    let config = load_config(path)?;
    if let Some(logo) = &config.ticket.logo
        && let Err(e) = printer::load_logo(logo)
    {
        return Err(config::ConfigError::Invalid {
            key: "ticket.logo".into(),
            value: format!("{:?}", logo.display().to_string()),
            reason: e.to_string(),
        }
        .into());
    }
    let report = describe_report(&config.report)?;
    let store_path = config.kiosk.data_dir.join(STORE_FILE);
    let store = match store::peek_schema_version(&store_path) {
        Ok(Some(v)) => format!("store {} (schema version {v})", store_path.display()),
        Ok(None) => format!("store {} (not created yet)", store_path.display()),
        // A store the kiosk could not open is not a valid set-up: exit 1, naming the file.
        Err(e) => return Err(e.into()),
    };
    // A config file (what a kiosk is installed with) never carries the sample's public PINs.
    if let Some(path) = path
        && let Some(published) = config.published_credentials().into_iter().next()
    {
        return Err(config::ConfigError::InFile { path: path.to_owned(), error: Box::new(published) }.into());
    }
    println!(
        "{}: valid — site {:?}, {} services, {} desks, {} languages; {store}",
        path.map_or("embedded sample config".to_owned(), |p| p.display().to_string()),
        config.site.name,
        config.services.len(),
        config.desks.len(),
        config.site.languages.len(),
    );
    for warning in config.console_warnings(config.web.listen) {
        println!("warning: {warning}");
    }
    println!("{}", describe_translations(&config.site));
    println!("{report}");
    Ok(ExitCode::SUCCESS)
}

/// The offered languages' translations in one line for `loket check`: all are complete (else
/// the config was refused), so it says how many texts of each are drafts not yet reviewed.
fn describe_translations(site: &config::Site) -> String {
    let per_language: Vec<String> = site
        .translation_drafts()
        .into_iter()
        .map(|(code, drafts)| match drafts {
            0 => code.to_owned(),
            n => format!("{code} ({n} drafts)"),
        })
        .collect();
    format!(
        "translations: every visitor text in all {} offered languages, the staff pages in {}; \
         drafts are not yet reviewed by a native speaker: {}",
        site.languages.len(),
        site.local_language,
        per_language.join(", ")
    )
}

/// `[report]` in one line for `loket check`; the token file and CA bundle must be readable.
fn describe_report(report: &config::Report) -> anyhow::Result<String> {
    let Some(url) = &report.central_url else {
        return Ok("report: off (report.central_url is empty)".to_owned());
    };
    crate::report::credentials::read_token(report)?;
    let ca = match crate::report::credentials::read_ca_bundle(report)? {
        Some(_) => format!(", extra CA {}", report.ca_bundle.as_deref().unwrap_or(Path::new("")).display()),
        None => String::new(),
    };
    Ok(format!(
        "report: to {url} (token in {}{ca}); batches of {}, heartbeat every {} s, retries up to {} s, \
         timeout {} s, at most {} unsent events, sent ones kept {} days, {}",
        report.token_file.display(),
        report.batch_events,
        report.heartbeat_seconds,
        report.retry_max_seconds,
        report.request_timeout_seconds,
        report.outbox_max_events,
        report.keep_sent_days,
        if report.wait_for_clock { "waits for a synchronised clock" } else { "does not wait for the clock" },
    ))
}

fn content_check(dir: &Path) -> anyhow::Result<ExitCode> {
    match crate::content::load_pack(dir, crate::content::REQUIRED_LANGUAGES) {
        Ok(pack) => {
            println!("{}", pack.summary());
            Ok(ExitCode::SUCCESS)
        }
        Err(problems) => {
            for problem in &problems {
                println!("{problem}");
            }
            let count = problems.len();
            let noun = if count == 1 { "problem" } else { "problems" };
            eprintln!("loket: {}: {count} {noun}; the pack is refused", dir.display());
            Ok(ExitCode::from(2))
        }
    }
}

fn voice_check(dir: &Path, config: Option<&Path>) -> anyhow::Result<ExitCode> {
    let config = load_config(config)?;
    let services: Vec<&str> = config.services.iter().map(|s| s.id.as_str()).collect();
    let packs: Vec<(String, PathBuf)> = if dir.join("pack.toml").is_file() {
        let name = dir.canonicalize().unwrap_or_else(|_| dir.to_owned());
        let language = name.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        vec![(language, dir.to_owned())]
    } else {
        let entries = std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
        let mut packs: Vec<(String, PathBuf)> = entries
            .flatten()
            .filter(|e| e.path().join("pack.toml").is_file())
            .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
            .collect();
        packs.sort();
        packs
    };
    if packs.is_empty() {
        eprintln!("loket: {}: no pack.toml here nor in its folders", dir.display());
        return Ok(ExitCode::from(2));
    }
    let mut errors = 0;
    for (language, path) in packs {
        let report = crate::voice_pack::check_pack(&path, &language, &services);
        let total = report.covered.len() + report.missing.len();
        println!("{language}: {} of {total} phrases covered", report.covered.len());
        for phrase in &report.covered {
            println!("  covered: {phrase:?}");
        }
        for (phrase, lacking) in &report.missing {
            println!("  missing: {phrase:?} (lacks {})", lacking.join(", "));
        }
        for clip in &report.missing_clips {
            println!("  missing clip: {clip}");
        }
        for warning in &report.warnings {
            println!("  warning: {warning}");
        }
        for error in &report.errors {
            println!("  error: {error}");
        }
        errors += report.errors.len();
    }
    if errors > 0 {
        let noun = if errors == 1 { "clip or file" } else { "clips or files" };
        eprintln!("loket: {errors} {noun} cannot be used; the kiosk refuses a pack until they are fixed");
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}

fn voice_script(language: &str, config: Option<&Path>) -> anyhow::Result<ExitCode> {
    let config = load_config(config)?;
    let Some(known) = crate::languages::language(language) else {
        eprintln!("loket: {language:?} is not a language the kiosk knows");
        return Ok(ExitCode::from(2));
    };
    let services: Vec<(String, String)> =
        config.services.iter().map(|s| (s.id.clone(), s.name(language).to_owned())).collect();
    print!("{}", crate::voice_pack::recording_script(language, known.autonym, &services));
    Ok(ExitCode::SUCCESS)
}

/// The fewest digits of a new PIN: the sign-in takes 4 (older PINs keep working), but 10,000
/// four-digit PINs fall to guessing from a few computers within about two days.
const SHORTEST_NEW_PIN: usize = 6;

fn hash_pin() -> anyhow::Result<ExitCode> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        eprint!("PIN ({SHORTEST_NEW_PIN} to 12 digits): ");
    }
    let mut pin = String::new();
    std::io::stdin().read_line(&mut pin).context("cannot read the PIN")?;
    let pin = pin.trim();
    if pin.chars().count() < SHORTEST_NEW_PIN {
        eprintln!(
            "loket: a PIN of {} digits is too short: anyone who reaches the console guesses a 4-digit \
             PIN within about two days; choose {SHORTEST_NEW_PIN} to 12 digits",
            pin.chars().count()
        );
        return Ok(ExitCode::from(2));
    }
    if let Err(e) = crate::secret::check_pin(pin) {
        eprintln!("loket: {e}");
        return Ok(ExitCode::from(2));
    }
    println!("{}", crate::secret::hash(pin)?);
    Ok(ExitCode::SUCCESS)
}

fn new_api_token() -> anyhow::Result<ExitCode> {
    let token = crate::secret::new_token();
    println!("token (give this to the client; it is not stored): {token}");
    println!("token_hash (put this in [[web.api_token]]): {}", crate::secret::hash(&token)?);
    Ok(ExitCode::SUCCESS)
}

fn print_test(args: PrintTestArgs) -> anyhow::Result<ExitCode> {
    let config = load_config(args.config.as_deref())?;
    let lines: Vec<String> =
        crate::languages::all().iter().map(|l| format!("{}: {}", l.autonym, l.greeting)).collect();
    let qr_url =
        config.ticket.qr_url_for("E-017").unwrap_or_else(|| "https://loket.example/print-test".to_owned());
    let now = jiff::Zoned::now().with_time_zone(config.site.timezone.clone()).datetime();
    let title = format!("{} - Loket {}", config.site.name, env!("CARGO_PKG_VERSION"));
    let page = printer::encode_test_page(
        &title,
        &lines,
        &qr_url,
        config.ticket.native_qr,
        now,
        config.ticket.cutter,
    );
    for line in &page.omitted {
        eprintln!("loket: not printed as given: {:?} ({})", line.text, line.problem);
    }

    if let Some(out) = args.out {
        std::fs::write(&out, &page.bytes).with_context(|| format!("cannot write {}", out.display()))?;
        let preview = out.with_extension("png");
        let png = printer::render_png(&page.bytes).context("cannot draw the preview")?;
        std::fs::write(&preview, png).with_context(|| format!("cannot write {}", preview.display()))?;
        println!("{} bytes written to {}, preview in {}", page.bytes.len(), out.display(), preview.display());
        return Ok(ExitCode::SUCCESS);
    }

    let mut transport: Box<dyn printer::Transport> = match args.device {
        Some(device) => {
            let mut serial = match &config.printer {
                config::Printer::Serial(s) => s.clone(),
                config::Printer::File { .. } => config::SerialPrinterSettings::default(),
            };
            serial.device = device;
            serial.baud = args.baud.unwrap_or(serial.baud);
            if !config::BAUD_RATES.contains(&serial.baud) {
                return Err(config::ConfigError::Invalid {
                    key: "--baud".into(),
                    value: serial.baud.to_string(),
                    reason: format!("must be one of {:?}", config::BAUD_RATES),
                }
                .into());
            }
            let options = crate::setup::serial_options(&serial);
            Box::new(printer::ReopeningSerialPrinter::new(&serial.device, options, serial.busy_gpio))
        }
        None => crate::setup::printer_transport(&config),
    };
    println!("printing a test page ({} bytes) on the {}", page.bytes.len(), transport.describe());
    let started = std::time::Instant::now();
    transport.send("print-test", &page.bytes)?;
    println!("done in {:.1} s", started.elapsed().as_secs_f64());
    Ok(ExitCode::SUCCESS)
}

/// Binds the staff web server's address and serves it from a tokio runtime (two workers) on
/// its own thread, for as long as the process runs.
fn start_web(listen: std::net::SocketAddr, key: &str, state: crate::web::WebState) -> anyhow::Result<()> {
    let listener = std::net::TcpListener::bind(listen)
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .map_err(|e| {
            let reason = match e.kind() {
                std::io::ErrorKind::AddrInUse => "address in use".to_owned(),
                std::io::ErrorKind::AddrNotAvailable => "no such address on this machine".to_owned(),
                std::io::ErrorKind::PermissionDenied => {
                    "permission denied (ports below 1024 need root)".to_owned()
                }
                _ => e.to_string(),
            };
            anyhow::anyhow!("cannot listen on {listen} ({key}): {reason}")
        })?;
    // The port the system gave, when asked for port 0.
    let bound = listener.local_addr().unwrap_or(listen);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("web")
        .enable_all()
        .build()
        .context("cannot start the web server's runtime")?;
    std::thread::Builder::new()
        .name("web-server".into())
        .spawn(move || {
            let served = runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                crate::web::serve(listener, state, std::future::pending()).await
            });
            if let Err(e) = served {
                log::error!("the staff web server stopped: {e}");
            }
        })
        .context("cannot start the web server's thread")?;
    log::info!("staff console on http://{bound}/");
    Ok(())
}

/// How long the welcome screen tells the person setting the kiosk up that their config was
/// refused.
const STAFF_NOTICE_TIME: std::time::Duration = std::time::Duration::from_secs(15 * 60);

fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    // Before any thread starts, so SIGTERM reaches only the thread that waits for it.
    let headless = args.headless;
    let stop = StopSignal::catch(move |_| {
        // Ends `window.run()`; a headless run has no event loop and wakes from `stop.wait`.
        if !headless {
            let _ = slint::invoke_from_event_loop(|| {
                let _ = slint::quit_event_loop();
            });
        }
    })
    .context("cannot catch SIGTERM")?;
    let systemd = Systemd::from_env();
    let mut config = load_config(args.config.as_deref())?;
    if args.config.is_none() {
        log::info!(
            "no --config given: running the sample help point {:?}, open around the clock",
            config.site.name
        );
    }
    if let Some(dir) = args.data_dir {
        config.kiosk.data_dir = dir;
    }
    // One kiosk per data directory, for as long as this one runs: a second would share the
    // store and fail every ticket. Other commands only read and do not take it.
    let data_dir = &config.kiosk.data_dir;
    std::fs::create_dir_all(data_dir).with_context(|| {
        format!("cannot create the data directory {} (kiosk.data_dir)", data_dir.display())
    })?;
    let _data_dir_lock = store::lock::DataDirLock::take(data_dir)?;
    if config.report.central_url.is_some() {
        // What the central system handed out last time, if present and valid (see report::pull).
        config = crate::report::pull::central_config(config);
    }
    if let Some(path) = &args.config {
        // The sample's public PINs sign in only in the desktop run (no --config). A config file
        // carrying one would open the console to anyone: that credential is taken out, and the
        // kiosk still serves its visitors (stopping would only reboot it over and over).
        let (without, published) = config.without_published_credentials();
        config = without;
        for refused in published {
            log::error!("config file {}: {refused}; it is not used", path.display());
        }
    }
    if args.always_open || args.config.is_none() {
        config.hours = config::OpeningHours::always_open();
    }
    let refused = args.config.as_deref().and_then(crate::setup::refused_boot_config);
    if let Some(why) = &refused {
        log::warn!("the config on the SD card was refused, running with the last good one: {why}");
    }
    let mut report_settings = ReportSettings::from_config(&config)?;
    if let (Some(settings), Some(why)) = (report_settings.as_mut(), &refused) {
        settings.standing_problems.push(format!("the config on the SD card was refused: {why}"));
    }
    let listen_key = if args.listen.is_some() { "--listen" } else { "web.listen" };
    let listen = args.listen.unwrap_or(config.web.listen);
    for warning in config.console_warnings(listen) {
        log::warn!("{warning}");
    }
    let parts = crate::setup::kiosk_parts(config, Arc::new(SystemClock))?;
    let help_point = parts.help_point.clone();
    let reporter = match report_settings {
        Some(mut settings) => {
            if parts.config.appointments.enabled {
                settings.appointments = Some(Arc::new(crate::setup::CentralPlans(help_point.clone())));
            }
            let reporter = Reporter::start(settings, ReportParts::real())?;
            let wake = reporter.waker();
            help_point.subscribe(Box::new(move |_| wake())).context("the help point stopped")?;
            Some(reporter)
        }
        None => {
            log::info!("report: off (report.central_url is empty)");
            None
        }
    };
    let nightly = &parts.config.maintenance;
    let zone = parts.config.site.timezone.clone();
    crate::maintenance::start_nightly(help_point.clone(), zone, nightly.nightly_at, nightly.retention_days)
        .context("cannot start the nightly maintenance")?;
    // With reporting off, /health keeps its short form ({"status","version"}) that probes expect.
    let mut web_state = crate::web::WebState::new(help_point.clone(), parts.config.clone())
        .with_content(parts.content.clone());
    if let Some(printer) = &parts.printer {
        let printer = crate::web::print::Printer::new(printer.handle(), parts.logo.clone());
        web_state = web_state.with_printer(printer, crate::web::print::PRINT_WAIT);
    }
    if let Some(reporter) = &reporter {
        web_state = web_state.with_report(reporter.view());
    }
    start_web(listen, listen_key, web_state)?;
    let status = format!("{} ({} desks)", parts.config.site.name, parts.config.desks.len());

    if args.headless {
        log::info!("running headless: no window; stop with Ctrl-C or SIGTERM");
        systemd.ready(&status);
        // The headless loop is the kiosk's only loop: it pings the watchdog itself.
        let tick = systemd
            .watchdog_timeout()
            .map_or(ROLL_OVER_CHECK, |t| crate::watchdog::ping_interval(t).min(ROLL_OVER_CHECK));
        let mut last_roll_over = std::time::Instant::now();
        while stop.wait(tick).is_none() {
            systemd.alive();
            if last_roll_over.elapsed() >= ROLL_OVER_CHECK {
                last_roll_over = std::time::Instant::now();
                let _ = help_point.send(|hp| {
                    if let Err(e) = hp.roll_over() {
                        log::error!("starting the new service day failed: {e}");
                    }
                });
            }
        }
        systemd.stopping("finishing the last ticket and closing the store");
        // Dropping the parts finishes the ticket being printed (the printer thread is joined),
        // then the help point's commands; its owner checkpoints the store.
        drop(parts);
    } else {
        let window = crate::AppWindow::new().context("cannot open the kiosk window")?;
        let appointments = parts.config.appointments.enabled;
        let kiosk = crate::ui::Kiosk::wire(&window, parts);
        if appointments {
            kiosk.offer_check_in(std::rc::Rc::new(help_point.clone()));
        }
        if args.config.is_none() {
            // The desktop run of the built-in sample (simulated printer, no GPIO): F1, F2 … stand
            // in for the desks' buttons. A kiosk (always a --config) ignores them.
            kiosk.use_function_keys_as_desk_buttons();
        }
        let _alive = systemd.keep_alive_from_ui(status);
        let _notice = refused.map(|why| kiosk.show_staff_notice(&why, STAFF_NOTICE_TIME));
        window.run().context("the kiosk window stopped with an error")?;
        systemd.stopping("finishing the last ticket and closing the store");
        // The window's callbacks hold the screens' parts: dropping both finishes the ticket
        // being printed (the printer thread is joined), then the help point's commands; its
        // owner checkpoints the store.
        drop(kiosk);
        drop(window);
    }
    // Events not yet acknowledged stay in the outbox for the next start.
    if let Some(reporter) = reporter {
        reporter.stop();
    }
    log::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// How often a headless run checks for the new service day.
const ROLL_OVER_CHECK: std::time::Duration = std::time::Duration::from_secs(30);

//! The `lendwork` command line.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};

use lendwork::app::{App, HostOptions};
use lendwork::manifest::Manifest;
use lendwork::runtime_config::{KvMode, RuntimeConfig};

/// Lendwork: loan origination and servicing on WebAssembly components.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the application in spin.toml, as `spin up` does.
    Up(UpArgs),
    /// Loan calculators: schedules and APRs from JSON, as the HTTP calculators answer.
    Calc(lendwork::calc_cli::CalcArgs),
    /// The sanctions list screening uses, through the platform's admin API.
    Sanctions(lendwork::sanctions_cli::SanctionsArgs),
    /// Stored credit decisions: show one, or replay it through the policy and compare.
    Decisions(lendwork::decisions_cli::DecisionsArgs),
    /// Credit policy versions on a running host: swap, roll back, list, backtest.
    Policy(lendwork::policy_cli::PolicyArgs),
    /// Servicing: import loans with their balances.
    Loans(lendwork::loans_cli::LoansArgs),
    /// Servicing: accrue every loan through a day, with a progress bar.
    Accrue(lendwork::accrue_cli::AccrueArgs),
    /// Runs the benchmarks and prints (optionally writes) their figures.
    Bench(lendwork::bench::BenchArgs),
    /// The benchmarks' baseline: a bare HTTP server without WebAssembly.
    #[command(hide = true)]
    BenchStaticServer {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: SocketAddr,
    },
    /// Runs one trigger now.
    Trigger {
        #[command(subcommand)]
        trigger: TriggerCommand,
    },
}

#[derive(Subcommand)]
enum TriggerCommand {
    /// Runs a scheduled component's handle-cron-event once, now.
    Cron {
        /// The component id (a `[[trigger.cron]]` component).
        component: String,
        #[command(flatten)]
        app: AppArgs,
    },
}

#[derive(Args)]
struct AppArgs {
    /// The application manifest.
    #[arg(short = 'f', long = "from", default_value = "spin.toml")]
    from: PathBuf,
    /// Runtime configuration (key-value store backends), in Spin's format.
    #[arg(long)]
    runtime_config_file: Option<PathBuf>,
    /// Where default stores keep their files (default: `.spin` beside the manifest).
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// Sets an application variable, overriding SPIN_VARIABLE_<NAME> and defaults.
    #[arg(long = "variable", value_name = "NAME=VALUE")]
    variables: Vec<String>,
    /// Largest linear memory of one instance, in MiB.
    #[arg(long, default_value_t = 64)]
    memory_limit_mib: usize,
    /// Time limit of one HTTP invocation, in milliseconds.
    #[arg(long, default_value_t = 10_000)]
    deadline_ms: u64,
    /// Key-value semantics guests see: `lendwork` (exact) or `spin` (Spin 4.0.2's, per
    /// backend, to prove components portable; see the README).
    #[arg(long, value_enum, default_value_t = KvSemantics::Lendwork, env = "LENDWORK_KV_SEMANTICS")]
    kv_semantics: KvSemantics,
    /// Where compiled components are kept between runs (default: `compiled` in the state
    /// directory), so that a restart loads rather than compiles them.
    #[arg(long, env = "LENDWORK_CACHE_DIR", conflicts_with = "no_cache")]
    cache_dir: Option<PathBuf>,
    /// Compiles every component at every start, keeping nothing on disk.
    #[arg(long)]
    no_cache: bool,
}

/// The values of `--kv-semantics`.
#[derive(Clone, Copy, clap::ValueEnum)]
enum KvSemantics {
    /// The host's own, exact semantics.
    Lendwork,
    /// Spin 4.0.2's observable behaviour, per backend.
    Spin,
}

#[derive(Args)]
struct UpArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
    #[command(flatten)]
    app: AppArgs,
}

impl AppArgs {
    async fn load(&self) -> Result<Arc<App>> {
        let manifest = Manifest::load(&self.from)?;
        let runtime_config = match &self.runtime_config_file {
            Some(path) => RuntimeConfig::load(path)?,
            None => RuntimeConfig::default(),
        };
        let state_dir = self
            .state_dir
            .clone()
            .unwrap_or_else(|| manifest.base_dir.join(".spin"));
        let overrides = parse_variables(&self.variables)?;
        let options = HostOptions {
            memory_bytes_max: self.memory_limit_mib << 20,
            http_deadline: std::time::Duration::from_millis(self.deadline_ms),
            kv_mode: match self.kv_semantics {
                KvSemantics::Lendwork => KvMode::Lendwork,
                KvSemantics::Spin => KvMode::Spin,
            },
            compile_cache: (!self.no_cache).then(|| {
                self.cache_dir
                    .clone()
                    .unwrap_or_else(|| state_dir.join("compiled"))
            }),
            ..HostOptions::default()
        };
        App::load(&manifest, &runtime_config, &state_dir, options, |name| {
            overrides
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
                .or_else(|| std::env::var(name).ok())
        })
        .await
    }
}

/// `--variable api_keys=...` becomes the pair (`SPIN_VARIABLE_API_KEYS`, `...`).
fn parse_variables(pairs: &[String]) -> Result<Vec<(String, String)>> {
    pairs
        .iter()
        .map(|pair| {
            let Some((name, value)) = pair.split_once('=') else {
                bail!("--variable expects NAME=VALUE");
            };
            Ok((
                format!("SPIN_VARIABLE_{}", name.trim().to_ascii_uppercase()),
                value.to_string(),
            ))
        })
        .collect()
}

fn init_logging(command: &Command) {
    // Benchmarks print a table; the host's start-up lines would only bury it.
    let default = match command {
        Command::Bench(_) => "warn",
        _ => "info",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("LENDWORK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

async fn up(args: UpArgs) -> Result<()> {
    let app = args.app.load().await?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = listener.local_addr()?;
    tracing::info!(app = %app.name, %address, "serving");
    // Tests and scripts wait for this line on stdout.
    println!("Serving http://{address}");
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let schedules = tokio::spawn(lendwork::server::run_schedules(app.clone(), {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        }
    }));
    lendwork::server::serve(app, listener, lendwork::server::shutdown_signal()).await?;
    let _ = stop.send(true);
    let _ = schedules.await;
    tracing::info!("stopped");
    Ok(())
}

fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(cli) {
        // The whole cause chain on one screen, without a backtrace: these are operator errors.
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    // Calculators are pure: no runtime, no logging set-up, and the exit code says whether
    // the request was valid.
    let command = match cli.command {
        Command::Calc(args) => std::process::exit(lendwork::calc_cli::run(&args)),
        // A client of the platform's HTTP API: no runtime either.
        Command::Sanctions(args) => std::process::exit(lendwork::sanctions_cli::run(&args)),
        Command::Decisions(args) => std::process::exit(lendwork::decisions_cli::run(&args)),
        Command::Policy(args) => std::process::exit(lendwork::policy_cli::run(&args)),
        Command::Loans(args) => std::process::exit(lendwork::loans_cli::run(&args)),
        Command::Accrue(args) => std::process::exit(lendwork::accrue_cli::run(&args)),
        other => other,
    };
    init_logging(&command);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        match command {
            Command::Up(args) => up(args).await,
            Command::Bench(args) => lendwork::bench::run(&args).await,
            Command::BenchStaticServer { listen } => {
                lendwork::bench::serve_static(listen, lendwork::bench::HEALTH_BODY).await
            }
            Command::Trigger {
                trigger: TriggerCommand::Cron { component, app },
            } => {
                let app = app.load().await?;
                app.run_cron(&component).await?;
                println!("cron component `{component}` ran once");
                Ok(())
            }
            // Answered above, before the runtime started.
            Command::Calc(_)
            | Command::Sanctions(_)
            | Command::Decisions(_)
            | Command::Policy(_)
            | Command::Loans(_)
            | Command::Accrue(_) => Ok(()),
        }
    })
}

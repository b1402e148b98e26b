//! `petrel serve`: loads configuration, opens the data dir, binds the ports, and runs until
//! SIGTERM or Ctrl-C, then shuts down cleanly (in-flight requests finish, the log is flushed).

use std::io::IsTerminal;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use petrel_broker::{Broker, BrokerConfig};
use petrel_meta::CatalogOptions;
use petrel_service::{InitialCredentials, Service, ServiceConfig};
use petrel_store::{FlushMode, Store, StoreConfig};
use tokio::net::TcpListener;

use crate::cli::ServeArgs;
use crate::config::{Config, FlushModeSetting, LogFormat};

pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    let config = Config::load(&args)?;
    init_logging(&config.log, config.log_format);
    raise_open_file_limit();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("petrel")
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(config))
}

/// Raises the soft open-file limit to the hard one, as servers do: every queue index file, log
/// segment and connection is a descriptor. The store keeps half the limit for index files.
fn raise_open_file_limit() {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    if limit.current < limit.maximum {
        let raised = rustix::process::Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        match setrlimit(Resource::Nofile, raised) {
            Ok(()) => tracing::debug!(limit = ?limit.maximum, "raised the open-file limit"),
            Err(e) => tracing::warn!(error = %e, "cannot raise the open-file limit"),
        }
    }
}

fn init_logging(filter: &str, format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        // The request's span (its request id and operation) goes with every line of it.
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let shutdown_signal = install_shutdown_signal()?;
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create data dir `{}`", config.data_dir.display()))?;
    tracing::info!(data_dir = %config.data_dir.display(), flush_mode = ?config.flush_mode, "starting petrel");

    let catalog = petrel_meta::Catalog::open(&config.data_dir, CatalogOptions::default())
        .context("cannot open the catalog")?;
    let service = Arc::new(Service::new(
        catalog,
        ServiceConfig {
            region: config.region.clone(),
        },
    ));
    if let Some(creds) = service
        .bootstrap()
        .context("cannot create the first account")?
    {
        print_initial_credentials(&creds, &config);
    }

    let store = open_store(&config)?;
    let (stop_background, stopping) = tokio::sync::watch::channel(false);
    let retention = tokio::spawn(retention_loop(store.clone(), stopping));
    let broker = open_broker(&store).await?;

    let http = TcpListener::bind(config.http_addr)
        .await
        .with_context(|| format!("cannot listen on http_addr `{}`", config.http_addr))?;
    let http_addr = http.local_addr().context("http listener has no address")?;
    let grpc = TcpListener::bind(config.grpc_addr)
        .await
        .with_context(|| format!("cannot listen on grpc_addr `{}`", config.grpc_addr))?;
    let grpc_addr = grpc.local_addr().context("grpc listener has no address")?;
    tracing::info!("http listening on {http_addr}");
    tracing::info!("grpc listening on {grpc_addr}");

    // One signal stops both servers; either server failing stops the other too.
    let (stop_servers, servers_stopping) = tokio::sync::watch::channel(false);
    let signal = {
        let stop = stop_servers.clone();
        tokio::spawn(async move {
            shutdown_signal.await;
            let _ = stop.send(true);
        })
    };
    let slow_request = Duration::from_millis(config.slow_request_ms);
    let app = petrel_openapi::router_with(
        service.clone(),
        Some(broker.clone()),
        petrel_openapi::OpenApiConfig {
            slow_request,
            ..petrel_openapi::OpenApiConfig::default()
        },
    )
    .merge(crate::metrics::router(
        service.clone(),
        broker.clone(),
        store.clone(),
        config.metrics_access,
    ))
    .merge(petrel_console::router_with_grpc(
        service.clone(),
        Some(broker.clone()),
        Some(grpc_addr),
    ));
    let app = if config.console_signup {
        tracing::info!("console sign-up is enabled at /console/signup");
        app.merge(petrel_console::signup::router(service.clone()))
    } else {
        app
    };
    let http_server = {
        let stop = stop_servers.clone();
        async move {
            // The peer address feeds `/metrics` access and the `acs:SourceIp` condition.
            let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
            let r = axum::serve(http, app)
                .with_graceful_shutdown(stopped(servers_stopping.clone()))
                .await
                .context("http server failed");
            let _ = stop.send(true);
            r
        }
    };
    let grpc_server = {
        let stop = stop_servers.clone();
        let servers_stopping = stop_servers.subscribe();
        let (service, broker) = (service.clone(), broker.clone());
        async move {
            let r = petrel_grpc::serve(
                grpc,
                service,
                broker,
                petrel_grpc::GrpcConfig {
                    slow_request,
                    ..petrel_grpc::GrpcConfig::default()
                },
                stopped(servers_stopping),
            )
            .await
            .context("grpc server failed");
            let _ = stop.send(true);
            r
        }
    };
    let (http_result, grpc_result) = tokio::join!(http_server, grpc_server);
    signal.abort();
    // The broker goes before the store: it writes its last consumer-progress snapshot there.
    if let Err(err) = broker.close().await {
        tracing::warn!("closing the broker: {err}");
    }
    drop(broker);
    // The retention task ends between passes, releasing its handle on the store.
    let _ = stop_background.send(true);
    retention.await.context("the retention task panicked")?;
    http_result?;
    grpc_result?;
    // Every appender has finished with the store once the front ends have stopped; closing
    // flushes the log and writes a clean checkpoint so the next start skips recovery work.
    let store = unwrap_store(store).await?;
    tokio::task::spawn_blocking(move || store.close())
        .await
        .context("closing the message store panicked")?
        .context("cannot close the message store")?;
    tracing::info!("petrel stopped");
    Ok(())
}

/// Resolves once `rx` turns true (or its sender is gone).
async fn stopped(mut rx: tokio::sync::watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}

/// Opens the broker over the store, replaying consumer progress (blocking work, so off the
/// runtime threads).
async fn open_broker(store: &Arc<Store>) -> anyhow::Result<Arc<Broker>> {
    let store = store.clone();
    let broker = tokio::task::spawn_blocking(move || Broker::open(store, BrokerConfig::default()))
        .await
        .context("opening the broker panicked")?
        .context("cannot open the broker")?;
    Ok(Arc::new(broker))
}

/// Takes sole ownership of the store once every user released it; tasks finishing a last
/// write get a few seconds.
async fn unwrap_store(mut store: Arc<Store>) -> anyhow::Result<Store> {
    for _ in 0..50 {
        match Arc::try_unwrap(store) {
            Ok(s) => return Ok(s),
            Err(shared) => store = shared,
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(anyhow::anyhow!(
        "the message store is still in use at shutdown"
    ))
}

/// Opens the message log in the data dir, running crash recovery.
fn open_store(config: &Config) -> anyhow::Result<Arc<Store>> {
    let store_config = StoreConfig {
        segment_size: config.segment_bytes,
        flush_mode: match config.flush_mode {
            FlushModeSetting::Sync => FlushMode::Sync,
            FlushModeSetting::Async => FlushMode::Async,
        },
        retention: Duration::from_secs(config.retention_hours.saturating_mul(3600)),
        // The broker's largest body plus room for its properties and headers.
        max_message_bytes: BrokerConfig::default().max_body_bytes + (64 << 10),
        ..StoreConfig::default()
    };
    let store =
        Store::open(&config.data_dir, store_config).context("cannot open the message log")?;
    let report = store.recovery_report();
    if let Some(torn) = &report.torn_tail {
        tracing::warn!(
            "message log: cut a torn tail at offset {} of `{}`: {}",
            torn.offset,
            torn.segment.display(),
            torn.reason
        );
    }
    tracing::info!(
        clean_shutdown = report.clean_shutdown,
        records_replayed = report.records_replayed,
        end_pos = report.end_pos,
        recovery_ms = u64::try_from(report.duration.as_millis()).unwrap_or(u64::MAX),
        "message log open"
    );
    Ok(Arc::new(store))
}

/// Deletes expired segments once a minute, until `stopping` turns true.
async fn retention_loop(store: Arc<Store>, mut stopping: tokio::sync::watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stopping.changed() => return,
        }
        let store = store.clone();
        let now_ms = time_now_ms();
        match tokio::task::spawn_blocking(move || store.enforce_retention(now_ms)).await {
            Ok(Ok(report)) => tracing::debug!("retention: {report:?}"),
            Ok(Err(err)) => tracing::warn!("retention failed: {err}"),
            Err(err) => tracing::warn!("retention task failed: {err}"),
        }
    }
}

fn time_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Shows the first account's credentials on standard output (never in the log), once.
fn print_initial_credentials(creds: &InitialCredentials, config: &Config) {
    let path = config
        .data_dir
        .join(petrel_service::INITIAL_CREDENTIALS_FILE);
    println!(
        "\nPetrel created its first account. These credentials are shown only once;\n\
         they are also in {path} (mode 0600).\n\n  account id         {}\n  root login         {}\n  root password      {}\n  AccessKey id       {}\n  AccessKey secret   {}\n",
        creds.account_id,
        creds.login_name,
        creds.password,
        creds.access_key_id,
        creds.access_key_secret,
        path = path.display(),
    );
}

/// Registers the SIGTERM and Ctrl-C handlers now (a signal arriving before a handler exists
/// would kill the process with the default action) and returns a future that resolves on
/// either.
fn install_shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot listen for ctrl-c")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot listen for sigterm")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => tracing::info!("ctrl-c received, shutting down"),
            _ = terminate.recv() => tracing::info!("sigterm received, shutting down"),
        }
    })
}

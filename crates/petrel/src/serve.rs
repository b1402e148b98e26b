//! `petrel serve`: loads configuration, opens the data dir, binds the ports, and runs until
//! SIGTERM or Ctrl-C, then shuts down cleanly (in-flight requests finish, the log is flushed).

use std::io::IsTerminal;

use std::sync::Arc;

use anyhow::Context;
use petrel_meta::CatalogOptions;
use petrel_service::{InitialCredentials, Service, ServiceConfig};
use tokio::net::TcpListener;

use crate::cli::ServeArgs;
use crate::config::Config;

pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    let config = Config::load(&args)?;
    init_logging(&config.log);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("petrel")
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(config))
}

fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

async fn serve(config: Config) -> anyhow::Result<()> {
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

    let http = TcpListener::bind(config.http_addr)
        .await
        .with_context(|| format!("cannot listen on http_addr `{}`", config.http_addr))?;
    let http_addr = http.local_addr().context("http listener has no address")?;
    tracing::info!("http listening on {http_addr}");

    let app = petrel_openapi::router();
    axum::serve(http, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("http server failed")?;
    tracing::info!("petrel stopped");
    Ok(())
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

/// Resolves on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!("cannot listen for ctrl-c: {err}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(err) => {
                tracing::error!("cannot listen for sigterm: {err}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("ctrl-c received, shutting down"),
        () = terminate => tracing::info!("sigterm received, shutting down"),
    }
}

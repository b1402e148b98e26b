//! `petrel serve`: loads configuration, opens the data dir, binds the ports, and runs until
//! SIGTERM or Ctrl-C, then shuts down cleanly (in-flight requests finish, the log is flushed).

use std::io::IsTerminal;

use anyhow::Context;
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

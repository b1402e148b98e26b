//! Server configuration: embedded defaults, overlaid by a TOML file, then by `PETREL_*`
//! environment variables and flags (clap merges those two, flags first).
//!
//! Every value is validated here, at start, so a bad setting is refused with a message that
//! names it instead of failing later.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::cli::ServeArgs;
use crate::metrics::MetricsAccess;

/// The flush mode as written in configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum FlushModeSetting {
    /// Acknowledge after fsync (group commit).
    Sync,
    /// Acknowledge after the write; fsync on an interval.
    Async,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines with `key=value` fields (colour on a terminal).
    Text,
    /// One JSON object per line: time, level, target, message, fields and the request span.
    Json,
}

/// The effective configuration of `petrel serve`.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub grpc_addr: SocketAddr,
    pub http_addr: SocketAddr,
    pub flush_mode: FlushModeSetting,
    pub log: String,
    pub log_format: LogFormat,
    pub segment_bytes: u64,
    pub retention_hours: u64,
    pub region: String,
    pub metrics_access: MetricsAccess,
    pub slow_request_ms: u64,
    /// Whether the console offers `/console/signup` to create accounts (off by default).
    pub console_signup: bool,
}

/// The TOML file: every key optional, unknown keys refused so that typos surface.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data_dir: Option<PathBuf>,
    grpc_addr: Option<String>,
    http_addr: Option<String>,
    flush_mode: Option<FlushModeSetting>,
    log: Option<String>,
    log_format: Option<LogFormat>,
    segment_bytes: Option<u64>,
    retention_hours: Option<u64>,
    region: Option<String>,
    metrics_access: Option<MetricsAccess>,
    slow_request_ms: Option<u64>,
    console_signup: Option<bool>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("./petrel-data"),
            grpc_addr: SocketAddr::from(([0, 0, 0, 0], 8081)),
            http_addr: SocketAddr::from(([0, 0, 0, 0], 8080)),
            flush_mode: FlushModeSetting::Sync,
            log: "info".to_owned(),
            log_format: LogFormat::Text,
            segment_bytes: 1 << 30,
            retention_hours: 72,
            region: "cn-hangzhou".to_owned(),
            metrics_access: MetricsAccess::Local,
            slow_request_ms: 200,
            console_signup: false,
        }
    }
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file `{path}`: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config file `{path}`: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("invalid `{key}` in config file `{path}`: `{value}` is not a HOST:PORT address")]
    Address {
        path: PathBuf,
        key: &'static str,
        value: String,
    },
    #[error("invalid `{key}`: {reason}")]
    Value { key: &'static str, reason: String },
}

impl Config {
    /// Builds the effective configuration from defaults, the file named by `--config`, and the
    /// flags/environment in `args`.
    pub fn load(args: &ServeArgs) -> Result<Config, ConfigError> {
        let mut config = Config::default();
        if let Some(path) = &args.config {
            config.apply_file(path)?;
        }
        if let Some(v) = &args.data_dir {
            config.data_dir.clone_from(v);
        }
        if let Some(v) = args.grpc_addr {
            config.grpc_addr = v;
        }
        if let Some(v) = args.http_addr {
            config.http_addr = v;
        }
        if let Some(v) = args.flush_mode {
            config.flush_mode = v;
        }
        if let Some(v) = args.segment_bytes {
            config.segment_bytes = v;
        }
        if let Some(v) = &args.log {
            config.log.clone_from(v);
        }
        if let Some(v) = args.log_format {
            config.log_format = v;
        }
        if let Some(v) = args.metrics_access {
            config.metrics_access = v;
        }
        if let Some(v) = args.slow_request_ms {
            config.slow_request_ms = v;
        }
        if let Some(v) = args.console_signup {
            config.console_signup = v;
        }
        config.validate()?;
        Ok(config)
    }

    fn apply_file(&mut self, path: &Path) -> Result<(), ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let file: FileConfig = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.to_string().trim().replace('\n', " "),
        })?;
        let addr = |key: &'static str, value: String| {
            value
                .parse::<SocketAddr>()
                .map_err(|_| ConfigError::Address {
                    path: path.to_owned(),
                    key,
                    value,
                })
        };
        if let Some(v) = file.data_dir {
            self.data_dir = v;
        }
        if let Some(v) = file.grpc_addr {
            self.grpc_addr = addr("grpc_addr", v)?;
        }
        if let Some(v) = file.http_addr {
            self.http_addr = addr("http_addr", v)?;
        }
        if let Some(v) = file.flush_mode {
            self.flush_mode = v;
        }
        if let Some(v) = file.log {
            self.log = v;
        }
        if let Some(v) = file.segment_bytes {
            self.segment_bytes = v;
        }
        if let Some(v) = file.retention_hours {
            self.retention_hours = v;
        }
        if let Some(v) = file.region {
            self.region = v;
        }
        if let Some(v) = file.log_format {
            self.log_format = v;
        }
        if let Some(v) = file.metrics_access {
            self.metrics_access = v;
        }
        if let Some(v) = file.slow_request_ms {
            self.slow_request_ms = v;
        }
        if let Some(v) = file.console_signup {
            self.console_signup = v;
        }
        Ok(())
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.data_dir.as_os_str().is_empty() {
            return Err(ConfigError::Value {
                key: "data_dir",
                reason: "must not be empty".to_owned(),
            });
        }
        // A segment must hold the largest message (4 MiB) with its framing.
        const MIN_SEGMENT: u64 = 8 << 20;
        if self.segment_bytes < MIN_SEGMENT || self.segment_bytes > (1 << 40) {
            return Err(ConfigError::Value {
                key: "segment_bytes",
                reason: format!("`{}` is outside 8 MiB to 1 TiB", self.segment_bytes),
            });
        }
        if self.retention_hours == 0 {
            return Err(ConfigError::Value {
                key: "retention_hours",
                reason: "must be at least 1".to_owned(),
            });
        }
        let region_ok = !self.region.is_empty()
            && self
                .region
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !region_ok {
            return Err(ConfigError::Value {
                key: "region",
                reason: format!(
                    "`{}` must be lowercase letters, digits and `-`",
                    self.region
                ),
            });
        }
        if tracing_subscriber::EnvFilter::try_new(&self.log).is_err() {
            return Err(ConfigError::Value {
                key: "log",
                reason: format!("`{}` is not a valid log filter", self.log),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test")]

    use super::*;

    fn from_file(text: &str) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("petrel.toml");
        std::fs::write(&path, text).unwrap();
        let mut config = Config::default();
        config.apply_file(&path)?;
        Ok(config)
    }

    #[test]
    fn observability_settings_default_to_local_metrics_text_logs_and_200_ms() {
        let c = Config::default();
        assert_eq!(c.metrics_access, MetricsAccess::Local);
        assert_eq!(c.log_format, LogFormat::Text);
        assert_eq!(c.slow_request_ms, 200);
    }

    #[test]
    fn observability_settings_are_read_from_the_config_file() {
        let c =
            from_file("metrics_access = \"open\"\nlog_format = \"json\"\nslow_request_ms = 50\n")
                .unwrap();
        assert_eq!(c.metrics_access, MetricsAccess::Open);
        assert_eq!(c.log_format, LogFormat::Json);
        assert_eq!(c.slow_request_ms, 50);
    }

    #[test]
    fn an_unknown_metrics_access_is_refused_naming_the_value() {
        let err = from_file("metrics_access = \"public\"\n").unwrap_err();
        assert!(err.to_string().contains("public"), "{err}");
    }
}

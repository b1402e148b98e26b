//! `petrel serve` with its embedded defaults, a fresh data dir, loopback ports and the flush
//! mode of the durability being compared; the first account's AccessKey comes from
//! `initial-credentials.json`.

use std::path::Path;
use std::process::Child;

use super::{Endpoint, Installs, Rabbit, command, free_port, loopback, wait_ready};
use crate::PeerError;
use crate::system::{Durability, Target};

pub(super) fn start(
    target: Target,
    installs: &Installs,
    cpus: Option<&str>,
    dir: &Path,
) -> Result<(Child, Endpoint, Option<Rabbit>), PeerError> {
    let (grpc, http) = (loopback(free_port()?), loopback(free_port()?));
    let data = dir.join("data");
    let log = dir.join("server.log");
    let flush = match target.durability {
        Durability::Fsync => "sync",
        Durability::Defaults => "async",
    };
    let mut cmd = command(&installs.petrel, cpus, &log)?;
    cmd.arg("serve")
        .arg("--data-dir")
        .arg(&data)
        .arg("--grpc-addr")
        .arg(grpc.to_string())
        .arg("--http-addr")
        .arg(http.to_string())
        .arg("--flush-mode")
        .arg(flush)
        .env("PETREL_LOG", "warn");
    let mut child = cmd.spawn().map_err(|e| PeerError::Start {
        system: target.label().to_owned(),
        program: installs.petrel.clone(),
        reason: e.to_string(),
    })?;
    let creds = data.join("initial-credentials.json");
    wait_ready("petrel", &mut child, &[grpc, http], || creds.exists(), &log)?;
    let text = std::fs::read_to_string(&creds).map_err(|e| PeerError::io(&creds, e))?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| PeerError::Setup {
        system: "petrel".to_owned(),
        what: "the initial credentials".to_owned(),
        reason: e.to_string(),
    })?;
    let field = |k: &str| json[k].as_str().unwrap_or_default().to_owned();
    let endpoint = Endpoint::Petrel {
        grpc,
        http,
        access_key_id: field("access_key_id"),
        access_key_secret: field("access_key_secret"),
    };
    Ok((child, endpoint, None))
}

//! Profiles, usage errors with their exit statuses, and shell completions.

use serde_json::Value;

use crate::common::Server;
use crate::harness::{Cli, root_key};

#[test]
fn profiles_usage_errors_and_completions() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let server = Server::start_in(&data, &[]);
    let home = tmp.path().join("home");
    let cli = Cli {
        endpoint: format!("http://{}", server.http_addr),
        home: home.clone(),
    };
    let root = root_key(&data);

    // No AccessKey anywhere: a usage error naming the ways to give one.
    let out = cli
        .command()
        .args(["user", "list", "--endpoint", &cli.endpoint])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("PETREL_ACCESS_KEY_ID"));

    // The Alibaba Cloud variables are accepted too.
    let out = cli
        .command()
        .args(["whoami", "--endpoint", &cli.endpoint, "--json"])
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", &root.id)
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", &root.secret)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let who: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(who["IdentityType"], "Account");

    // `configure` checks the key, then writes an owner-only profile that later commands use
    // without any endpoint or key in the environment.
    let out = cli
        .command()
        .args([
            "configure",
            "--endpoint",
            &cli.endpoint,
            "--access-key-id",
            &root.id,
        ])
        .arg("--access-key-secret")
        .arg(&root.secret)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = home.join(".petrel/config.toml");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    assert!(std::fs::read_to_string(&file).unwrap().contains(&root.id));
    let out = cli.command().args(["whoami"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(&cli.endpoint));
    // A profile with a wrong secret is refused by the server at configure time and not saved.
    let out = cli
        .command()
        .args(["configure", "--profile", "bad", "--endpoint", &cli.endpoint])
        .args(["--access-key-id", &root.id, "--access-key-secret", "wrong"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("SignatureDoesNotMatch"));
    let out = cli
        .command()
        .args(["whoami", "--profile", "bad"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no profile `bad`"));

    // An explicit data dir still means local mode, whatever the profile says.
    let out = cli
        .command()
        .args(["user", "list", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(4),
        "the running server holds the catalogue"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("stop it first"));

    // Commands only one side can answer say so.
    let out = cli
        .command()
        .args(["who-can", "--action", "mq:PUB", "--instance", "i"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = cli
        .command()
        .args([
            "lag",
            "--instance",
            "i",
            "--group",
            "g",
            "--topic",
            "t",
            "--data-dir",
        ])
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--endpoint"));
    for args in [
        &[
            "message",
            "list",
            "--instance",
            "i",
            "--topic",
            "t",
            "--key",
            "k",
        ][..],
        &["message", "get", "--instance", "i", "--topic", "t", "01AB"][..],
        &[
            "offset",
            "reset",
            "--instance",
            "i",
            "--group",
            "g",
            "--topic",
            "t",
            "--latest",
        ][..],
    ] {
        let out = cli
            .command()
            .args(args)
            .arg("--data-dir")
            .arg(&data)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("asks a running server") && stderr.contains("--endpoint"),
            "{args:?}: {stderr}"
        );
    }
    // One way to choose messages, and a whole time range.
    let out = cli
        .command()
        .args(["message", "list", "--instance", "i", "--topic", "t"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = cli
        .command()
        .args([
            "message",
            "list",
            "--instance",
            "i",
            "--topic",
            "t",
            "--from",
            "0",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));

    // A bad endpoint is a usage error; an unreachable one a transport failure.
    let out = cli
        .command()
        .args(["user", "list", "--endpoint", "https://127.0.0.1:1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let out = cli
        .command()
        .args(["user", "list", "--endpoint", &dead])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot reach"));

    // Completion scripts for the common shells.
    for shell in ["bash", "zsh", "fish"] {
        let out = cli.command().args(["completions", shell]).output().unwrap();
        assert!(out.status.success());
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(
            script.contains("petrel") && script.contains("user-group"),
            "{shell}"
        );
    }

    drop(server);
}

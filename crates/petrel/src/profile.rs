//! CLI profiles: named endpoints and AccessKeys in `~/.petrel/config.toml` (or the file named
//! by `PETREL_CLI_CONFIG`), written by `petrel configure` with mode 0600 because it holds
//! secrets.
//!
//! ```toml
//! [profiles.default]
//! endpoint = "http://127.0.0.1:8080"
//! access_key_id = "LTAI…"
//! access_key_secret = "…"
//! region = "cn-hangzhou"
//! ```

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::exit::usage;

/// The profile used when none is named.
pub const DEFAULT_PROFILE: &str = "default";

/// One profile.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Management endpoint (`http://host:port`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_key_secret: Option<String>,
    /// Region spelled in ARNs and `ChangeResourceGroup`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profile")
            .field("endpoint", &self.endpoint)
            .field("access_key_id", &self.access_key_id)
            .field(
                "access_key_secret",
                &self.access_key_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("region", &self.region)
            .finish()
    }
}

/// The whole file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileFile {
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// Where the profiles live: `PETREL_CLI_CONFIG`, else `$HOME/.petrel/config.toml`.
pub fn path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PETREL_CLI_CONFIG").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|home| PathBuf::from(home).join(".petrel").join("config.toml"))
}

/// Reads the file; a missing file is an empty one.
pub fn load(path: &Path) -> anyhow::Result<ProfileFile> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ProfileFile::default()),
        Err(e) => {
            return Err(usage(format!(
                "cannot read the profile file `{}`: {e}",
                path.display()
            )));
        }
    };
    toml::from_str(&text).map_err(|e| {
        usage(format!(
            "the profile file `{}` is invalid: {e}",
            path.display()
        ))
    })
}

/// Writes the file readable by its owner only (the directory too), replacing it atomically.
pub fn save(path: &Path, file: &ProfileFile) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.exists() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create `{}`", dir.display()))?;
        restrict(dir, 0o700)?;
    }
    let text = toml::to_string(file).context("cannot write the profiles as toml")?;
    let tmp = path.with_extension("toml.tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut out = options
        .open(&tmp)
        .with_context(|| format!("cannot write `{}`", tmp.display()))?;
    // The mode above applies only to a new file; an old temporary file keeps its own.
    restrict(&tmp, 0o600)?;
    out.write_all(
        b"# petrel CLI profiles (written by `petrel configure`); holds secrets: keep it private\n",
    )?;
    out.write_all(text.as_bytes())?;
    out.sync_all()?;
    drop(out);
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace `{}`", path.display()))?;
    Ok(())
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("cannot restrict the permissions of `{}`", path.display()))
}

#[cfg(not(unix))]
fn restrict(_path: &Path, _mode: u32) -> anyhow::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_round_trip_with_owner_only_permissions() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("sub/config.toml");
        let mut file = ProfileFile::default();
        file.profiles.insert(
            "default".into(),
            Profile {
                endpoint: Some("http://127.0.0.1:8080".into()),
                access_key_id: Some("LTAI1".into()),
                access_key_secret: Some("s3cret".into()),
                region: None,
            },
        );
        save(&path, &file).unwrap();
        let back = load(&path).unwrap();
        assert_eq!(back.profiles["default"], file.profiles["default"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(!format!("{:?}", back.profiles["default"]).contains("s3cret"));
    }

    #[test]
    fn a_missing_file_is_empty_and_a_bad_one_is_a_usage_error() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(
            load(&tmp.path().join("none.toml"))
                .unwrap()
                .profiles
                .is_empty()
        );
        let bad = tmp.path().join("bad.toml");
        std::fs::write(&bad, "[profiles.x]\nendpoint = 1\n").unwrap();
        let e = load(&bad).unwrap_err();
        assert_eq!(crate::exit::code_of(&e), crate::exit::USAGE);
        assert!(e.to_string().contains("bad.toml"), "{e}");
    }
}
